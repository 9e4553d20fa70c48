import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import {
  type FlowAction,
  type FlowDocument,
  retentionChatFlow,
  retentionFlow,
  ssml,
} from '../../infra/constructs/contact-flow';
import { QUEUES } from '../../shared/schemas/config';
import { nagFindings } from './helpers';

const INSTANCE = 'arn:aws:connect:us-east-1:123456789012:instance/9f1a0c1e-2b7d-4a31-8d0e-4c5b6a7d8e9f';
const queueArns = Object.fromEntries(QUEUES.map((q, i) => [q, `${INSTANCE}/queue/q-${i}`]));
const flow = retentionFlow('arn:aws:lambda:us-east-1:123456789012:function:adapter', queueArns);
const byId = new Map(flow.Actions.map((a) => [a.Identifier, a]));
const targets = (a: FlowAction) => [
  ...(a.Transitions?.NextAction ? [a.Transitions.NextAction] : []),
  ...(a.Transitions?.Conditions ?? []).map((c) => c.NextAction),
  ...(a.Transitions?.Errors ?? []).map((e) => e.NextAction),
];
const ALIAS = 'arn:aws:lex:us-east-1:123456789012:bot-alias/BOTID/ALIASID';
const chat = retentionChatFlow(ALIAS, queueArns);

/** Structural checks every flow passes: closed transitions, unique ids, all reachable, every path ends. */
function wellFormed(f: FlowDocument) {
  const ids = new Map(f.Actions.map((a) => [a.Identifier, a]));
  expect(ids.size).toBe(f.Actions.length);
  expect(ids.has(f.StartAction)).toBe(true);
  for (const a of f.Actions)
    for (const t of targets(a)) expect(ids.has(t), `${a.Identifier} → ${t}`).toBe(true);
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const t of targets(ids.get(id)!)) visit(t);
  };
  visit(f.StartAction);
  expect([...ids.keys()].filter((id) => !seen.has(id))).toEqual([]);
  for (const a of f.Actions.filter((x) => !x.Transitions?.NextAction))
    expect(['DisconnectParticipant', 'TransferContactToQueue']).toContain(a.Type);
}

/**
 * Every action the flow can reach with its logging on: a walk over every path, the logging state
 * carried along (UpdateFlowLoggingBehavior sets it).
 */
function loggedActions(f: FlowDocument): Set<string> {
  const ids = new Map(f.Actions.map((a) => [a.Identifier, a]));
  const logged = new Set<string>();
  const seen = new Set<string>();
  const walk = (id: string, on: boolean) => {
    const key = `${id}:${on}`;
    if (seen.has(key)) return;
    seen.add(key);
    const a = ids.get(id)!;
    const now = a.Type === 'UpdateFlowLoggingBehavior' ? a.Parameters!.FlowLoggingBehavior === 'Enabled' : on;
    if (now) logged.add(id);
    for (const t of targets(a)) walk(t, now);
  };
  walk(f.StartAction, false);
  return logged;
}

describe('Connect contact flow (flow language 2019-10-30)', () => {
  it('every transition names an action of the flow, identifiers are unique, every action is reachable, every path ends in a transfer or a goodbye', () => {
    wellFormed(flow);
  });

  it('speaks SSML: static text escaped, the adapter’s (already escaped) values put in as they are', () => {
    const spoken = flow.Actions.filter((a) => ['MessageParticipant', 'GetParticipantInput'].includes(a.Type));
    expect(spoken.length).toBeGreaterThan(4);
    for (const a of spoken) {
      expect(a.Parameters!.Text, a.Identifier).toBeUndefined();
      expect(a.Parameters!.SSML, a.Identifier).toMatch(/^<speak>[^<>]*<\/speak>$/);
    }
    expect(byId.get('PutOffer')!.Parameters!.SSML).toBe('<speak>$.External.offer1Prompt</speak>');
    expect(ssml('Fees & rates <today>')).toBe('<speak>Fees &amp; rates &lt;today&gt;</speak>');
  });

  it('logs nothing from the first factor asked until the verification is over', () => {
    const logged = loggedActions(flow);
    const factorBlocks = flow.Actions.filter(
      (a) =>
        a.Parameters?.StoreInput === 'True' ||
        JSON.stringify(a.Parameters ?? {}).includes('StoredCustomerInput'),
    ).map((a) => a.Identifier);
    expect(factorBlocks.sort()).toEqual(['AskLast4', 'AskZip', 'VerifyLast4', 'VerifyZip']);
    for (const id of factorBlocks) expect(logged.has(id), id).toBe(false);
    // and on again for the offers and the route, whichever way the verification ends.
    expect(logged.has('Menu')).toBe(true);
    expect(logged.has('GetOffers')).toBe(true);
    expect(logged.has('Route')).toBe(true);
  });

  it('each Lambda call waits at most 8 s, expects a flat string map, and has an error branch to a person', () => {
    const calls = flow.Actions.filter((a) => a.Type === 'InvokeLambdaFunction');
    expect(calls.length).toBeGreaterThanOrEqual(8);
    for (const a of calls) {
      expect(Number(a.Parameters!.InvocationTimeLimitSeconds)).toBeLessThanOrEqual(8);
      expect(a.Parameters!.ResponseValidation).toEqual({ ResponseType: 'STRING_MAP' });
      expect(a.Transitions!.Errors).toContainEqual({
        NextAction: 'AgentFallback',
        ErrorType: 'NoMatchingError',
      });
    }
    expect(byId.get('AgentFallback')!.Transitions!.NextAction).toBe('Queue_FALLBACK');
  });

  it('the keypad digits go to the adapter as they are, never into contact attributes', () => {
    expect(flow.Actions.some((a) => a.Type === 'UpdateContactAttributes')).toBe(false);
    expect(byId.get('VerifyLast4')!.Parameters!.LambdaInvocationAttributes).toEqual({
      step: 'verify',
      last4: '$.StoredCustomerInput',
    });
  });

  it('9 at any offer closes now: the close step, then the outcome spoken, no further offer', () => {
    const put = byId.get('PutOffer')!;
    expect(put.Transitions!.Conditions).toContainEqual({
      NextAction: 'CloseNow',
      Condition: { Operator: 'Equals', Operands: ['9'] },
    });
    const close = byId.get('CloseNow')!;
    expect(close.Parameters!.LambdaInvocationAttributes).toEqual({ step: 'close' });
    expect(close.Transitions!.NextAction).toBe('SayOutcome');
  });

  it('routes to every queue the adapter may name, and the unknown to the retention specialists', () => {
    const route = byId.get('Route')!;
    expect(route.Transitions!.Conditions!.map((c) => c.Condition.Operands[0]).sort()).toEqual(
      [...QUEUES].sort(),
    );
    expect(byId.get('Queue_FALLBACK')!.Parameters!.QueueId).toBe(queueArns.RETENTION_SPECIALIST);
  });

  it('needs at least the retention specialists queue', () => {
    expect(() => retentionFlow('arn', { FRAUD: 'x' })).toThrow(/RETENTION_SPECIALIST/);
  });

  it('is in the template, for the given instance, only when instance and queues are given', () => {
    const flows = (context: Record<string, unknown>) =>
      Object.values(
        Template.fromStack(buildApp({ bundling: false, context }).service).findResources(
          'AWS::Connect::ContactFlow',
        ),
      );
    expect(flows({})).toHaveLength(0);
    const [f] = flows({ connectInstanceArn: INSTANCE, connectQueueArns: JSON.stringify(queueArns) });
    expect(f?.Properties).toMatchObject({ InstanceArn: INSTANCE, Type: 'CONTACT_FLOW' });
    expect(JSON.stringify(f?.Properties.Content)).toContain('InvokeLambdaFunction');
  });
});

describe('Connect chat flow', () => {
  const chatById = new Map(chat.Actions.map((a) => [a.Identifier, a]));

  it('is well formed, and logs nothing (a chat flow log would hold what the customer types)', () => {
    wellFormed(chat);
    expect(loggedActions(chat).size).toBe(0);
  });

  it('hands the chat to the bot’s alias, then goes where the bot’s closing answer says', () => {
    expect(chatById.get('Bot')!.Parameters!.LexV2Bot).toEqual({ AliasArn: ALIAS });
    const next = chatById.get('Next')!;
    expect(next.Parameters!.ComparisonValue).toBe('$.Lex.SessionAttributes.next');
    const on = Object.fromEntries(
      next.Transitions!.Conditions!.map((c) => [c.Condition.Operands[0], c.NextAction]),
    );
    expect(on).toEqual({ END: 'Disconnect', ...Object.fromEntries(QUEUES.map((q) => [q, `Queue_${q}`])) });
    // Anything else, a bot error, a silence: the retention specialists.
    expect(next.Transitions!.NextAction).toBe('Queue_FALLBACK');
    expect(chatById.get('Bot')!.Transitions!.Errors).toContainEqual({
      NextAction: 'Queue_FALLBACK',
      ErrorType: 'NoMatchingError',
    });
    expect(chatById.get('Queue_FALLBACK')!.Parameters!.QueueId).toBe(queueArns.RETENTION_SPECIALIST);
    expect(() => retentionChatFlow(ALIAS, { FRAUD: 'x' })).toThrow(/RETENTION_SPECIALIST/);
  });
});

describe('Connect, as synthesized with the instance and its queues', () => {
  const { app, service } = buildApp({
    bundling: false,
    context: { connectInstanceArn: INSTANCE, connectQueueArns: JSON.stringify(queueArns) },
  });
  const tpl = Template.fromStack(service);
  const aliasId = Object.keys(tpl.findResources('AWS::Lex::BotAlias'))[0]!;

  it('holds both flows, the chat one naming the live alias', () => {
    const flows = Object.values(tpl.findResources('AWS::Connect::ContactFlow')).map((r) => r.Properties);
    expect(flows.map((f) => f.Name).sort()).toEqual([
      'Retention Desk — retention call',
      'Retention Desk — retention chat',
    ]);
    const chatFlow = flows.find((f) => f.Name.endsWith('chat'))!;
    expect(JSON.stringify(chatFlow.Content)).toContain(aliasId);
    expect(JSON.stringify(chatFlow.Content)).toContain('ConnectParticipantWithLexBot');
  });

  it('associates the adapter and the bot with the instance (no console step)', () => {
    const assoc = Object.values(tpl.findResources('AWS::Connect::IntegrationAssociation')).map(
      (r) => r.Properties,
    );
    expect(assoc.map((a) => a.IntegrationType).sort()).toEqual(['LAMBDA_FUNCTION', 'LEX_BOT']);
    for (const a of assoc) expect(a.InstanceId).toBe(INSTANCE);
    expect(assoc.find((a) => a.IntegrationType === 'LEX_BOT')!.IntegrationArn).toEqual({
      'Fn::GetAtt': [aliasId, 'Arn'],
    });
    expect(
      JSON.stringify(assoc.find((a) => a.IntegrationType === 'LAMBDA_FUNCTION')!.IntegrationArn),
    ).toMatch(/^{"Ref":"ConnectAdapterLive[0-9A-F]{8}"}$/);
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});
