import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { METRICS } from '../../shared/domain/metrics';
import { type Json, lenient } from './helpers';
import { metricReferences } from './metric-references';

const { service } = buildApp({ bundling: false, context: lenient });
const tpl = Template.fromStack(service);
const resources = tpl.toJSON().Resources as Record<string, Json>;
const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);
const topicId = ofType('AWS::SNS::Topic')[0]![0];

describe('operations: alarms that reach someone', () => {
  it('one topic, encrypted with a key of ours (rotated) that CloudWatch may use, SSL only', () => {
    expect(ofType('AWS::SNS::Topic')).toHaveLength(1);
    const topic = resources[topicId]!.Properties;
    const keyId = topic.KmsMasterKeyId['Fn::GetAtt'][0] as string;
    expect(resources[keyId]!.Properties.EnableKeyRotation).toBe(true);
    const statements = resources[keyId]!.Properties.KeyPolicy.Statement as Json[];
    expect(statements.some((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com')).toBe(true);
    const policy = ofType('AWS::SNS::TopicPolicy')[0]![1].Properties.PolicyDocument.Statement as Json[];
    expect(
      policy.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
    ).toBe(true);
  });

  it('every alarm of the stack, the dead-letter alarm included, notifies the topic on alarm and on recovery, and says what to do', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.map(([id]) => id).join(' ')).toMatch(/DeadLetters/);
    expect(alarms.length).toBeGreaterThanOrEqual(8);
    for (const [id, a] of alarms) {
      expect(a.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
      expect(String(a.Properties.AlarmDescription ?? '').length, id).toBeGreaterThan(80);
    }
  });

  it('an e-mail subscription only when one is given as context', () => {
    expect(ofType('AWS::SNS::Subscription')).toHaveLength(0);
    const withEmail = Template.fromStack(
      buildApp({ bundling: false, context: { ...lenient, alarmEmail: 'ops@example.com' } }).service,
    );
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});

describe('operations: the dashboard and the saved queries', () => {
  it('one dashboard, and the four saved queries over the functions’ log groups', () => {
    expect(ofType('AWS::CloudWatch::Dashboard')).toHaveLength(1);
    const queries = ofType('AWS::Logs::QueryDefinition').map(([, q]) => q.Properties);
    expect(queries.map((q) => String(q.Name).split('/').at(-1))).toEqual([
      "one contact's trail",
      'fallbacks by reason',
      'slowest turns',
      'time in each strategy stage',
    ]);
    for (const q of queries) expect(q.LogGroupNames).toHaveLength(15);
  });

  it('names only metrics of the catalog, each under one of its dimension sets', () => {
    const refs = metricReferences(tpl.toJSON());
    expect(refs.length).toBeGreaterThan(30);
    for (const r of refs) {
      const spec = METRICS[r.name as keyof typeof METRICS];
      expect(spec, `${r.name} in ${r.where}`).toBeDefined();
      const sets = (spec.sets as readonly (readonly string[])[]).map((s) => [...s].sort().join(','));
      expect(sets, `${r.name} in ${r.where}`).toContain([...r.dimensions].sort().join(','));
    }
  });
});
