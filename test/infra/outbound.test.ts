import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { type Json, lenient, nagFindings, roleStatements } from './helpers';

/** The CDK side of contact that Retention Desk starts, synthesized with and without a Connect instance. */
const INSTANCE = 'arn:aws:connect:us-east-1:123456789012:instance/9f1a0c1e-2b7d-4a31-8d0e-4c5b6a7d8e9f';
const CONNECT = {
  connectInstanceArn: INSTANCE,
  connectRetentionFlowArn: `${INSTANCE}/contact-flow/11111111-2222-3333-4444-555555555555`,
  connectOutboundTaskQueueArn: `${INSTANCE}/queue/66666666-7777-8888-9999-000000000000`,
};
const synth = (context: Record<string, unknown>) => {
  const built = buildApp({ bundling: false, context: { ...lenient, ...context } });
  return { ...built, tpl: Template.fromStack(built.service) };
};
/** A function's logical id by its construct id (StartOutbound, PublishEvents). */
const fnId = (tpl: Template, entry: 'start-outbound' | 'publish-events') => {
  const name = entry === 'start-outbound' ? 'OutboundStartOutbound' : 'OutboundPublishEvents';
  const ids = Object.keys(tpl.findResources('AWS::Lambda::Function')).filter((id) =>
    new RegExp(`^${name}[0-9A-F]{8}$`).test(id),
  );
  expect(ids).toHaveLength(1);
  return ids[0]!;
};

describe('outbound contact and the outbox, as synthesized', () => {
  const { app, tpl } = synth(CONNECT);
  const starter = fnId(tpl, 'start-outbound');
  const statements = roleStatements<Json>(tpl, starter);

  it('start-outbound may start calls and tasks on the given instance only, into its own two flows', () => {
    const connect = statements.filter((s) => JSON.stringify(s.Action).includes('connect:'));
    expect(connect).toHaveLength(1);
    expect(connect[0]!.Action).toEqual(['connect:StartOutboundVoiceContact', 'connect:StartTaskContact']);
    const resources = JSON.stringify(connect[0]!.Resource);
    expect(resources).toContain(`${INSTANCE}/contact/*`);
    expect(resources).not.toMatch(/"\*"/);
    const flows = Object.values(tpl.findResources('AWS::Connect::ContactFlow')) as Json[];
    const outbound = flows.filter((f) => String(f.Properties.Name).includes('outbound'));
    expect(outbound.map((f) => f.Properties.InstanceArn)).toEqual([INSTANCE, INSTANCE]);
    // The outbound call greets (SSML) and joins the same retention call.
    const voice = JSON.parse(
      JSON.stringify(outbound.find((f) => f.Properties.Name.includes('call'))!.Properties.Content),
    );
    const text = typeof voice === 'string' ? voice : JSON.stringify(voice);
    expect(text).toContain('TransferToFlow');
    expect(text).toContain('<speak>');
    expect(text).toContain(CONNECT.connectRetentionFlowArn);
  });

  it('schedules only its own outbound-* one-time schedules, passing only its scheduler role', () => {
    const create = statements.find((s) => s.Action === 'scheduler:CreateSchedule')!;
    expect(JSON.stringify(create.Resource)).toContain(':schedule/default/outbound-*');
    const pass = statements.find((s) => s.Action === 'iam:PassRole')!;
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });

  it("publishes the outbox's items and the offer log's decisions from their streams, at least once", () => {
    const maps = (Object.values(tpl.findResources('AWS::Lambda::EventSourceMapping')) as Json[]).filter(
      (m) => m.Properties.FunctionName.Ref === fnId(tpl, 'publish-events'),
    );
    const patterns = maps
      .map((m) => JSON.parse(m.Properties.FilterCriteria.Filters[0].Pattern))
      .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    expect(patterns).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: [{ prefix: 'OUTBOX#' }] } } } },
      { eventName: ['INSERT'], dynamodb: { NewImage: { event: { S: ['ACCEPTED', 'CLOSURE_REQUESTED'] } } } },
    ]);
    for (const m of maps) {
      expect(m.Properties.BisectBatchOnFunctionError).toBe(true);
      expect(m.Properties.MaximumRetryAttempts).toBe(10_000);
    }
    const put = roleStatements<Json>(tpl, fnId(tpl, 'publish-events')).filter(
      (s) => s.Action === 'events:PutEvents',
    );
    expect(put).toHaveLength(1);
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(app)).toEqual([]);
  });

  it('is cdk-nag clean where the CLI knows the region and account (a configured machine, as on deploy)', () => {
    const saved = { region: process.env.CDK_DEFAULT_REGION, account: process.env.CDK_DEFAULT_ACCOUNT };
    process.env.CDK_DEFAULT_REGION = 'eu-central-1';
    process.env.CDK_DEFAULT_ACCOUNT = '123456789012';
    try {
      const { app: configured, service } = synth(CONNECT);
      expect(service.region).toBe('eu-central-1');
      expect(nagFindings(configured)).toEqual([]);
    } finally {
      for (const [k, v] of [
        ['CDK_DEFAULT_REGION', saved.region],
        ['CDK_DEFAULT_ACCOUNT', saved.account],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });
});

describe('without a Connect instance', () => {
  it('no flow and no Connect permission; messages and the outbox still work', () => {
    const { tpl } = synth({});
    expect(Object.keys(tpl.findResources('AWS::Connect::ContactFlow'))).toEqual([]);
    const statements = roleStatements<Json>(tpl, fnId(tpl, 'start-outbound'));
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('connect:'))).toEqual([]);
  });
});
