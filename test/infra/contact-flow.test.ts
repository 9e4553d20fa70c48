import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { type FlowAction, retentionFlow } from '../../infra/constructs/contact-flow';
import { QUEUES } from '../../shared/schemas/config';

const INSTANCE = 'arn:aws:connect:us-east-1:123456789012:instance/9f1a0c1e-2b7d-4a31-8d0e-4c5b6a7d8e9f';
const queueArns = Object.fromEntries(QUEUES.map((q, i) => [q, `${INSTANCE}/queue/q-${i}`]));
const flow = retentionFlow('arn:aws:lambda:us-east-1:123456789012:function:adapter', queueArns);
const byId = new Map(flow.Actions.map((a) => [a.Identifier, a]));
const targets = (a: FlowAction) => [
  ...(a.Transitions?.NextAction ? [a.Transitions.NextAction] : []),
  ...(a.Transitions?.Conditions ?? []).map((c) => c.NextAction),
  ...(a.Transitions?.Errors ?? []).map((e) => e.NextAction),
];

describe('Connect contact flow (flow language 2019-10-30)', () => {
  it('every transition names an action of the flow, identifiers are unique, and every action is reachable', () => {
    expect(byId.size).toBe(flow.Actions.length);
    expect(byId.has(flow.StartAction)).toBe(true);
    for (const a of flow.Actions)
      for (const t of targets(a)) expect(byId.has(t), `${a.Identifier} → ${t}`).toBe(true);
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const t of targets(byId.get(id)!)) visit(t);
    };
    visit(flow.StartAction);
    expect([...byId.keys()].filter((id) => !seen.has(id))).toEqual([]);
  });

  it('every path ends in a transfer or a goodbye: only DisconnectParticipant and the transfer have no next action', () => {
    for (const a of flow.Actions.filter((x) => !x.Transitions?.NextAction))
      expect(['DisconnectParticipant', 'TransferContactToQueue']).toContain(a.Type);
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
