import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { CANARY_ACCOUNT_ID } from '../../shared/domain/canary';
import { type Json, lenient, roleStatements } from './helpers';

/** The canary on AWS: a schedule, least privilege, and an alarm that also fires when it stops. */
const { service } = buildApp({ bundling: false, context: lenient });
const tpl = Template.fromStack(service);
const resources = tpl.toJSON().Resources as Record<string, Json>;
const fnId = Object.entries(resources).find(
  ([, r]) =>
    r.Type === 'AWS::Lambda::Function' &&
    String(r.Properties.Role?.['Fn::GetAtt']?.[0]).startsWith('CanaryCall'),
)![0];

describe('canary', () => {
  it('is called every 5 minutes by a schedule, with no retry', () => {
    // The canary's rule (the stack's other schedules are EventBridge Scheduler's: test/infra/schedules.test.ts).
    const rules = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::Events::Rule' &&
        r.Properties.ScheduleExpression &&
        JSON.stringify(r.Properties.Targets).includes(`"${fnId}"`),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
    expect(rule.Targets[0].RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
  });

  it('may start the state machine, put only the canary account and read the pepper: nothing else', () => {
    const statements = roleStatements<Json>(tpl, fnId).filter(
      (s) => !String(s.Action).startsWith('xray:') && !String(s.Action).startsWith('logs:'),
    );
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual([
      'dynamodb:PutItem',
      'secretsmanager:GetSecretValue',
      'states:StartSyncExecution',
    ]);
    const put = statements.find((s) => s.Action === 'dynamodb:PutItem')!;
    expect(put.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CANARY_ACCOUNT_ID] },
    });
  });

  it('has an alarm: no passed call in 15 minutes, a stopped canary included (missing data breaches)', () => {
    const alarm = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::CloudWatch::Alarm' && id.includes('CanaryFailing'),
    )![1].Properties;
    expect(alarm).toMatchObject({
      MetricName: 'CanaryCalls',
      Dimensions: [{ Name: 'result', Value: 'passed' }],
      Statistic: 'Sum',
      Period: 900,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    expect(alarm.AlarmDescription).toMatch(/step and why/);
  });
});
