import { describe, expect, it } from 'vitest';
import {
  accessLogBytes,
  bill,
  type ContactMeasurement,
  expressLogEvents,
  fixedMonthly,
  itemSize,
  PRICES,
  readArchitecture,
  runsPerMonth,
  SCHEDULE_MODEL,
  type TurnMeasurement,
  whatIfs,
} from '../bench/cost-model';

/** A small template: a channel function, a task function, an Express machine, a table, an API, a sampling rule. */
const template = {
  Resources: {
    Chan: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        MemorySize: 1024,
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: { LOG_LEVEL: 'INFO' } },
        LoggingConfig: { LogGroup: { Ref: 'ChanLogs' } },
      },
    },
    ChanLogs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupClass: 'INFREQUENT_ACCESS' } },
    // x86_64 by default; POWERTOOLS_LOG_LEVEL wins over LOG_LEVEL.
    Task: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        MemorySize: 512,
        Environment: { Variables: { LOG_LEVEL: 'INFO', POWERTOOLS_LOG_LEVEL: 'WARN' } },
      },
    },
    Machine: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        StateMachineType: 'EXPRESS',
        DefinitionString: {
          'Fn::Join': [
            '',
            [
              '{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"',
              { 'Fn::GetAtt': ['Task', 'Arn'] },
              '","Next":"C"},"C":{"Type":"Choice","Choices":[],"Default":"P"},"P":{"Type":"Pass","End":true}}}',
            ],
          ],
        },
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
        TracingConfiguration: { Enabled: true },
      },
    },
    Table: {
      Type: 'AWS::DynamoDB::GlobalTable',
      Properties: { BillingMode: 'PAY_PER_REQUEST', GlobalSecondaryIndexes: [{ IndexName: 'byX' }] },
    },
    Rule: {
      Type: 'AWS::XRay::SamplingRule',
      Properties: { SamplingRule: { ServiceName: '*', FixedRate: 0.1, ReservoirSize: 0, Priority: 1 } },
    },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
    Method: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        RestApiId: { Ref: 'Api' },
        HttpMethod: 'POST',
        Integration: {
          Uri: {
            'Fn::Join': [
              '',
              [
                'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/',
                { 'Fn::GetAtt': ['Chan', 'Arn'] },
                '/invocations',
              ],
            ],
          },
        },
      },
    },
    Stage: {
      Type: 'AWS::ApiGateway::Stage',
      Properties: {
        RestApiId: { Ref: 'Api' },
        AccessLogSetting: { Format: '{"status":"$context.status"}' },
        MethodSettings: [
          { ResourcePath: '/*', HttpMethod: '*', LoggingLevel: 'ERROR', MetricsEnabled: false },
        ],
      },
    },
    Authorizer: {
      Type: 'AWS::ApiGateway::Authorizer',
      Properties: { RestApiId: { Ref: 'Api' }, Type: 'COGNITO_USER_POOLS' },
    },
  },
};
const arch = readArchitecture([{ stackName: 'S', template }], { Chan: 'chan', Task: 'task' });

const line = (entry: string, level: string, bytes: number) => ({
  entry,
  level,
  bytes,
  powertools: false,
  context: false,
  metrics: 0,
});
const aTurn = (http?: TurnMeasurement['http']): TurnMeasurement => ({
  step: 'x',
  channelMs: 40.2,
  invocations: [{ entry: 'task', state: 'T', ms: 12.3 }],
  runs: [
    {
      ms: 150,
      states: [
        { name: 'T', type: 'Task', inputBytes: 10, outputBytes: 10 },
        { name: 'C', type: 'Choice', inputBytes: 10, outputBytes: 10 },
        { name: 'P', type: 'Pass', inputBytes: 10, outputBytes: 10 },
      ],
      retries: 0,
      caught: 0,
      failed: false,
      maxDataBytes: 1000,
    },
  ],
  dynamo: [
    { op: 'GetItem', consistent: true, units: [{ table: 'Table', read: 1, write: 0 }] },
    {
      op: 'TransactWriteItems',
      consistent: false,
      transactItems: 1,
      units: [
        { table: 'Table', read: 0, write: 4 },
        { table: 'Table', index: 'byX', read: 0, write: 2 },
      ],
    },
  ],
  // The task's INFO line is under its WARN level: dropped.
  logs: [line('task', 'WARN', 300), line('task', 'INFO', 200), line('chan', 'INFO', 100)],
  ...(http ? { http } : {}),
  itemBytes: {},
});
const voice: ContactMeasurement = {
  channel: 'voice',
  channelEntry: 'chan',
  stateMachine: 'Machine',
  accountId: 'A',
  turns: [aTurn(), aTurn()],
};
const GB = 1024 ** 3;
const usd = (b: ReturnType<typeof bill>, what: string) => b.lines.find((l) => l.what === what)?.usdPerMillion;

describe('the template, as the bill reads it', () => {
  it('memory, architecture, levels, log class, tracing, machine, API and sampling', () => {
    const [chan, task] = arch.functions;
    expect(chan).toMatchObject({
      entry: 'chan',
      memoryMB: 1024,
      arch: 'arm64',
      tracing: true,
      appLogLevel: 'INFO',
      logClass: 'INFREQUENT_ACCESS',
    });
    expect(task).toMatchObject({
      entry: 'task',
      memoryMB: 512,
      arch: 'x86_64',
      tracing: false,
      appLogLevel: 'WARN',
      logClass: 'STANDARD',
    });
    expect(arch.stateMachines[0]).toMatchObject({
      type: 'EXPRESS',
      logLevel: 'ALL',
      includeExecutionData: false,
      tracing: true,
    });
    expect(arch.stateMachines[0]!.resources.T).toMatch(/:function:S-Task-/);
    expect(arch.apis[0]).toMatchObject({
      kind: 'REST',
      targets: ['chan'],
      authorizers: ['COGNITO_USER_POOLS'],
      executionLogLevel: 'ERROR',
    });
    expect(arch.xray).toMatchObject({ fixedRate: 0.1, reservoirPerSecond: 0 });
    expect(arch.tables[0]).toMatchObject({ billingMode: 'PAY_PER_REQUEST', indexes: ['byX'] });
  });
});

describe('levels and sampling as Lambda, Powertools and X-Ray apply them', () => {
  const fn = (props: Record<string, unknown>) => ({ Type: 'AWS::Lambda::Function', Properties: props });
  const rule = (serviceName: string, fixedRate: number, priority: number) => ({
    Type: 'AWS::XRay::SamplingRule',
    Properties: {
      SamplingRule: { ServiceName: serviceName, FixedRate: fixedRate, ReservoirSize: 1, Priority: priority },
    },
  });
  const read = (resources: Record<string, unknown>) =>
    readArchitecture([{ stackName: 'S', template: { Resources: resources } }], {});

  it('JSON format: the application level is the ALC level (INFO when unset), whatever LOG_LEVEL says', () => {
    const a = read({
      Json: fn({ Environment: { Variables: { LOG_LEVEL: 'WARN' } }, LoggingConfig: { LogFormat: 'JSON' } }),
      JsonWarn: fn({
        Environment: { Variables: { LOG_LEVEL: 'DEBUG' } },
        LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'WARN', SystemLogLevel: 'WARN' },
      }),
      Text: fn({
        Environment: { Variables: { LOG_LEVEL: 'WARN' } },
        LoggingConfig: { ApplicationLogLevel: 'ERROR' },
      }),
    });
    expect(a.functions.map((f) => [f.logFormat, f.appLogLevel, f.systemLogLevel])).toEqual([
      ['JSON', 'INFO', 'INFO'],
      ['JSON', 'WARN', 'WARN'],
      ['Text', 'WARN', 'INFO'],
    ]);
  });

  it('a sampling rule counts only when its service name matches one of the functions', () => {
    const fns = { Fn: fn({ FunctionName: 'Stack-Service-Fn-123' }) };
    expect(read({ ...fns, R: rule('Stack-Service*', 0.01, 100) }).xray.fixedRate).toBe(0.01);
    expect(read({ ...fns, R: rule('Other-App*', 0.5, 1) }).xray).toMatchObject({ fixedRate: 0.05 });
    // The matching rule of lowest priority number wins; a non-matching one of lower number is skipped.
    expect(
      read({ ...fns, A: rule('Other*', 0.5, 1), B: rule('Stack-?ervice-*', 0.02, 5), C: rule('*', 0.3, 9) })
        .xray.fixedRate,
    ).toBe(0.02);
  });
});

describe('the bill of a contact, per million', () => {
  const b = bill(arch, voice);

  it('Lambda: requests, and GB-s per architecture (ms rounded up)', () => {
    expect(usd(b, 'Lambda requests')).toBeCloseTo(4 * 0.2, 10);
    // chan: 1 GB × 41 ms × 2; task: 0.5 GB × 13 ms × 2.
    expect(usd(b, 'Lambda duration (arm64)')).toBeCloseTo(0.082 * 0.0000133334 * 1e6, 10);
    expect(usd(b, 'Lambda duration (x86_64)')).toBeCloseTo(0.013 * 0.0000166667 * 1e6, 10);
  });

  it('Express: a request per run, duration in 100 ms steps at 64 MB', () => {
    expect(usd(b, 'Express requests')).toBeCloseTo(2, 10);
    // 150 ms → 200 ms, at 64 MB (50 MB + definition + 1 KB of data), twice.
    expect(usd(b, 'Express duration')).toBeCloseTo(2 * 0.2 * (64 / 1024) * (0.06 / 3600) * 1e6, 10);
  });

  it('DynamoDB: the units consumed, tables and indexes', () => {
    expect(usd(b, 'DynamoDB read units')).toBeCloseTo(2 * 0.125, 10);
    expect(usd(b, 'DynamoDB write units')).toBeCloseTo(12 * 0.625, 10);
  });

  it("Logs: lines at or above the function's level, at its log group's class", () => {
    // task: 300 B × 2 at $0.50 per GB; chan: 100 B × 2 at $0.25 (Infrequent Access).
    expect(usd(b, "Logs: the functions' own lines")).toBeCloseTo(((600 * 0.5 + 200 * 0.25) / GB) * 1e6, 10);
    expect(expressLogEvents(arch.stateMachines[0]!, voice.turns[0]!.runs[0]!).events).toBe(11);
    expect(
      expressLogEvents({ ...arch.stateMachines[0]!, logLevel: 'ERROR' }, voice.turns[0]!.runs[0]!).events,
    ).toBe(0);
    const events = expressLogEvents(arch.stateMachines[0]!, voice.turns[0]!.runs[0]!);
    expect(usd(b, 'Logs: state machine events')).toBeCloseTo(((2 * events.bytes * 0.5) / GB) * 1e6, 10);
  });

  it('X-Ray at the rule’s fixed rate; the total is the sum of the lines', () => {
    expect(usd(b, 'X-Ray traces')).toBeCloseTo(2 * 0.1 * 5, 10);
    expect(b.total).toBeCloseTo(
      b.lines.reduce((n, l) => n + l.usdPerMillion, 0),
      10,
    );
    expect(b.lines.find((l) => l.what.startsWith('API'))).toBeUndefined();
  });

  it('the floor: per turn a channel invocation, an Express run at its minimum, half a read unit and a write unit', () => {
    const chan = 0.2 + 1 * 0.001 * 0.0000133334 * 1e6;
    const express = 1 + (64 / 1024) * 0.1 * (0.06 / 3600) * 1e6;
    expect(b.floor.total).toBeCloseTo(2 * (chan + express + 0.5 * 0.125 + 0.625), 10);
  });
});

describe('the agent channel: the API in front', () => {
  const agent: ContactMeasurement = {
    ...voice,
    channel: 'agent',
    turns: [1, 2, 3, 4].map(() =>
      aTurn({
        method: 'POST',
        resource: '/v1/contacts',
        status: 201,
        requestBytes: 100,
        responseBytes: 1000,
      }),
    ),
  };
  const b = bill(arch, agent);

  it('REST requests, access lines, answers out; its floor pays the REST request', () => {
    expect(usd(b, 'API Gateway requests (REST API)')).toBeCloseTo(4 * 3.5, 10);
    expect(accessLogBytes('{"status":"$context.status"}', agent.turns[0]!.http!)).toBe(16);
    expect(usd(b, 'Logs: API access and execution logs')).toBeCloseTo(((4 * 16 * 0.5) / GB) * 1e6, 10);
    expect(usd(b, 'Data transfer out (answers)')).toBeCloseTo(((4000 * 0.09) / GB) * 1e6, 10);
    expect(b.floor.lines[0]).toMatchObject({ what: 'REST API request', usdPerMillion: 4 * 3.5 });
  });

  it('trade-offs: an HTTP API saves $2.50 a million requests; eventually consistent reads halve them; one-item transactions become plain writes', () => {
    const deltas = Object.fromEntries(whatIfs(arch, [agent]).map((w) => [w.label, w.delta.agent!]));
    expect(deltas['HTTP API (JWT authorizer) instead of the REST API']).toBeCloseTo(-4 * 2.5, 10);
    expect(deltas['eventually consistent reads instead of strongly consistent ones']).toBeCloseTo(
      -4 * 0.5 * 0.125,
      10,
    );
    expect(deltas['a plain conditional write where a transaction holds one item']).toBeCloseTo(
      -4 * 3 * 0.625,
      10,
    );
  });
});

describe("DynamoDB's item size rules", () => {
  it('names + values; numbers by significant digits; maps and lists 3 bytes + 1 per element', () => {
    expect(
      itemSize({
        a: { S: 'abc' },
        n: { N: '123.45' },
        m: { M: { x: { BOOL: true } } },
        l: { L: [{ S: 'xy' }] },
      }),
    ).toBe(4 + 5 + 7 + 7);
  });
});

describe('work on the clock: schedules and what their runs cost a month', () => {
  it.each([
    ['rate(5 minutes)', 8640],
    ['rate(1 hour)', 720],
    ['rate(1 day)', 30],
    ['cron(0 3 * * ? *)', 30],
    ['cron(0,30 3 * * ? *)', 60],
    ['cron(*/15 * * * ? *)', 2880],
    ['cron(0 9 ? * MON-FRI *)', 30 / 7],
    ['cron(0 9 1,15 * ? *)', 2],
    ['at(2026-12-24T09:00:00)', 0],
  ])('%s fires %d times in a 30-day month', (expression, runs) => {
    expect(runsPerMonth(expression)).toBeCloseTo(runs, 10);
  });

  const fn = (memory: number) => ({
    Type: 'AWS::Lambda::Function',
    Properties: { MemorySize: memory, Architectures: ['arm64'] },
  });
  const schedule = (target: string, expression: string) => ({
    Type: 'AWS::Scheduler::Schedule',
    Properties: { ScheduleExpression: expression, Target: { Arn: { 'Fn::GetAtt': [target, 'Arn'] } } },
  });
  const clock = readArchitecture(
    [
      {
        stackName: 'S',
        template: {
          Resources: {
            Pub: fn(512),
            Place: fn(1024),
            Every5: schedule('Pub', 'rate(5 minutes)'),
            ...Object.fromEntries(
              [0, 1, 2, 3].map((i) => [`Daily${i}`, schedule('Place', 'cron(0 3 * * ? *)')]),
            ),
          },
        },
      },
    ],
    { Pub: 'publish-funnels', Place: 'place-portfolio' },
  );
  const lines = fixedMonthly(clock, 0, PRICES, { active: 5, stages: 11 });
  const line = (what: string) => lines.find((l) => l.what === what)!;

  it('reads each schedule, the function it invokes and how often', () => {
    expect(clock.schedules).toHaveLength(5);
    expect(clock.schedules[0]).toMatchObject({ entry: 'publish-funnels', runsPerMonth: 8640, memoryMB: 512 });
    expect(clock.schedules.filter((s) => s.entry === 'place-portfolio').map((s) => s.runsPerMonth)).toEqual([
      30, 30, 30, 30,
    ]);
  });

  it("Scheduler's invocations, each target's runs (invocation, GB-s, read and write units, log bytes), and the funnel's metric streams", () => {
    expect(line('EventBridge Scheduler invocations')).toMatchObject({ quantity: 8640 + 120 });
    expect(line('EventBridge Scheduler invocations').usdPerMillion).toBeCloseTo(8760 * 1e-6, 12);
    const pub = SCHEDULE_MODEL['publish-funnels']!;
    const perRun =
      0.2e-6 +
      0.5 * (pub.msPerRun / 1000) * PRICES.lambdaGbSecondArm.usd +
      (5 * 8 + 4 + 5) * PRICES.ddbReadUnit.usd +
      pub.logBytesPerRun(11) * PRICES.logsStandard.usd;
    expect(line('publish-funnels (scheduled, off the turn)').quantity).toBe(8640);
    expect(line('publish-funnels (scheduled, off the turn)').usdPerMillion).toBeCloseTo(8640 * perRun, 10);
    expect(line('place-portfolio (scheduled, off the turn)')).toMatchObject({ quantity: 120 });
    expect(line('place-portfolio (scheduled, off the turn)').detail).toMatch(/4 schedules/);
    // A stream per stage of each active strategy, and the two placement gauges.
    expect(line('funnel metrics (StrategyStageAccounts, placement progress)')).toMatchObject({
      quantity: 13,
      usdPerMillion: 13 * 0.3,
    });
    // Small and fixed: the funnel publisher costs cents a month, its metric streams a few dollars.
    expect(line('publish-funnels (scheduled, off the turn)').usdPerMillion).toBeLessThan(0.5);
  });

  it('no schedule, no scheduled lines', () => {
    expect(fixedMonthly(arch, 0).map((l) => l.what)).not.toContain('EventBridge Scheduler invocations');
  });
});
