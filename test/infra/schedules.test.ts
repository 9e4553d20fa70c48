import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { RetentionFunction } from '../../infra/constructs/retention-function';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { PORTFOLIO_SEGMENTS } from '../../shared/application/portfolio';
import { type Json, lenient, roleStatements } from './helpers';
import { dashboardBody } from './metric-references';

/**
 * The stack's schedules on EventBridge Scheduler (the daily placement of the portfolio, the funnels
 * every 5 minutes): what they invoke with what, their retries and dead-letter queue, the roles
 * Scheduler assumes, PublishFunnels' least privilege, and the dashboard's funnel widget.
 */
const { data, service } = buildApp({ bundling: false, context: lenient });
const tpl = Template.fromStack(service);
const resources = tpl.toJSON().Resources as Record<string, Json>;
const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);
const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const fnId = (entry: string) => {
  for (const c of service.node.findAll())
    if (c instanceof RetentionFunction && c.entryName === entry) return logicalId(c);
  throw new Error(`no function ${entry}`);
};
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const schedules = ofType('AWS::Scheduler::Schedule').map(([, r]) => r.Properties as Json);
const targeting = (entry: string) =>
  schedules.filter((s) => JSON.stringify(s.Target.Arn) === JSON.stringify(arnOf(fnId(entry))));
const groups = ofType('AWS::Scheduler::ScheduleGroup');
const queues = ofType('AWS::SQS::Queue').filter(([id]) => id.startsWith('Schedules'));
const dlqArn = () => arnOf(queues[0]![0]);

describe('schedules (EventBridge Scheduler)', () => {
  it('place the portfolio daily, one schedule per segment, at 03:00 UTC within a flexible hour, each retried and dead-lettered', () => {
    // No EventBridge rule invokes PlacePortfolio any more: Scheduler does.
    for (const [, r] of ofType('AWS::Events::Rule'))
      expect(JSON.stringify(r.Properties.Targets ?? [])).not.toContain(fnId('place-portfolio'));
    const daily = targeting('place-portfolio');
    expect(daily).toHaveLength(PORTFOLIO_SEGMENTS);
    expect(daily.map((s) => JSON.parse(s.Target.Input)).sort((a, b) => a.segment - b.segment)).toEqual(
      Array.from({ length: PORTFOLIO_SEGMENTS }, (_, segment) => ({
        segment,
        totalSegments: PORTFOLIO_SEGMENTS,
        cause: 'SCHEDULE',
      })),
    );
    const schedulesById = ofType('AWS::Scheduler::Schedule');
    // Made after their group (they name it, they do not reference it).
    for (const [, r] of schedulesById) expect(r.DependsOn).toContain(groups[0]![0]);
    for (const s of daily) {
      expect(s).toMatchObject({
        ScheduleExpression: 'cron(0 3 * * ? *)',
        ScheduleExpressionTimezone: 'Etc/UTC',
        FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
        State: 'ENABLED',
        GroupName: groups[0]![1].Properties.Name,
      });
      expect(s.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 6 * 3600 });
      expect(s.Target.DeadLetterConfig).toEqual({ Arn: dlqArn() });
    }
  });

  it('publish the funnels every 5 minutes, on time (no flexible window), with short retries and the same dead-letter queue', () => {
    const every5 = targeting('publish-funnels');
    expect(every5).toHaveLength(1);
    expect(every5[0]).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      GroupName: groups[0]![1].Properties.Name,
    });
    expect(every5[0]!.Target.Input).toBeUndefined();
    expect(every5[0]!.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 120 });
    expect(every5[0]!.Target.DeadLetterConfig).toEqual({ Arn: dlqArn() });
    // The stack's schedules are these five, all in one group.
    expect(schedules).toHaveLength(PORTFOLIO_SEGMENTS + 1);
    expect(groups).toHaveLength(1);
  });

  it.each([['place-portfolio'], ['publish-funnels']])(
    "Scheduler's role for %s: trusted by Scheduler from this account and group only, may invoke that function (no version or alias wildcard) and dead-letter",
    (entry) => {
      const roleIds = [...new Set(targeting(entry).map((s) => s.Target.RoleArn['Fn::GetAtt'][0] as string))];
      expect(roleIds).toHaveLength(1);
      const role = resources[roleIds[0]!]!.Properties;
      expect(role.ManagedPolicyArns ?? []).toEqual([]);
      expect(role.Policies ?? []).toEqual([]);
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: {
              'aws:SourceAccount': { Ref: 'AWS::AccountId' },
              'aws:SourceArn': arnOf(groups[0]![0]),
            },
          },
        },
      ]);
      const statements = ofType('AWS::IAM::Policy')
        .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === roleIds[0]))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
      expect(statements).toEqual([
        { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: arnOf(fnId(entry)) },
        { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: dlqArn() },
      ]);
    },
  );

  it('the dead-letter queue is encrypted, SSL only, kept 14 days, and watched by an alarm that says what to do', () => {
    expect(queues).toHaveLength(1);
    expect(queues[0]![1].Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    const policy = ofType('AWS::SQS::QueuePolicy').find(([, p]) =>
      JSON.stringify(p.Properties.Queues).includes(queues[0]![0]),
    )![1].Properties.PolicyDocument.Statement as Json[];
    expect(
      policy.some((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'),
    ).toBe(true);
    const alarm = ofType('AWS::CloudWatch::Alarm').find(([id]) => id.includes('ScheduledRunsFailed'))![1]
      .Properties;
    expect(alarm).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queues[0]![0], 'QueueName'] } }],
      Threshold: 1,
    });
    expect(alarm.AlarmDescription).toMatch(/POST \/v1\/admin\/strategies\/placement/);
  });

  it("a placement segment that fails after Lambda's two retries is dead-lettered; a failed funnel publication is not retried (the next run is)", () => {
    const configs = ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties as Json);
    const of = (entry: string) => configs.filter((c) => c.FunctionName?.Ref === fnId(entry));
    expect(of('place-portfolio')).toEqual([
      expect.objectContaining({
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: dlqArn() } },
      }),
    ]);
    expect(of('publish-funnels')).toEqual([expect.objectContaining({ MaximumRetryAttempts: 0 })]);
    expect(of('publish-funnels')[0]!.DestinationConfig).toBeUndefined();
  });
});

describe('publish-funnels: least privilege', () => {
  it("reads the active configuration's item and the funnel counters (FUNNEL# items, by BatchGet), nothing else, and writes nothing", () => {
    const statements = roleStatements<Json>(tpl, fnId('publish-funnels')).filter(
      (s) => ![s.Action].flat().every((a: string) => /^(logs|xray):/.test(a)),
    );
    const importOf = (t: IConstruct) => JSON.stringify(statements).includes(logicalId(t));
    expect(importOf(data.catalog) && importOf(data.counters)).toBe(true);
    expect(
      statements.map((s) => [
        s.Action,
        JSON.stringify(s.Resource).includes(logicalId(data.catalog)) ? 'catalog' : 'counters',
        s.Condition,
      ]),
    ).toEqual([
      [
        'dynamodb:GetItem',
        'catalog',
        { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['DECISION_CONFIG'] } },
      ],
      [
        'dynamodb:BatchGetItem',
        'counters',
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['FUNNEL#*'] } },
      ],
      // Its failed invocations go nowhere (none but the schedule's own dead letters): no SendMessage.
    ]);
    for (const s of statements) expect(JSON.stringify(s.Resource)).not.toMatch(/index|\*/);
  });
});

describe('the dashboard: the strategies’ funnels', () => {
  const widgets = dashboardBody(ofType('AWS::CloudWatch::Dashboard')[0]![1]).widgets as Json[];
  const titled = (t: string) => widgets.find((w) => w.properties?.title === t)?.properties as Json;

  it('a bar per strategy and stage from a SEARCH over the metric, so strategies created at run time appear without a deploy', () => {
    const funnel = titled('Strategies: accounts at each stage (latest)');
    expect(funnel).toBeDefined();
    expect(funnel.view).toBe('bar');
    // The latest period's value, not a sum over the dashboard's range.
    expect(funnel.setPeriodToTimeRange ?? false).toBe(false);
    expect(funnel.metrics).toEqual([
      [
        expect.objectContaining({
          expression:
            "SEARCH('{RetentionDesk,strategyId,stageId} MetricName=\"StrategyStageAccounts\" ', 'Maximum', 300)",
        }),
      ],
    ]);
    // Built from no configuration: no strategy of the default one is named anywhere in the dashboard.
    const body = JSON.stringify(widgets);
    for (const s of DEFAULT_CONFIG.strategies ?? []) expect(body).not.toContain(s.strategyId);
  });

  it("beside it, the placement's progress: segments done (of 4) and accounts reached", () => {
    const placing = titled('Placing the portfolio (active configuration)');
    const names = (placing.metrics as unknown[][]).map((m) => m.slice(0, 2));
    expect(names).toEqual([
      ['RetentionDesk', 'PlacementSegmentsDone'],
      ['RetentionDesk', 'PlacementAccountsScanned'],
    ]);
    expect(placing.yAxis.left).toMatchObject({ min: 0, max: PORTFOLIO_SEGMENTS });
  });
});
