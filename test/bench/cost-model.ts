/**
 * The bill of one four-turn contact, as pure arithmetic: what the synthesized template says
 * (functions' memory and architecture, log levels and formats, the state machine's type, log level
 * and tracing, tables, the API's type, log groups, X-Ray sampling) read by `readArchitecture`, times
 * what a local run measured (`ContactMeasurement`, see test/bench/cost.ts), at the unit prices of
 * `PRICES`. Nothing here knows the architecture: change the template and the bill follows.
 */

// Template JSON, read field by field.
type Json = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// Unit prices: one table, each with its source. us-east-1, on-demand, no free tier, USD.
// ---------------------------------------------------------------------------------------------

export interface Price {
  usd: number;
  unit: string;
  source: string;
}

const GB = 1024 ** 3;
const SRC = {
  lambda: 'https://aws.amazon.com/lambda/pricing/',
  apigw: 'https://aws.amazon.com/api-gateway/pricing/',
  sfn: 'https://aws.amazon.com/step-functions/pricing/',
  ddb: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  cw: 'https://aws.amazon.com/cloudwatch/pricing/',
  xray: 'https://aws.amazon.com/xray/pricing/',
  transfer: 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer',
  secrets: 'https://aws.amazon.com/secrets-manager/pricing/',
  scheduler: 'https://aws.amazon.com/eventbridge/pricing/',
};

/** When and how the prices below were read. */
export const PRICES_READ =
  '2026-12-01, us-east-1, from copies of the AWS pricing pages (and third-party restatements of them) stored for this project; not checked against the live pages';

export const PRICES = {
  lambdaRequest: { usd: 0.2e-6, unit: 'invocation', source: SRC.lambda },
  lambdaGbSecondArm: {
    usd: 0.0000133334,
    unit: 'GB-s, arm64 (first 7.5 billion GB-s a month; billed per 1 ms)',
    source: SRC.lambda,
  },
  lambdaGbSecondX86: {
    usd: 0.0000166667,
    unit: 'GB-s, x86_64 (first 6 billion GB-s a month; billed per 1 ms)',
    source: SRC.lambda,
  },
  restApiRequest: { usd: 3.5e-6, unit: 'REST API request (first 333 million a month)', source: SRC.apigw },
  httpApiRequest: {
    usd: 1.0e-6,
    unit: 'HTTP API request, per 512 KB (first 300 million a month)',
    source: SRC.apigw,
  },
  expressRequest: { usd: 1.0e-6, unit: 'Express run', source: SRC.sfn },
  expressGbSecond: {
    usd: 0.06 / 3600,
    unit: 'Express GB-s ($0.06 per GB-hour, first 1,000 GB-hours a month; 100 ms and 64 MB steps)',
    source: SRC.sfn,
  },
  standardTransition: { usd: 0.000025, unit: 'Standard state transition', source: SRC.sfn },
  ddbReadUnit: {
    usd: 0.125e-6,
    unit: 'read request unit (on-demand, Standard table class)',
    source: SRC.ddb,
  },
  ddbWriteUnit: {
    usd: 0.625e-6,
    unit: 'write request unit (on-demand, Standard table class)',
    source: SRC.ddb,
  },
  logsStandard: {
    usd: 0.5 / GB,
    unit: 'byte ingested, Standard log class ($0.50 per GB; Lambda and Step Functions vended logs: first 10 TB)',
    source: SRC.cw,
  },
  logsInfrequent: { usd: 0.25 / GB, unit: 'byte ingested, Infrequent Access ($0.25 per GB)', source: SRC.cw },
  xrayTrace: { usd: 5e-6, unit: 'trace recorded', source: SRC.xray },
  transferOut: {
    usd: 0.09 / GB,
    unit: 'byte out to the internet ($0.09 per GB, first 10 TB)',
    source: SRC.transfer,
  },
  customMetricMonth: { usd: 0.3, unit: 'custom metric a month (first 10,000)', source: SRC.cw },
  alarmMonth: { usd: 0.1, unit: 'standard-resolution alarm a month', source: SRC.cw },
  dashboardMonth: { usd: 3, unit: 'dashboard a month', source: SRC.cw },
  secretMonth: { usd: 0.4, unit: 'secret a month', source: SRC.secrets },
  storageGbMonth: { usd: 0.25, unit: 'GB-month of table storage (Standard class)', source: SRC.ddb },
  schedulerInvocation: {
    usd: 1.0e-6,
    unit: 'EventBridge Scheduler invocation (after the first 14 million a month)',
    source: SRC.scheduler,
  },
} satisfies Record<string, Price>;
export type PriceTable = typeof PRICES;

// ---------------------------------------------------------------------------------------------
// The architecture, read from the synthesized templates.
// ---------------------------------------------------------------------------------------------

export type LogClass = 'STANDARD' | 'INFREQUENT_ACCESS';

export interface FunctionSpec {
  logicalId: string;
  /** `functions/<entry>.ts`, when the function is one of ours. */
  entry?: string;
  memoryMB: number;
  arch: 'arm64' | 'x86_64';
  tracing: boolean;
  logFormat: 'Text' | 'JSON';
  /** The lowest level of the function's own lines that reaches CloudWatch (Powertools and Lambda's ALC). */
  appLogLevel: string;
  /** Lambda's own lines (START, END, REPORT) in JSON format are filtered at this level. */
  systemLogLevel: string;
  /** POWERTOOLS_LOGGER_SAMPLE_RATE: that share of invocations logs at DEBUG. */
  sampleRate: number;
  logClass: LogClass;
  /** The name CloudFormation gives it (its length is what the log lines carry). */
  awsName: string;
}

export interface StateMachineSpec {
  logicalId: string;
  type: 'EXPRESS' | 'STANDARD';
  logLevel: 'ALL' | 'ERROR' | 'FATAL' | 'OFF';
  includeExecutionData: boolean;
  tracing: boolean;
  logClass: LogClass;
  /** Size of the definition (Express memory: 50 MB + definition + execution data, in 64 MB steps). */
  definitionBytes: number;
  /** Each Task state's Resource. */
  resources: Record<string, string>;
  awsName: string;
  roleArn: string;
}

export interface TableSpec {
  logicalId: string;
  billingMode: string;
  tableClass: string;
  indexes: string[];
  pitr: boolean;
}

export interface ApiSpec {
  logicalId: string;
  kind: 'REST' | 'HTTP';
  authorizers: string[];
  accessLogFormat?: string;
  accessLogClass: LogClass;
  executionLogLevel: 'OFF' | 'ERROR' | 'INFO';
  detailedMetrics: boolean;
  /** Methods (REST) or routes (HTTP). */
  methods: number;
  tracing: boolean;
  /** What the integrations call: our functions' entries, or `states:<action>` for a direct integration. */
  targets: string[];
}

export interface Architecture {
  functions: FunctionSpec[];
  stateMachines: StateMachineSpec[];
  tables: TableSpec[];
  apis: ApiSpec[];
  xray: { fixedRate: number; reservoirPerSecond: number; rule: string };
  alarms: number;
  dashboards: number;
  secrets: number;
  /** Stream event source mappings (the offer log's to the KPI aggregates): work off the turn. */
  streamMappings: { entry: string; batchingWindowSeconds: number; memoryMB: number }[];
  /** EventBridge Scheduler schedules and the functions they invoke: work on the clock, off the turn. */
  schedules: {
    logicalId: string;
    entry: string;
    expression: string;
    runsPerMonth: number;
    memoryMB: number;
  }[];
}

export interface StackTemplate {
  stackName: string;
  template: Json;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const UUID = '4f1c2a9e-7b3d-4e8f-9a6b-2c5d8e1f3a7b';
const SUFFIX = 'A1b2C3d4E5f6';

/** CloudFormation's generated physical name: stack, logical id and a random suffix, cut to `max`. */
function cfnName(stackName: string, logicalId: string, max: number): string {
  const room = max - stackName.length - SUFFIX.length - 2;
  return `${stackName}-${logicalId.slice(0, Math.max(1, room))}-${SUFFIX}`;
}

const LEVELS: Record<string, number> = {
  TRACE: 6,
  DEBUG: 8,
  INFO: 12,
  WARN: 16,
  ERROR: 20,
  CRITICAL: 24,
  FATAL: 24,
  SILENT: 28,
};
export const levelValue = (level: string) => LEVELS[level.toUpperCase()] ?? LEVELS.INFO!;

/**
 * Reads what the bill depends on from the synthesized templates. `entries` names our functions'
 * files by logical id (the local definition has it: infra/local/template.ts).
 */
export function readArchitecture(stacks: StackTemplate[], entries: Record<string, string>): Architecture {
  const all = stacks.flatMap(({ stackName, template }) =>
    Object.entries((template.Resources ?? {}) as Record<string, Json>).map(([id, r]) => ({
      id,
      stackName,
      type: r.Type as string,
      p: (r.Properties ?? {}) as Json,
    })),
  );
  const of = (type: string) => all.filter((r) => r.type === type);
  const byId = new Map(all.map((r) => [r.id, r]));
  const refId = (v: unknown): string | undefined => {
    const o = v as Json | undefined;
    if (!o || typeof o !== 'object') return undefined;
    if (typeof o.Ref === 'string') return o.Ref;
    if (Array.isArray(o['Fn::GetAtt'])) return o['Fn::GetAtt'][0];
    return undefined;
  };
  const logClassOf = (v: unknown): LogClass =>
    byId.get(refId(v) ?? '')?.p.LogGroupClass === 'INFREQUENT_ACCESS' ? 'INFREQUENT_ACCESS' : 'STANDARD';

  const functions: FunctionSpec[] = of('AWS::Lambda::Function').map((r) => {
    const env = (r.p.Environment?.Variables ?? {}) as Json;
    const lc = (r.p.LoggingConfig ?? {}) as Json;
    const logFormat = lc.LogFormat === 'JSON' ? 'JSON' : 'Text';
    const powertools = String(env.POWERTOOLS_LOG_LEVEL ?? env.LOG_LEVEL ?? 'INFO').toUpperCase();
    // Lambda's advanced logging controls filter application lines only in JSON format (INFO when the
    // level is not set), and Powertools then logs at that level whatever LOG_LEVEL says
    // (AWS_LAMBDA_LOG_LEVEL takes precedence): the ALC level is the level.
    const alc = logFormat === 'JSON' ? String(lc.ApplicationLogLevel ?? 'INFO') : undefined;
    const appLogLevel = alc ? alc.toUpperCase() : powertools;
    return {
      logicalId: r.id,
      ...(entries[r.id] ? { entry: entries[r.id] } : {}),
      memoryMB: Number(r.p.MemorySize ?? 128),
      arch: (r.p.Architectures ?? ['x86_64'])[0] === 'arm64' ? 'arm64' : 'x86_64',
      tracing: r.p.TracingConfig?.Mode === 'Active',
      logFormat,
      appLogLevel,
      systemLogLevel: String(lc.SystemLogLevel ?? 'INFO').toUpperCase(),
      sampleRate: Number(env.POWERTOOLS_LOGGER_SAMPLE_RATE ?? 0),
      logClass: logClassOf(lc.LogGroup),
      awsName: typeof r.p.FunctionName === 'string' ? r.p.FunctionName : cfnName(r.stackName, r.id, 64),
    };
  });
  const fnArn = (logicalId: string) => {
    const f = functions.find((x) => x.logicalId === logicalId);
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${f?.awsName ?? logicalId}`;
  };
  /** A template value as the deployed string would read (ARNs with representative names). */
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Json;
    if (o && 'Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    if (o && 'Fn::GetAtt' in o) {
      const id = o['Fn::GetAtt'][0] as string;
      const r = byId.get(id);
      if (r?.type === 'AWS::Lambda::Function') return fnArn(id);
      if (r?.type === 'AWS::IAM::Role') return `arn:aws:iam::${ACCOUNT}:role/${cfnName(r.stackName, id, 64)}`;
      return `arn:aws:${id}`;
    }
    if (o && 'Ref' in o) {
      if (o.Ref === 'AWS::Region') return REGION;
      if (o.Ref === 'AWS::AccountId') return ACCOUNT;
      if (o.Ref === 'AWS::Partition') return 'aws';
      // A function's alias (its ARN is its Ref): the function's ARN qualified by the alias name.
      const alias = byId.get(String(o.Ref));
      if (alias?.type === 'AWS::Lambda::Alias') {
        const fn = refId(alias.p.FunctionName);
        if (fn) return `${fnArn(fn)}:${String(alias.p.Name)}`;
      }
      return String(o.Ref);
    }
    if (o && 'Fn::ImportValue' in o) return 'imported-value';
    return JSON.stringify(v);
  };

  const stateMachines: StateMachineSpec[] = of('AWS::StepFunctions::StateMachine').map((r) => {
    const definitionString =
      r.p.DefinitionString !== undefined
        ? render(r.p.DefinitionString)
        : JSON.stringify(r.p.Definition ?? {});
    const resources: Record<string, string> = {};
    const visit = (states: Record<string, Json> = {}) => {
      for (const [name, s] of Object.entries(states)) {
        if (s.Type === 'Task') resources[name] = String(s.Resource);
        if (s.Type === 'Parallel') for (const b of s.Branches ?? []) visit(b.States);
        if (s.Type === 'Map') visit((s.ItemProcessor ?? s.Iterator)?.States);
      }
    };
    try {
      visit(JSON.parse(definitionString).States);
    } catch {
      // A definition that cannot be read names no task resources: every Task counts as a Lambda task.
    }
    const logging = (r.p.LoggingConfiguration ?? {}) as Json;
    const level = String(logging.Level ?? 'OFF').toUpperCase();
    return {
      logicalId: r.id,
      type: r.p.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      logLevel: (['ALL', 'ERROR', 'FATAL'].includes(level) ? level : 'OFF') as StateMachineSpec['logLevel'],
      includeExecutionData: logging.IncludeExecutionData === true,
      tracing: r.p.TracingConfiguration?.Enabled === true,
      logClass: logClassOf(logging.Destinations?.[0]?.CloudWatchLogsLogGroup?.LogGroupArn),
      definitionBytes: Buffer.byteLength(definitionString),
      resources,
      awsName: typeof r.p.StateMachineName === 'string' ? r.p.StateMachineName : `${r.id}-${SUFFIX}`,
      roleArn: r.p.RoleArn
        ? render(r.p.RoleArn)
        : `arn:aws:iam::${ACCOUNT}:role/${cfnName(r.stackName, `${r.id}Role`, 64)}`,
    };
  });

  const tables: TableSpec[] = [...of('AWS::DynamoDB::GlobalTable'), ...of('AWS::DynamoDB::Table')].map(
    (r) => {
      const replica = (r.p.Replicas ?? [])[0] ?? {};
      return {
        logicalId: r.id,
        billingMode: String(r.p.BillingMode ?? 'PROVISIONED'),
        tableClass: String(replica.TableClass ?? r.p.TableClass ?? 'STANDARD'),
        indexes: ((r.p.GlobalSecondaryIndexes ?? []) as Json[]).map((g) => g.IndexName),
        pitr:
          replica.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true ||
          r.p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true,
      };
    },
  );

  /** The entry or direct service action an integration URI calls. */
  const targetOf = (uri: unknown): string | undefined => {
    const s = render(uri);
    const fn = functions.find((f) => s.includes(`:function:${f.awsName}`));
    if (fn) return fn.entry ?? fn.logicalId;
    const m = /:states:action\/(\w+)/.exec(s);
    return m ? `states:${m[1]}` : undefined;
  };
  const apis: ApiSpec[] = [];
  for (const api of of('AWS::ApiGateway::RestApi')) {
    const inApi = (r: { p: Json }) => refId(r.p.RestApiId) === api.id;
    const stage = of('AWS::ApiGateway::Stage').find(inApi);
    const settings = ((stage?.p.MethodSettings ?? []) as Json[]).find((m) => m.ResourcePath === '/*') ?? {};
    const methods = of('AWS::ApiGateway::Method').filter(inApi);
    apis.push({
      logicalId: api.id,
      kind: 'REST',
      authorizers: of('AWS::ApiGateway::Authorizer')
        .filter(inApi)
        .map((a) => String(a.p.Type)),
      ...(stage?.p.AccessLogSetting?.Format
        ? { accessLogFormat: String(stage.p.AccessLogSetting.Format) }
        : {}),
      accessLogClass: logClassOf(stage?.p.AccessLogSetting?.DestinationArn),
      executionLogLevel: (['ERROR', 'INFO'].includes(String(settings.LoggingLevel))
        ? settings.LoggingLevel
        : 'OFF') as ApiSpec['executionLogLevel'],
      detailedMetrics: settings.MetricsEnabled === true,
      methods: methods.filter((m) => m.p.HttpMethod !== 'OPTIONS').length,
      tracing: stage?.p.TracingEnabled === true,
      targets: [
        ...new Set(methods.map((m) => targetOf(m.p.Integration?.Uri)).filter((t): t is string => !!t)),
      ],
    });
  }
  for (const api of of('AWS::ApiGatewayV2::Api')) {
    const inApi = (r: { p: Json }) => refId(r.p.ApiId) === api.id;
    const stage = of('AWS::ApiGatewayV2::Stage').find(inApi);
    const integrations = of('AWS::ApiGatewayV2::Integration').filter(inApi);
    apis.push({
      logicalId: api.id,
      kind: 'HTTP',
      authorizers: of('AWS::ApiGatewayV2::Authorizer')
        .filter(inApi)
        .map((a) => String(a.p.AuthorizerType)),
      ...(stage?.p.AccessLogSettings?.Format
        ? { accessLogFormat: String(stage.p.AccessLogSettings.Format) }
        : {}),
      accessLogClass: logClassOf(stage?.p.AccessLogSettings?.DestinationArn),
      executionLogLevel: 'OFF',
      detailedMetrics: stage?.p.DefaultRouteSettings?.DetailedMetricsEnabled === true,
      methods: of('AWS::ApiGatewayV2::Route').filter(inApi).length,
      tracing: false,
      targets: [
        ...new Set(
          integrations
            .map((i) =>
              i.p.IntegrationSubtype?.startsWith('StepFunctions-')
                ? `states:${String(i.p.IntegrationSubtype).replace('StepFunctions-', '')}`
                : targetOf(i.p.IntegrationUri),
            )
            .filter((t): t is string => !!t),
        ),
      ],
    });
  }

  const rules = of('AWS::XRay::SamplingRule')
    .map((r) => ({ id: r.id, rule: (r.p.SamplingRule ?? {}) as Json }))
    // A rule applies when its service name (a glob) matches what starts the trace: a channel function
    // or the API's stage, all named after the stack.
    .filter((r) => {
      const glob = r.rule.ServiceName === undefined ? '*' : String(r.rule.ServiceName);
      const re = new RegExp(
        `^${[...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/\W/, '\\$&'))).join('')}$`,
      );
      return functions.some((f) => re.test(f.awsName));
    })
    .sort((a, b) => Number(a.rule.Priority ?? 1e9) - Number(b.rule.Priority ?? 1e9));
  const xray = rules[0]
    ? {
        fixedRate: Number(rules[0].rule.FixedRate ?? 0),
        reservoirPerSecond: Number(rules[0].rule.ReservoirSize ?? 0),
        rule: `sampling rule ${rules[0].id}`,
      }
    : { fixedRate: 0.05, reservoirPerSecond: 1, rule: "X-Ray's default rule (the template has none)" };

  return {
    functions,
    stateMachines,
    tables,
    apis,
    xray,
    alarms: of('AWS::CloudWatch::Alarm').length,
    dashboards: of('AWS::CloudWatch::Dashboard').length,
    secrets: of('AWS::SecretsManager::Secret').length,
    schedules: of('AWS::Scheduler::Schedule').map((r) => {
      const fnId = refId(r.p.Target?.Arn);
      const fn = functions.find((f) => f.logicalId === fnId);
      const expression = String(r.p.ScheduleExpression ?? '');
      return {
        logicalId: r.id,
        entry: fn?.entry ?? String(fnId),
        expression,
        runsPerMonth: runsPerMonth(expression),
        memoryMB: fn?.memoryMB ?? 128,
      };
    }),
    streamMappings: of('AWS::Lambda::EventSourceMapping').map((r) => {
      const fnId = refId(r.p.FunctionName);
      const fn = functions.find((f) => f.logicalId === fnId);
      return {
        entry: fn?.entry ?? String(fnId),
        batchingWindowSeconds: Number(r.p.MaximumBatchingWindowInSeconds ?? 0),
        memoryMB: fn?.memoryMB ?? 128,
      };
    }),
  };
}

/**
 * What the KPI aggregates cost a month, off the turn: at most one batch per window per stream shard
 * when traffic is steady, each batch a transaction over the cells it touches (2 write units each,
 * plus the checkpoint) and a strong read of the checkpoint. `cellsPerBatch` is the number of
 * distinct (day, offer, segments, call type, channel, policy) cells a window's entries touch.
 */
export const KPI_MODEL = { shards: 1, cellsPerBatch: 20, msPerBatch: 60 } as const;
/** What a PublishEvents batch is taken to hold and take (the outbox's and the decisions' events). */
export const PUBLISH_MODEL = { eventsPerBatch: 10, msPerBatch: 80 } as const;

const MONTH_DAYS = 30;
/**
 * How often a schedule expression fires in a 30-day month: `rate(n unit)`, or a cron whose minute and
 * hour fields are numbers, lists, `*` or `*\/n`, and whose day fields are `*`/`?` (daily), a list of
 * days of the month, or of the week. 0 for what this does not read (a one-time `at(…)`).
 */
export function runsPerMonth(expression: string): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const minutes =
      Number(rate[1]) * (rate[2]!.startsWith('minute') ? 1 : rate[2]!.startsWith('hour') ? 60 : 1440);
    return (MONTH_DAYS * 1440) / minutes;
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)$/.exec(expression);
  if (!cron) return 0;
  const count = (field: string, span: number) => {
    if (field === '*' || field === '?') return span;
    const every = /^\*\/(\d+)$/.exec(field);
    if (every) return Math.ceil(span / Number(every[1]));
    return field.split(',').length;
  };
  const [, minute, hour, dom, , dow] = cron as unknown as string[];
  const perDay = count(minute!, 60) * count(hour!, 24);
  const days =
    (dom === '*' || dom === '?') && (dow === '*' || dow === '?')
      ? MONTH_DAYS
      : dom !== '*' && dom !== '?'
        ? count(dom!, 31)
        : (MONTH_DAYS * count(dow!, 7)) / 7;
  return perDay * days;
}

/**
 * What one scheduled run of a function costs besides its invocation, by entry: assumptions, stated
 * (nothing here is measured). An entry not listed is billed its invocation and 100 ms.
 * - publish-funnels: strongly consistent BatchGets of the funnel counters (8 items per active strategy,
 *   1 read unit each: small items) and the placement's progress (4 items), and the configuration item
 *   (eventually consistent, ~40 KB: 5 units); one EMF line per stage and two more, ~450 B each.
 * - place-portfolio, one segment of four: a portfolio of 1,000,000 accounts of 3 KB scanned
 *   (eventually consistent: half a unit per 4 KB of data read), 1 % of them moved a day (each a
 *   transaction: the account's update, 3 KB, and its counter item, 2 units per KB each), at 2,000
 *   accounts a second.
 */
export const SCHEDULE_MODEL: Record<
  string,
  {
    msPerRun: number;
    readUnitsPerRun: (strategies: number) => number;
    writeUnitsPerRun: number;
    logBytesPerRun: (stages: number) => number;
    why: string;
  }
> = {
  'publish-funnels': {
    msPerRun: 150,
    readUnitsPerRun: (strategies) => strategies * 8 + 4 + 5,
    writeUnitsPerRun: 0,
    logBytesPerRun: (stages) => (stages + 2) * 450 + 300,
    why: 'BatchGets of 8 counter items per active strategy and 4 progress items (strong), the configuration item; an EMF line per stage',
  },
  'place-portfolio': {
    msPerRun: (250_000 / 2_000) * 1000,
    readUnitsPerRun: () => Math.ceil((250_000 * 3_000) / 4096) * 0.5,
    writeUnitsPerRun: 2_500 * (2 * 3 + 2 * 1),
    logBytesPerRun: () => 2_500 * 2 * 250,
    why: 'a quarter of a 1,000,000-account portfolio (3 KB each) scanned at 2,000 a second, 1 % moved (a transaction each) with their stage log lines',
  },
};

// ---------------------------------------------------------------------------------------------
// What a local run measured (test/bench/cost.ts writes it to test/bench/results/cost.json).
// ---------------------------------------------------------------------------------------------

export type Channel = 'voice' | 'chat' | 'agent';

export interface StateVisit {
  name: string;
  type: string;
  /** Sizes of the state's input and output as JSON strings (what execution data would log). */
  inputBytes: number;
  outputBytes: number;
}

export interface RunMeasurement {
  /** Wall time of the run in-process (a stand-in for the billed duration). */
  ms: number;
  states: StateVisit[];
  retries: number;
  caught: number;
  failed: boolean;
  /** The largest state input or output of the run, in bytes. */
  maxDataBytes: number;
}

export interface DynamoCall {
  op: string;
  /** GetItem/Query/BatchGet with ConsistentRead. */
  consistent: boolean;
  /** TransactWriteItems/TransactGetItems: the number of items. */
  transactItems?: number;
  /** ConsumedCapacity as DynamoDB Local reported it (ReturnConsumedCapacity INDEXES), by table and index. */
  units: Array<{ table: string; index?: string; read: number; write: number }>;
}

export interface LogLine {
  /** The function whose code wrote the line. */
  entry: string;
  level: string;
  bytes: number;
  /** A Powertools line (JSON with a level), which carries the trace id on AWS. */
  powertools: boolean;
  /** Carries the Lambda context (function name and ARN: longer on AWS than locally). */
  context: boolean;
  /** EMF metric values in the line. */
  metrics: number;
}

export interface TurnMeasurement {
  step: string;
  /** The channel function's invocation: wall time of the handler (agent: of the HTTP request). */
  channelMs: number;
  /** Task invocations by the state machine, in order, with wall times. */
  invocations: Array<{ entry: string; state: string; ms: number }>;
  runs: RunMeasurement[];
  dynamo: DynamoCall[];
  logs: LogLine[];
  /** The REST request (agent): what API Gateway would meter and log. */
  http?: { method: string; resource: string; status: number; requestBytes: number; responseBytes: number };
  /** Item sizes after the turn (DynamoDB's size rules), by table logical id. */
  itemBytes: Record<string, number>;
}

export interface ContactMeasurement {
  channel: Channel;
  /** The table holding the contact item (rewritten every turn). */
  contactTable?: string;
  /** `functions/<entry>.ts` the channel invokes on AWS (Connect, Lex, API Gateway). */
  channelEntry: string;
  stateMachine: string;
  accountId: string;
  turns: TurnMeasurement[];
}

// ---------------------------------------------------------------------------------------------
// Estimates of what CloudWatch receives that no local run writes: built from the documented
// formats with the deployed names' lengths.
// ---------------------------------------------------------------------------------------------

const bytes = (s: string) => Buffer.byteLength(s);

/** Lambda's own lines per invocation: START, END, REPORT (Text), or their JSON records. */
export function platformLogBytes(fn: FunctionSpec, ms: number): number {
  const billed = Math.max(1, Math.ceil(ms));
  if (fn.logFormat === 'JSON') {
    if (levelValue(fn.systemLogLevel) > LEVELS.INFO!) return 0;
    const time = '2026-12-01T20:49:11.123Z';
    const tracing = fn.tracing
      ? {
          spanId: '0123456789abcdef',
          type: 'X-Amzn-Trace-Id',
          value: `Root=1-6745a1b2-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1`,
        }
      : undefined;
    const start = {
      time,
      type: 'platform.start',
      record: { requestId: UUID, version: '$LATEST', ...(tracing ? { tracing } : {}) },
    };
    const done = {
      time,
      type: 'platform.runtimeDone',
      record: {
        requestId: UUID,
        status: 'success',
        ...(tracing ? { tracing } : {}),
        spans: [
          { name: 'responseLatency', start: time, durationMs: ms },
          { name: 'responseDuration', start: time, durationMs: 0.2 },
        ],
        metrics: { durationMs: ms, producedBytes: 512 },
      },
    };
    const report = {
      time,
      type: 'platform.report',
      record: {
        requestId: UUID,
        metrics: {
          durationMs: ms,
          billedDurationMs: billed,
          memorySizeMB: fn.memoryMB,
          maxMemoryUsedMB: 100,
        },
        ...(tracing ? { tracing } : {}),
        status: 'success',
      },
    };
    return [start, done, report].reduce((n, r) => n + bytes(JSON.stringify(r)), 0);
  }
  const xray = fn.tracing
    ? `\nXRAY TraceId: 1-6745a1b2-0123456789abcdef01234567\tSegmentId: 0123456789abcdef\tSampled: true\t`
    : '';
  return (
    bytes(`START RequestId: ${UUID} Version: $LATEST\n`) +
    bytes(`END RequestId: ${UUID}\n`) +
    bytes(
      `REPORT RequestId: ${UUID}\tDuration: ${ms.toFixed(2)} ms\tBilled Duration: ${billed} ms\tMemory Size: ${fn.memoryMB} MB\tMax Memory Used: 100 MB\t${xray}\n`,
    )
  );
}

const ERROR_EVENT = /(Failed|TimedOut|Aborted)$/;
const FATAL_EVENT = /^Execution(Failed|TimedOut|Aborted)$/;

/**
 * The events a run sends to its log group at the state machine's level, and their bytes: each event
 * as Step Functions writes it (id, type, details, previous id, timestamp, execution ARN), with the
 * execution data only when `includeExecutionData`. Event types per state as the execution history
 * names them (a Lambda task by function ARN: TaskStateEntered, LambdaFunctionScheduled, …Started,
 * …Succeeded, TaskStateExited; other states: Entered and Exited).
 */
export function expressLogEvents(
  sm: StateMachineSpec,
  run: RunMeasurement,
): { events: number; bytes: number } {
  if (sm.logLevel === 'OFF') return { events: 0, bytes: 0 };
  const withData = sm.includeExecutionData;
  const data = (k: 'input' | 'output', n: number) =>
    withData
      ? { [k]: 'x'.repeat(Math.min(n, 256 * 1024)), [`${k}Details`]: { truncated: n > 256 * 1024 } }
      : {};
  const list: Array<[string, Json]> = [
    ['ExecutionStarted', { roleArn: sm.roleArn, ...data('input', run.states[0]?.inputBytes ?? 0) }],
  ];
  for (const s of run.states) {
    if (s.type === 'Task') {
      const resource = sm.resources[s.name] ?? `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${s.name}`;
      list.push(['TaskStateEntered', { name: s.name, ...data('input', s.inputBytes) }]);
      if (resource.includes(':function:')) {
        list.push([
          'LambdaFunctionScheduled',
          { resource, timeoutInSeconds: 2, ...data('input', s.inputBytes) },
        ]);
        list.push(['LambdaFunctionStarted', {}]);
        list.push(['LambdaFunctionSucceeded', data('output', s.outputBytes)]);
      } else {
        const [resourceType, action] = resource.replace('arn:aws:states:::', '').split(':');
        const r = { resourceType, resource: action ?? '' };
        list.push([
          'TaskScheduled',
          {
            ...r,
            region: REGION,
            timeoutInSeconds: 2,
            ...(withData ? { parameters: 'x'.repeat(s.inputBytes) } : {}),
          },
        ]);
        list.push(['TaskStarted', r]);
        list.push(['TaskSucceeded', { ...r, ...data('output', s.outputBytes) }]);
      }
      list.push(['TaskStateExited', { name: s.name, ...data('output', s.outputBytes) }]);
    } else {
      list.push([`${s.type}StateEntered`, { name: s.name, ...data('input', s.inputBytes) }]);
      list.push([`${s.type}StateExited`, { name: s.name, ...data('output', s.outputBytes) }]);
    }
  }
  for (let i = 0; i < run.retries; i++)
    list.push(
      ['LambdaFunctionFailed', { error: 'TransientStorageError', cause: '' }],
      ['LambdaFunctionScheduled', {}],
      ['LambdaFunctionStarted', {}],
    );
  for (let i = 0; i < run.caught; i++) list.push(['TaskFailed', { error: 'States.ALL', cause: '' }]);
  list.push(
    run.failed
      ? ['ExecutionFailed', { error: 'States.ALL', cause: '' }]
      : ['ExecutionSucceeded', data('output', 0)],
  );
  const keep = list.filter(([type]) =>
    sm.logLevel === 'ALL' ? true : sm.logLevel === 'ERROR' ? ERROR_EVENT.test(type) : FATAL_EVENT.test(type),
  );
  const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:express:${sm.awsName}:${UUID}:${UUID}`;
  let total = 0;
  keep.forEach(([type, details], i) => {
    total += bytes(
      JSON.stringify({
        id: String(i + 1),
        type,
        details,
        previous_event_id: String(i),
        event_timestamp: '1764622151123',
        execution_arn: executionArn,
        redrive_count: '0',
      }),
    );
  });
  return { events: keep.length, bytes: total };
}

/** One access-log line as the stage's format writes it, with representative values. */
export function accessLogBytes(format: string, http: NonNullable<TurnMeasurement['http']>): number {
  const values: Record<string, string> = {
    requestId: UUID,
    extendedRequestId: 'A1b2C3d4E5f6G7h=',
    'identity.sourceIp': '203.0.113.10',
    'identity.user': '-',
    'identity.caller': '-',
    'identity.userAgent': 'Mozilla/5.0 (agent desktop)',
    requestTime: '01/Dec/2026:20:49:11 +0000',
    requestTimeEpoch: '1764622151123',
    httpMethod: http.method,
    resourcePath: http.resource,
    routeKey: `${http.method} ${http.resource}`,
    path: http.resource,
    status: String(http.status),
    protocol: 'HTTP/1.1',
    responseLength: String(http.responseBytes),
    'integration.latency': '42',
    integrationLatency: '42',
    responseLatency: '45',
  };
  return bytes(format.replace(/\$context\.([A-Za-z0-9_.]+)/g, (_, k: string) => values[k] ?? '0123456789'));
}

/** API Gateway REST execution logs at INFO: about 20 lines a request (estimate). At ERROR, none on success. */
export const REST_EXECUTION_INFO_BYTES = 3000;

// ---------------------------------------------------------------------------------------------
// The bill.
// ---------------------------------------------------------------------------------------------

export interface Line {
  what: string;
  quantity: number;
  unit: string;
  price: string;
  usdPerMillion: number;
  detail: string;
}

export interface Bill {
  channel: Channel;
  turns: number;
  lines: Line[];
  total: number;
  floor: { lines: Line[]; total: number };
  notes: string[];
}

const per = (p: Price, scale = 1, unitName = p.unit) => `$${fmtPrice(p.usd * scale)} per ${unitName}`;
function fmtPrice(x: number): string {
  if (x === 0) return '0';
  if (x >= 0.01) return x.toFixed(2);
  const digits = Math.max(2, -Math.floor(Math.log10(x)) + 2);
  return x.toFixed(digits).replace(/0+$/, '');
}
const count = (xs: string[]) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return [...m].map(([k, n]) => `${k} ${n}`).join(', ');
};

const M = 1e6;
const MB64 = 64;
const logPrice = (c: LogClass, prices: PriceTable) =>
  c === 'INFREQUENT_ACCESS' ? prices.logsInfrequent : prices.logsStandard;

/** Billed Express memory: 50 MB + definition + execution data, in 64 MB steps. */
export function expressBilledMB(sm: StateMachineSpec, maxDataBytes: number): number {
  const used = 50 * 1024 * 1024 + sm.definitionBytes + maxDataBytes;
  return Math.ceil(used / (MB64 * 1024 * 1024)) * MB64;
}

/** The channel's entry point on AWS: the API (agent) and the function it invokes, if it invokes one. */
function channelPath(arch: Architecture, m: ContactMeasurement) {
  const api =
    m.channel === 'agent'
      ? (arch.apis.find((a) => a.targets.includes(m.channelEntry)) ?? arch.apis[0])
      : undefined;
  // An API that integrates with Step Functions directly runs no channel function.
  const invokesFunction = m.channel !== 'agent' || (api ? api.targets.includes(m.channelEntry) : true);
  return { api, invokesFunction };
}

/** The bill of one contact as measured, per million such contacts. */
export function bill(arch: Architecture, m: ContactMeasurement, prices: PriceTable = PRICES): Bill {
  const notes: string[] = [];
  const fnOf = (entry: string): FunctionSpec => {
    const f = arch.functions.find((x) => x.entry === entry);
    if (!f)
      throw new Error(`functions/${entry}.ts ran in the local run but is not a function of the template`);
    return f;
  };
  const sm = arch.stateMachines.find((s) => s.logicalId === m.stateMachine) ?? arch.stateMachines[0];
  if (!sm) throw new Error('No state machine in the template');
  const { api, invokesFunction } = channelPath(arch, m);
  const channelFn = invokesFunction ? fnOf(m.channelEntry) : undefined;
  if (m.channel === 'agent' && !invokesFunction)
    notes.push(
      `${api?.kind} API integrates with Step Functions directly: no channel function is billed (functions/${m.channelEntry}.ts ran only locally).`,
    );
  const turns = m.turns;
  const lines: Line[] = [];
  const line = (l: Line) => lines.push(l);

  // API Gateway
  const requests = turns.filter((t) => t.http);
  if (m.channel === 'agent' && api) {
    if (api.kind === 'REST')
      line({
        what: 'API Gateway requests (REST API)',
        quantity: requests.length,
        unit: 'requests',
        price: per(prices.restApiRequest, M, 'million'),
        usdPerMillion: requests.length * prices.restApiRequest.usd * M,
        detail: `${api.logicalId}, authorizer ${api.authorizers.join(', ') || 'none'}`,
      });
    else {
      const units = requests.reduce(
        (n, t) =>
          n + Math.max(1, Math.ceil(Math.max(t.http!.requestBytes, t.http!.responseBytes) / (512 * 1024))),
        0,
      );
      line({
        what: 'API Gateway requests (HTTP API)',
        quantity: units,
        unit: 'requests',
        price: per(prices.httpApiRequest, M, 'million'),
        usdPerMillion: units * prices.httpApiRequest.usd * M,
        detail: `${api.logicalId}, authorizer ${api.authorizers.join(', ') || 'none'}`,
      });
    }
    const lambdaAuth = api.authorizers.filter((a) => a === 'REQUEST' || a === 'TOKEN');
    if (lambdaAuth.length)
      notes.push(
        'A Lambda authorizer is in the template: its invocations (per cache miss) are not in this bill.',
      );
  }

  // Lambda
  const invocations = [
    ...(channelFn ? turns.map((t) => ({ entry: m.channelEntry, ms: t.channelMs })) : []),
    ...turns.flatMap((t) => t.invocations),
  ];
  line({
    what: 'Lambda requests',
    quantity: invocations.length,
    unit: 'invocations',
    price: per(prices.lambdaRequest, M, 'million'),
    usdPerMillion: invocations.length * prices.lambdaRequest.usd * M,
    detail: count(invocations.map((i) => i.entry)),
  });
  for (const arch_ of ['arm64', 'x86_64'] as const) {
    const mine = invocations.filter((i) => fnOf(i.entry).arch === arch_);
    if (mine.length === 0) continue;
    const price = arch_ === 'arm64' ? prices.lambdaGbSecondArm : prices.lambdaGbSecondX86;
    const gbs = mine.reduce(
      (n, i) => n + (fnOf(i.entry).memoryMB / 1024) * (Math.max(1, Math.ceil(i.ms)) / 1000),
      0,
    );
    const byEntry = [...new Set(mine.map((i) => i.entry))].map((e) => {
      const xs = mine.filter((i) => i.entry === e);
      const ms = xs.reduce((n, i) => n + Math.ceil(i.ms), 0);
      return `${e} ${ms} ms at ${fnOf(e).memoryMB} MB`;
    });
    line({
      what: `Lambda duration (${arch_})`,
      quantity: gbs,
      unit: 'GB-s',
      price: per(price, 1, 'GB-s'),
      usdPerMillion: gbs * price.usd * M,
      detail: byEntry.join(', '),
    });
  }

  // Step Functions
  const runs = turns.flatMap((t) => t.runs);
  const transitions = runs.reduce((n, r) => n + r.states.length + r.retries, 0);
  if (sm.type === 'EXPRESS') {
    line({
      what: 'Express requests',
      quantity: runs.length,
      unit: 'runs',
      price: per(prices.expressRequest, M, 'million'),
      usdPerMillion: runs.length * prices.expressRequest.usd * M,
      detail: `${sm.logicalId}: ${runs.length} runs of ${transitions} states in all`,
    });
    const gbs = runs.reduce(
      (n, r) => n + (expressBilledMB(sm, r.maxDataBytes) / 1024) * (Math.max(1, Math.ceil(r.ms / 100)) * 0.1),
      0,
    );
    const billedMs = runs.reduce((n, r) => n + Math.max(1, Math.ceil(r.ms / 100)) * 100, 0);
    line({
      what: 'Express duration',
      quantity: gbs,
      unit: 'GB-s',
      price: per(prices.expressGbSecond, 1, 'GB-s'),
      usdPerMillion: gbs * prices.expressGbSecond.usd * M,
      detail: `runs of ${runs.map((r) => r.ms.toFixed(0)).join(', ')} ms → ${billedMs} ms billed at ${expressBilledMB(sm, Math.max(0, ...runs.map((r) => r.maxDataBytes)))} MB`,
    });
  } else
    line({
      what: 'Standard state transitions',
      quantity: transitions,
      unit: 'transitions',
      price: per(prices.standardTransition, 1000, 'thousand'),
      usdPerMillion: transitions * prices.standardTransition.usd * M,
      detail: `${sm.logicalId}: ${runs.length} runs`,
    });

  // DynamoDB
  const calls = turns.flatMap((t) => t.dynamo);
  const byTable = (k: 'read' | 'write') => {
    const m2 = new Map<string, number>();
    for (const c of calls)
      for (const u of c.units) {
        if (!u[k]) continue;
        const name = u.index ? `${u.table}/${u.index}` : u.table;
        m2.set(name, (m2.get(name) ?? 0) + u[k]);
      }
    return [...m2].map(([t, n]) => `${t} ${+n.toFixed(2)}`).join(', ');
  };
  const sum = (k: 'read' | 'write') => calls.reduce((n, c) => n + c.units.reduce((a, u) => a + u[k], 0), 0);
  const ops = (pred: (c: DynamoCall) => boolean) =>
    count(calls.filter(pred).map((c) => (c.consistent ? `${c.op} (strong)` : c.op)));
  const reads = sum('read');
  const writes = sum('write');
  line({
    what: 'DynamoDB read units',
    quantity: reads,
    unit: 'RRU',
    price: per(prices.ddbReadUnit, M, 'million'),
    usdPerMillion: reads * prices.ddbReadUnit.usd * M,
    detail: `${byTable('read')}; requests: ${ops((c) => c.units.some((u) => u.read > 0))}`,
  });
  line({
    what: 'DynamoDB write units',
    quantity: writes,
    unit: 'WRU',
    price: per(prices.ddbWriteUnit, M, 'million'),
    usdPerMillion: writes * prices.ddbWriteUnit.usd * M,
    detail: `${byTable('write')}; requests: ${ops((c) => c.units.some((u) => u.write > 0))}${
      calls.some((c) => c.transactItems)
        ? ` (transactions of ${calls
            .filter((c) => c.transactItems)
            .map((c) => c.transactItems)
            .join(', ')} items: 2 units per KB)`
        : ''
    }`,
  });
  for (const t of arch.tables) {
    if (t.billingMode !== 'PAY_PER_REQUEST')
      notes.push(
        `${t.logicalId} is ${t.billingMode}: billed by provisioned capacity per hour; the units above are what a contact uses of it.`,
      );
    if (t.tableClass !== 'STANDARD')
      notes.push(
        `${t.logicalId} is ${t.tableClass}: its request units cost more than the Standard prices used here.`,
      );
  }

  // CloudWatch Logs: the functions' own lines, Lambda's lines, the state machine's events, API access logs.
  const billedFns = new Set(invocations.map((i) => i.entry));
  const appLines = turns.flatMap((t) => t.logs).filter((l) => billedFns.has(l.entry));
  let appBytes = 0;
  let appUsd = 0;
  let appKept = 0;
  for (const l of appLines) {
    const fn = fnOf(l.entry);
    const passes = (lvl: string) => levelValue(l.level) >= levelValue(lvl);
    // With a sample rate, that share of invocations logs at DEBUG.
    const share = (passes(fn.appLogLevel) ? 1 - fn.sampleRate : 0) + (passes('DEBUG') ? fn.sampleRate : 0);
    if (share === 0) continue;
    const local = l.entry.length;
    const extra =
      (l.context ? 2 * (fn.awsName.length - local) : 0) +
      (l.powertools && fn.tracing ? bytes(',"xray_trace_id":"1-6745a1b2-0123456789abcdef01234567"') : 0);
    const b = (l.bytes + extra) * share;
    appBytes += b;
    appKept += share;
    appUsd += b * logPrice(fn.logClass, prices).usd;
  }
  const levels = [...new Set(appLines.map((l) => fnOf(l.entry).appLogLevel))].join('/');
  line({
    what: "Logs: the functions' own lines",
    quantity: appBytes,
    unit: 'bytes',
    price: per(prices.logsStandard, GB, 'GB'),
    usdPerMillion: appUsd * M,
    detail: `${+appKept.toFixed(2)} of ${appLines.length} lines written pass the template's level (${levels || 'none'}); measured bytes, names and trace id at their AWS length`,
  });
  let platBytes = 0;
  let platUsd = 0;
  for (const i of invocations) {
    const fn = fnOf(i.entry);
    const b = platformLogBytes(fn, i.ms);
    platBytes += b;
    platUsd += b * logPrice(fn.logClass, prices).usd;
  }
  const formats = [
    ...new Set(
      [...billedFns].map(
        (e) =>
          `${fnOf(e).logFormat}${fnOf(e).logFormat === 'JSON' ? `, system level ${fnOf(e).systemLogLevel}` : ''}`,
      ),
    ),
  ].join('/');
  line({
    what: "Logs: Lambda's START/END/REPORT",
    quantity: platBytes,
    unit: 'bytes',
    price: per(prices.logsStandard, GB, 'GB'),
    usdPerMillion: platUsd * M,
    detail: `${invocations.length} invocations, format ${formats}${platBytes === 0 ? ': none written (they are INFO)' : ' (estimated from the format)'}`,
  });
  const ev = runs.map((r) => expressLogEvents(sm, r));
  const smBytes = ev.reduce((n, e) => n + e.bytes, 0);
  const smEvents = ev.reduce((n, e) => n + e.events, 0);
  line({
    what: 'Logs: state machine events',
    quantity: smBytes,
    unit: 'bytes',
    price: per(prices.logsStandard, GB, 'GB'),
    usdPerMillion: smBytes * logPrice(sm.logClass, prices).usd * M,
    detail: `${smEvents} events at level ${sm.logLevel}${sm.includeExecutionData ? ' with execution data' : ', no execution data'}, from ${transitions} states run (estimated from the event format)`,
  });
  let accessEvents = 0;
  if (m.channel === 'agent' && api) {
    const accessBytes = api.accessLogFormat
      ? requests.reduce((n, t) => n + accessLogBytes(api.accessLogFormat!, t.http!), 0)
      : 0;
    const execBytes =
      api.kind === 'REST' && api.executionLogLevel === 'INFO'
        ? requests.length * REST_EXECUTION_INFO_BYTES
        : 0;
    accessEvents = api.accessLogFormat ? requests.length : 0;
    line({
      what: 'Logs: API access and execution logs',
      quantity: accessBytes + execBytes,
      unit: 'bytes',
      price: per(prices.logsStandard, GB, 'GB'),
      usdPerMillion: (accessBytes + execBytes) * logPrice(api.accessLogClass, prices).usd * M,
      detail: `${api.accessLogFormat ? `one access line a request (the stage's format)` : 'no access log'}; execution log ${api.executionLogLevel}${execBytes ? ` (~${REST_EXECUTION_INFO_BYTES} B a request, estimated)` : ' (nothing on success)'}`,
    });
  }

  // CloudWatch metrics: EMF values ride in the log lines (their bytes are above); metrics are billed per month.
  const emf = appLines.reduce((n, l) => n + l.metrics, 0);
  line({
    what: 'CloudWatch metrics',
    quantity: emf,
    unit: 'EMF values',
    price: 'per metric-month (fixed, below)',
    usdPerMillion: 0,
    detail: emf
      ? 'embedded in log lines: their bytes are in the logs lines'
      : 'no EMF or PutMetricData in the measured turns',
  });

  // X-Ray: one trace per traced request, sampled at the rule's fixed rate.
  const traced = (channelFn?.tracing ?? false) || sm.tracing || (api?.tracing ?? false);
  const traces = traced ? turns.length * arch.xray.fixedRate : 0;
  line({
    what: 'X-Ray traces',
    quantity: traces,
    unit: 'traces',
    price: per(prices.xrayTrace, M, 'million'),
    usdPerMillion: traces * prices.xrayTrace.usd * M,
    detail: traced
      ? `${turns.length} traced requests × ${arch.xray.fixedRate}: ${arch.xray.rule}${arch.xray.reservoirPerSecond > 0 ? `; its reservoir of ${arch.xray.reservoirPerSecond}/s is a fixed cost` : ', no reservoir'}`
      : 'no tracing on this path',
  });

  if (m.channel === 'agent') {
    const out = requests.reduce((n, t) => n + t.http!.responseBytes, 0);
    line({
      what: 'Data transfer out (answers)',
      quantity: out,
      unit: 'bytes',
      price: per(prices.transferOut, GB, 'GB'),
      usdPerMillion: out * prices.transferOut.usd * M,
      detail: 'response bodies to the agent desktop (headers not counted)',
    });
  }

  const events = appKept + invocations.length * 3 + smEvents + accessEvents;
  notes.push(
    `${Math.round(events)} log events per contact: if ingestion counted the 26 bytes per event PutLogEvents adds, +$${(events * 26 * prices.logsStandard.usd * M || 0).toFixed(2)} per million.`,
  );

  const total = lines.reduce((n, l) => n + l.usdPerMillion, 0);
  const own = floor(arch, m, prices);
  if (api?.kind === 'REST') {
    const http = floor({ ...arch, apis: arch.apis.map((a) => ({ ...a, kind: 'HTTP' as const })) }, m, prices);
    notes.push(
      `The REST API alone puts this floor at ${usd(own.total)}; with an HTTP API it would be ${usd(http.total)}.`,
    );
  }
  return { channel: m.channel, turns: turns.length, lines, total, floor: own, notes };
}

/**
 * What this architecture cannot go under, per turn: one API Gateway request (agent, at the
 * template's API type), one channel function invocation (1 ms), one Express run at its minimum
 * (100 ms at 64 MB), one eventually consistent read unit and one write unit.
 */
export function floor(arch: Architecture, m: ContactMeasurement, prices: PriceTable = PRICES): Bill['floor'] {
  const n = m.turns.length;
  const { api, invokesFunction } = channelPath(arch, m);
  const lines: Line[] = [];
  if (m.channel === 'agent' && api) {
    const p = api.kind === 'REST' ? prices.restApiRequest : prices.httpApiRequest;
    lines.push({
      what: `${api.kind} API request`,
      quantity: n,
      unit: 'requests',
      price: per(p, M, 'million'),
      usdPerMillion: n * p.usd * M,
      detail: 'one a turn',
    });
  }
  const fn = invokesFunction ? arch.functions.find((f) => f.entry === m.channelEntry) : undefined;
  if (fn) {
    const gbs = (fn.memoryMB / 1024) * 0.001;
    const p = fn.arch === 'arm64' ? prices.lambdaGbSecondArm : prices.lambdaGbSecondX86;
    lines.push({
      what: 'channel function invocation',
      quantity: n,
      unit: 'invocations',
      price: per(prices.lambdaRequest, M, 'million'),
      usdPerMillion: n * (prices.lambdaRequest.usd + gbs * p.usd) * M,
      detail: `${m.channelEntry}, 1 ms at ${fn.memoryMB} MB`,
    });
  }
  const express = prices.expressRequest.usd + (MB64 / 1024) * 0.1 * prices.expressGbSecond.usd;
  lines.push({
    what: 'Express run at its minimum',
    quantity: n,
    unit: 'runs',
    price: `$${fmtPrice(express * M)} per million`,
    usdPerMillion: n * express * M,
    detail: '1 request + 100 ms at 64 MB',
  });
  lines.push({
    what: 'eventually consistent read unit',
    quantity: n * 0.5,
    unit: 'RRU',
    price: per(prices.ddbReadUnit, M, 'million'),
    usdPerMillion: n * 0.5 * prices.ddbReadUnit.usd * M,
    detail: 'one read of ≤ 4 KB a turn',
  });
  lines.push({
    what: 'write unit',
    quantity: n,
    unit: 'WRU',
    price: per(prices.ddbWriteUnit, M, 'million'),
    usdPerMillion: n * prices.ddbWriteUnit.usd * M,
    detail: 'one write of ≤ 1 KB a turn',
  });
  return { lines, total: lines.reduce((a, l) => a + l.usdPerMillion, 0) };
}

/** What does not grow with contacts: per month, whatever the volume. */
export function fixedMonthly(
  arch: Architecture,
  emfMetrics: number,
  prices: PriceTable = PRICES,
  /** The active configuration's strategies (StrategyStageAccounts has a stream per stage of each). */
  strategies: { active: number; stages: number } = { active: 0, stages: 0 },
): Line[] {
  const apiMetrics = arch.apis
    .filter((a) => a.detailedMetrics)
    .reduce((n, a) => n + a.methods * (a.kind === 'REST' ? 7 : 5), 0);
  const lines: Line[] = [];
  const add = (what: string, quantity: number, p: Price, detail: string) =>
    quantity > 0 &&
    lines.push({ what, quantity, unit: p.unit, price: per(p), usdPerMillion: quantity * p.usd, detail });
  add(
    'API Gateway detailed metrics',
    apiMetrics,
    prices.customMetricMonth,
    'per method: Count, 4XX, 5XX, Latency, IntegrationLatency, cache hits/misses (at most, if every method is called in the month)',
  );
  add(
    'EMF custom metrics',
    emfMetrics,
    prices.customMetricMonth,
    'distinct metrics seen in the measured lines',
  );
  add('alarms', arch.alarms, prices.alarmMonth, 'in the template');
  add('dashboards', arch.dashboards, prices.dashboardMonth, 'in the template (the first 3 are free)');
  add(
    'secrets',
    arch.secrets,
    prices.secretMonth,
    'in the template (plus $0.05 per 10,000 reads, at cold starts)',
  );
  const seconds = 30 * 24 * 3600;
  for (const s of arch.streamMappings) {
    const batches = (KPI_MODEL.shards * seconds) / Math.max(1, s.batchingWindowSeconds);
    if (s.entry === 'publish-events') {
      // The outbox and the offer log's decisions to the account bus: no table write, a PutEvents of
      // up to 10 entries per batch ($1 per million custom events), at most one batch per window per stream.
      const gbs = (s.memoryMB / 1024) * (PUBLISH_MODEL.msPerBatch / 1000);
      const usdPerMonth =
        batches *
        (prices.lambdaRequest.usd + gbs * prices.lambdaGbSecondArm.usd + PUBLISH_MODEL.eventsPerBatch * 1e-6);
      lines.push({
        what: `${s.entry} (stream, off the turn; at most)`,
        quantity: batches,
        unit: 'batches',
        price: `$${fmtPrice(usdPerMonth / batches)} per batch`,
        usdPerMillion: usdPerMonth,
        detail: `one batch per ${s.batchingWindowSeconds} s per stream when traffic is steady, ${PUBLISH_MODEL.eventsPerBatch} events put ($1 per million), ${PUBLISH_MODEL.msPerBatch} ms at ${s.memoryMB} MB`,
      });
      continue;
    }
    const gbs = (s.memoryMB / 1024) * (KPI_MODEL.msPerBatch / 1000);
    const usdPerMonth =
      batches *
      (prices.lambdaRequest.usd +
        gbs * prices.lambdaGbSecondArm.usd +
        (KPI_MODEL.cellsPerBatch + 1) * 2 * prices.ddbWriteUnit.usd +
        prices.ddbReadUnit.usd);
    lines.push({
      what: `${s.entry} (stream, off the turn; at most)`,
      quantity: batches,
      unit: 'batches',
      price: `$${fmtPrice(usdPerMonth / batches)} per batch`,
      usdPerMillion: usdPerMonth,
      detail: `one batch per ${s.batchingWindowSeconds} s per shard when traffic is steady (${KPI_MODEL.shards} shard), each a transaction over ${KPI_MODEL.cellsPerBatch} cells and the checkpoint (2 write units each), a strong read, ${KPI_MODEL.msPerBatch} ms at ${s.memoryMB} MB`,
    });
  }
  // Work on the clock: EventBridge Scheduler's invocations, and what each run of its target costs.
  const runs = arch.schedules.reduce((n, s) => n + s.runsPerMonth, 0);
  add(
    'EventBridge Scheduler invocations',
    runs,
    prices.schedulerInvocation,
    `${arch.schedules.length} schedules: ${[...new Set(arch.schedules.map((s) => `${s.entry} ${s.expression}`))].join(', ')}`,
  );
  const byEntry = new Map<string, { runs: number; memoryMB: number; schedules: number }>();
  for (const s of arch.schedules) {
    const e = byEntry.get(s.entry) ?? { runs: 0, memoryMB: s.memoryMB, schedules: 0 };
    byEntry.set(s.entry, { ...e, runs: e.runs + s.runsPerMonth, schedules: e.schedules + 1 });
  }
  for (const [entry, e] of byEntry) {
    const model = SCHEDULE_MODEL[entry];
    const ms = model?.msPerRun ?? 100;
    const reads = model?.readUnitsPerRun(strategies.active) ?? 0;
    const writes = model?.writeUnitsPerRun ?? 0;
    const logBytes = model?.logBytesPerRun(strategies.stages) ?? 0;
    const perRun =
      prices.lambdaRequest.usd +
      (e.memoryMB / 1024) * (ms / 1000) * prices.lambdaGbSecondArm.usd +
      reads * prices.ddbReadUnit.usd +
      writes * prices.ddbWriteUnit.usd +
      logBytes * prices.logsStandard.usd;
    lines.push({
      what: `${entry} (scheduled, off the turn)`,
      quantity: e.runs,
      unit: 'runs',
      price: `$${fmtPrice(perRun)} per run`,
      usdPerMillion: e.runs * perRun,
      detail: `${e.schedules} schedule${e.schedules > 1 ? 's' : ''}; each run ${Math.round(ms).toLocaleString('en-US')} ms at ${e.memoryMB} MB, ${reads.toLocaleString('en-US')} read and ${writes.toLocaleString('en-US')} write units, ${logBytes.toLocaleString('en-US')} B of log${model ? `: ${model.why} (assumed)` : ' (assumed: its invocation and 100 ms)'}`,
    });
  }
  if (byEntry.has('publish-funnels'))
    add(
      'funnel metrics (StrategyStageAccounts, placement progress)',
      strategies.stages + 2,
      prices.customMetricMonth,
      `a stream per stage of the ${strategies.active} active strategies (their version is no dimension: a new one continues the series), and the two placement gauges`,
    );
  if (arch.xray.reservoirPerSecond > 0)
    add(
      'X-Ray reservoir (at most)',
      arch.xray.reservoirPerSecond * seconds,
      prices.xrayTrace,
      `${arch.xray.reservoirPerSecond} trace/s on top of the fixed rate, when traffic is steady`,
    );
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Trade-offs: the same measurements billed under a changed template (or a changed write).
// ---------------------------------------------------------------------------------------------

export interface WhatIf {
  label: string;
  applies: (a: Architecture) => boolean;
  arch?: (a: Architecture) => Architecture;
  measured?: (m: ContactMeasurement) => ContactMeasurement;
}

const mapTurns = (m: ContactMeasurement, f: (c: DynamoCall) => DynamoCall): ContactMeasurement => ({
  ...m,
  turns: m.turns.map((t) => ({ ...t, dynamo: t.dynamo.map(f) })),
});

export const WHAT_IFS: WhatIf[] = [
  {
    label: 'HTTP API (JWT authorizer) instead of the REST API',
    applies: (a) => a.apis.some((x) => x.kind === 'REST'),
    arch: (a) => ({
      ...a,
      apis: a.apis.map((x) => ({
        ...x,
        kind: 'HTTP' as const,
        executionLogLevel: 'OFF' as const,
        authorizers: ['JWT'],
      })),
    }),
  },
  {
    label: 'state machine logging at ERROR instead of ALL',
    applies: (a) => a.stateMachines.some((s) => s.logLevel === 'ALL'),
    arch: (a) => ({
      ...a,
      stateMachines: a.stateMachines.map((s) => ({ ...s, logLevel: 'ERROR' as const })),
    }),
  },
  {
    label: "functions' own lines at WARN instead of INFO",
    applies: (a) => a.functions.some((f) => levelValue(f.appLogLevel) < levelValue('WARN')),
    arch: (a) => ({ ...a, functions: a.functions.map((f) => ({ ...f, appLogLevel: 'WARN' })) }),
  },
  {
    label: "Lambda's own lines off (JSON format, system level WARN)",
    applies: (a) =>
      a.functions.some((f) => f.logFormat === 'Text' || levelValue(f.systemLogLevel) <= levelValue('INFO')),
    arch: (a) => ({
      ...a,
      functions: a.functions.map((f) => ({ ...f, logFormat: 'JSON' as const, systemLogLevel: 'WARN' })),
    }),
  },
  {
    label: 'X-Ray sampling at 1 % instead of the rule’s rate',
    applies: (a) => a.xray.fixedRate > 0.01,
    arch: (a) => ({ ...a, xray: { ...a.xray, fixedRate: 0.01 } }),
  },
  {
    label: 'eventually consistent reads instead of strongly consistent ones',
    applies: () => true,
    measured: (m) =>
      mapTurns(m, (c) =>
        c.consistent
          ? { ...c, consistent: false, units: c.units.map((u) => ({ ...u, read: u.read / 2 })) }
          : c,
      ),
  },
  {
    label: 'a plain conditional write where a transaction holds one item',
    applies: () => true,
    measured: (m) =>
      mapTurns(m, (c) =>
        c.transactItems === 1
          ? { ...c, transactItems: undefined, units: c.units.map((u) => ({ ...u, write: u.write / 2 })) }
          : c,
      ),
  },
  {
    label: "no transactions at all (gives up each turn's atomic write: DESIGN forbids it)",
    applies: () => true,
    measured: (m) =>
      mapTurns(m, (c) =>
        c.transactItems
          ? { ...c, transactItems: undefined, units: c.units.map((u) => ({ ...u, write: u.write / 2 })) }
          : c,
      ),
  },
  {
    label: 'the contact item kept under 1 KB',
    applies: () => true,
    measured: (m) =>
      mapTurns(m, (c) => ({
        ...c,
        units: c.units.map((u) =>
          u.table === m.contactTable && !u.index && u.write > 0
            ? { ...u, write: Math.min(u.write, c.transactItems ? 2 : 1) }
            : u.table === m.contactTable && !u.index && u.read > 0
              ? { ...u, read: Math.min(u.read, c.consistent || c.op.startsWith('Transact') ? 1 : 0.5) }
              : u,
        ),
      })),
  },
  {
    label: 'not a trade-off: 25 ms more per task on AWS (invoke, network), not measured locally',
    applies: () => true,
    measured: (m) => ({
      ...m,
      turns: m.turns.map((t) => {
        const tasks = t.invocations.length;
        const perRun = t.runs.map((r) => r.states.filter((s) => s.type === 'Task').length);
        return {
          ...t,
          channelMs: t.channelMs + 25 * tasks,
          invocations: t.invocations.map((i) => ({ ...i, ms: i.ms + 25 })),
          runs: t.runs.map((r, k) => ({ ...r, ms: r.ms + 25 * perRun[k]! })),
        };
      }),
    }),
  },
  {
    label: 'a STANDARD state machine instead of EXPRESS',
    applies: (a) => a.stateMachines.some((s) => s.type === 'EXPRESS'),
    arch: (a) => ({ ...a, stateMachines: a.stateMachines.map((s) => ({ ...s, type: 'STANDARD' as const })) }),
  },
];

/** Each trade-off that applies, with the change it makes to each channel's total. */
export function whatIfs(arch: Architecture, contacts: ContactMeasurement[], prices: PriceTable = PRICES) {
  const base = new Map(contacts.map((m) => [m.channel, bill(arch, m, prices).total]));
  return WHAT_IFS.filter((w) => w.applies(arch))
    .map((w) => ({
      label: w.label,
      delta: Object.fromEntries(
        contacts.map((m) => {
          const a = w.arch ? w.arch(arch) : arch;
          const mm = w.measured ? w.measured(m) : m;
          return [m.channel, bill(a, mm, prices).total - base.get(m.channel)!];
        }),
      ) as Partial<Record<Channel, number>>,
    }))
    .filter((w) => Object.values(w.delta).some((d) => Math.abs(d!) >= 0.005));
}

// ---------------------------------------------------------------------------------------------
// DynamoDB's item size rules (for the item sizes reported beside the bill).
// ---------------------------------------------------------------------------------------------

type AttributeValue = Record<string, any>;

/** Bytes of an item by DynamoDB's rules: names + values; maps and lists 3 bytes + 1 per element. */
export function itemSize(item: Record<string, AttributeValue>): number {
  let n = 0;
  for (const [k, v] of Object.entries(item)) n += bytes(k) + valueSize(v);
  return n;
}
function valueSize(v: AttributeValue): number {
  if (v.S !== undefined) return bytes(v.S);
  if (v.N !== undefined) return numberSize(v.N);
  if (v.B !== undefined) return (v.B as Uint8Array).length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.SS) return (v.SS as string[]).reduce((a, s) => a + bytes(s), 0);
  if (v.NS) return (v.NS as string[]).reduce((a, s) => a + numberSize(s), 0);
  if (v.BS) return (v.BS as Uint8Array[]).reduce((a, b) => a + b.length, 0);
  if (v.L) return 3 + (v.L as AttributeValue[]).reduce((a, x) => a + 1 + valueSize(x), 0);
  if (v.M)
    return (
      3 +
      Object.entries(v.M as Record<string, AttributeValue>).reduce(
        (a, [k, x]) => a + 1 + bytes(k) + valueSize(x),
        0,
      )
    );
  return 0;
}
/** Numbers: about 1 byte per 2 significant digits, plus 1. */
function numberSize(n: string): number {
  const digits = n
    .replace(/^-/, '')
    .replace(/e.*$/i, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

// ---------------------------------------------------------------------------------------------
// Printing.
// ---------------------------------------------------------------------------------------------

export const usd = (x: number) => `$${x.toFixed(2)}`;

/** A unit price as people quote it: per GB, per GB-s, per million or as is. */
export function shownPrice(p: Price): string {
  if (p.unit.startsWith('byte')) return `$${fmtPrice(p.usd * GB)} per GB`;
  if (p.unit.includes('GB-s')) return `$${fmtPrice(p.usd)} per GB-s`;
  if (p.usd < 1e-3) return `$${fmtPrice(p.usd * M)} per million`;
  return `$${fmtPrice(p.usd)}`;
}
const qty = (x: number, unit: string) =>
  `${unit === 'bytes' ? Math.round(x).toLocaleString('en-US') : +x.toFixed(x < 1 ? 4 : 2)} ${unit}`;

export function renderTable(headers: string[], rows: string[][], align: Array<'l' | 'r'>): string {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const cell = (s: string, i: number) => (align[i] === 'r' ? s.padStart(w[i]!) : s.padEnd(w[i]!));
  return [
    `| ${headers.map(cell).join(' | ')} |`,
    `| ${w.map((n, i) => (align[i] === 'r' ? `${'-'.repeat(n - 1)}:` : '-'.repeat(n))).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function renderBill(b: Bill): string {
  const rows = b.lines.map((l) => [l.what, qty(l.quantity, l.unit), l.price, usd(l.usdPerMillion), l.detail]);
  rows.push([
    '**total**',
    '',
    '',
    `**${usd(b.total)}**`,
    `floor ${usd(b.floor.total)}: ${b.floor.lines.map((l) => `${l.what} ${usd(l.usdPerMillion)}`).join(' + ')}`,
  ]);
  return renderTable(['line', 'per contact', 'unit price', '$ per million contacts', 'detail'], rows, [
    'l',
    'r',
    'l',
    'r',
    'l',
  ]);
}
