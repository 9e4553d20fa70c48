import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { RetentionFunction } from '../../infra/constructs/retention-function';
import type { ServiceStack } from '../../infra/stacks/service-stack';
import { ADMIN_ROUTES } from '../../shared/schemas/admin';
import { ROUTES } from '../../shared/schemas/api';
import { type Json, lenient, nagFindings, roleStatements } from './helpers';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };

// Lenient so a cdk-nag finding fails its own test below instead of every test of the file.
const { data, service } = buildApp({ bundling: false, context: lenient });
const dataTpl = Template.fromStack(data);
const svcTpl = Template.fromStack(service);

const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const tableId = (t: dynamodb.TableV2) => logicalId(t);
/** A table ARN reaches the service stack as an import whose name embeds the table's logical id. */
const refersTo = (resource: unknown, id: string) => JSON.stringify(resource).includes(id);
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

function tableResources(tpl: Template): Record<string, Json> {
  return tpl.findResources('AWS::DynamoDB::GlobalTable');
}

/** What makes a table unfit to hold customer data; empty for a good one. */
function tableDefects(resources: Record<string, Json>): string[] {
  return Object.entries(resources).flatMap(([id, r]) => {
    const p = r.Properties;
    const replica = p.Replicas?.[0] ?? {};
    return [
      replica.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled === true ? [] : [`${id}: no PITR`],
      p.SSESpecification?.SSEEnabled === true ? [] : [`${id}: no SSE`],
      replica.DeletionProtectionEnabled === true ? [] : [`${id}: no deletion protection`],
      r.DeletionPolicy === 'Retain' ? [] : [`${id}: not retained`],
      p.BillingMode === 'PAY_PER_REQUEST' ? [] : [`${id}: not on-demand`],
      p.TableName === undefined ? [] : [`${id}: hard-coded name`],
    ].flat();
  });
}

function functionsByEntry(stack: ServiceStack): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of stack.node.findAll()) if (c instanceof RetentionFunction) m.set(c.entryName, logicalId(c));
  return m;
}
const fnIds = functionsByEntry(service);

/** Every statement the function's role carries: inline policies, attached policies, and no managed policy. */
function statementsOf(entry: string): Statement[] {
  const fnId = fnIds.get(entry);
  if (!fnId) throw new Error(`no function ${entry}`);
  return roleStatements<Statement>(svcTpl, fnId);
}
const actionsOn = (entry: string, id: string) =>
  statementsOf(entry)
    .filter((s) => resourcesOf(s).some((r) => refersTo(r, id)))
    .flatMap(actionsOf);

const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

describe('data stack', () => {
  const tables = tableResources(dataTpl);

  it('has exactly the seven tables, each with PITR, encryption, deletion protection, retain, on-demand, no fixed name', () => {
    expect(Object.keys(tables)).toHaveLength(7);
    expect(tableDefects(tables)).toEqual([]);
  });

  // cdk-nag's DDB3 (PITR) looks at AWS::DynamoDB::Table only, not the GlobalTable that TableV2 makes: this check is ours.
  it('flags a table without PITR (so the check above can fail)', () => {
    const { data: d } = buildApp({ bundling: false, context: lenient });
    new dynamodb.TableV2(d, 'Careless', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    });
    const defects = tableDefects(tableResources(Template.fromStack(d)));
    expect(defects.some((x) => /^Careless.*: no PITR$/.test(x))).toBe(true);
  });

  it.each([
    {
      name: 'accounts',
      table: data.accounts,
      keys: [{ AttributeName: 'accountId', KeyType: 'HASH' }],
      gsis: [
        {
          IndexName: 'byPhone',
          KeySchema: [{ AttributeName: 'phone', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    },
    {
      name: 'contacts',
      table: data.contacts,
      keys: [{ AttributeName: 'contactId', KeyType: 'HASH' }],
      // Erasure finds an account's contacts: keys only, so later turns (no key change) write no index.
      gsis: [
        {
          IndexName: 'byAccount',
          KeySchema: [{ AttributeName: 'accountId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    },
    {
      name: 'offerLog',
      table: data.offerLog,
      keys: [
        { AttributeName: 'contactId', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
      gsis: [
        {
          IndexName: 'byAccount',
          KeySchema: [
            { AttributeName: 'accountId', KeyType: 'HASH' },
            { AttributeName: 'at', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    },
    {
      name: 'catalog',
      table: data.catalog,
      keys: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      gsis: undefined,
    },
  ])('$name has its keys and indexes', ({ table, keys, gsis }) => {
    const p = tables[tableId(table)]?.Properties as Json;
    expect(p.KeySchema).toEqual(keys);
    expect(p.GlobalSecondaryIndexes).toEqual(gsis);
  });

  it('types the key attributes (seq is a number, the rest strings)', () => {
    const defs = Object.values(tables).flatMap((t: Json) => t.Properties.AttributeDefinitions as Json[]);
    expect(defs).toContainEqual({ AttributeName: 'seq', AttributeType: 'N' });
    expect(defs.filter((d) => d.AttributeName !== 'seq').every((d) => d.AttributeType === 'S')).toBe(true);
  });

  it("expires contacts, budget counters and the stream readers' checkpoints on expiresAt, and nothing else", () => {
    const withTtl = Object.entries(tables).filter(([, t]) => (t as Json).Properties.TimeToLiveSpecification);
    expect(withTtl.map(([id]) => id).sort()).toEqual(
      [tableId(data.contacts), tableId(data.counters), tableId(data.kpis), tableId(data.learning)].sort(),
    );
    for (const [, t] of withTtl)
      expect((t as Json).Properties.TimeToLiveSpecification).toEqual({
        AttributeName: 'expiresAt',
        Enabled: true,
      });
  });
});

describe('functions', () => {
  const fns = svcTpl.findResources('AWS::Lambda::Function');
  const expected = [
    'decide-turn',
    'save-turn',
    'http-api',
    'admin-api',
    'connect-adapter',
    'lex-adapter',
    'import-accounts',
    'account-events',
    'canary',
    'aggregate-kpis',
    'learn-propensity',
    'place-portfolio',
    'publish-events',
    'start-outbound',
    'activate-due',
    'publish-funnels',
  ];

  // Besides ours, the one Lambda is CDK's BucketNotificationsHandler (the provider that configures the
  // import bucket's notifications at deploy time): exactly one, described as that provider.
  it("are our entries, and every other Lambda of the stack is CDK's bucket notifications provider", () => {
    expect([...fnIds.keys()].sort()).toEqual([...expected].sort());
    const others = Object.keys(fns).filter((id) => ![...fnIds.values()].includes(id));
    expect(others).toHaveLength(1);
    expect(others[0]).toMatch(/^BucketNotificationsHandler050a0587b7544547bf325f094a3db834/);
    expect((fns[others[0]!] as Json).Properties.Description).toMatch(/Custom::S3BucketNotifications/);
  });

  it.each(expected)('%s runs nodejs24.x on arm64, traced, logging to its own retained log group', (entry) => {
    const p = (fns[fnIds.get(entry)!] as Json).Properties;
    expect(p.Runtime).toBe('nodejs24.x');
    expect(p.Architectures).toEqual(['arm64']);
    expect(p.TracingConfig).toEqual({ Mode: 'Active' });
    const groupId = p.LoggingConfig?.LogGroup?.Ref as string;
    expect(svcTpl.findResources('AWS::Logs::LogGroup')[groupId]?.Properties.RetentionInDays).toBe(30);
    expect(p.Environment.Variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'retention-desk',
      LOG_LEVEL: 'INFO',
    });
    // --enable-source-maps would decode the whole source map (SDK included) at every cold start.
    expect(p.Environment.Variables.NODE_OPTIONS).toBeUndefined();
  });

  it.each([
    [
      'decide-turn',
      [
        'CONTACTS_TABLE',
        'ACCOUNTS_TABLE',
        'CATALOG_TABLE',
        'COUNTERS_TABLE',
        'LEARNING_TABLE',
        'CONTACT_KEY_SECRET_ARN',
        'PEPPER_SECRET_ARN',
      ],
    ],
    ['save-turn', ['CONTACTS_TABLE', 'OFFER_LOG_TABLE', 'ACCOUNTS_TABLE', 'COUNTERS_TABLE']],
    ['http-api', ['STATE_MACHINE_ARN']],
    [
      'admin-api',
      [
        'CATALOG_TABLE',
        'ACCOUNTS_TABLE',
        'PEPPER_SECRET_ARN',
        'CONTACTS_TABLE',
        'OFFER_LOG_TABLE',
        'COUNTERS_TABLE',
        'ERASURE_KEY_SECRET_ARN',
        'KPI_TABLE',
        'LEARNING_TABLE',
        'PLACE_PORTFOLIO_FUNCTION',
      ],
    ],
    ['connect-adapter', ['STATE_MACHINE_ARN']],
    ['lex-adapter', ['STATE_MACHINE_ARN']],
    [
      'import-accounts',
      ['ACCOUNTS_TABLE', 'IMPORT_BUCKET', 'PEPPER_SECRET_ARN', 'CATALOG_TABLE', 'COUNTERS_TABLE'],
    ],
    ['account-events', ['ACCOUNTS_TABLE', 'CATALOG_TABLE', 'COUNTERS_TABLE']],
    ['aggregate-kpis', ['KPI_TABLE']],
    ['learn-propensity', ['LEARNING_TABLE']],
    ['place-portfolio', ['ACCOUNTS_TABLE', 'CATALOG_TABLE', 'COUNTERS_TABLE']],
    ['activate-due', ['CATALOG_TABLE', 'PLACE_PORTFOLIO_FUNCTION']],
    ['publish-funnels', ['CATALOG_TABLE', 'COUNTERS_TABLE']],
  ])('%s gets exactly the env vars its code reads: %s', (entry, vars) => {
    const env = (fns[fnIds.get(entry)!] as Json).Properties.Environment.Variables as Json;
    const own = Object.keys(env).filter(
      (k) =>
        ![
          'NODE_OPTIONS',
          'POWERTOOLS_SERVICE_NAME',
          'LOG_LEVEL',
          'AWS_NODEJS_CONNECTION_REUSE_ENABLED',
        ].includes(k),
    );
    expect(own.sort()).toEqual([...vars].sort());
  });

  it('http-api outlives the synchronous run it waits for', () => {
    const sm = Object.values(svcTpl.findResources('AWS::StepFunctions::StateMachine'))[0] as Json;
    // The definition is a Fn::Join around function ARNs: stand in for those to read the run's own timeout.
    const parts = sm.Properties.DefinitionString['Fn::Join'][1] as unknown[];
    const runTimeout = JSON.parse(parts.map((x) => (typeof x === 'string' ? x : 'arn')).join(''))
      .TimeoutSeconds as number;
    expect(runTimeout).toBeGreaterThan(0);
    expect((fns[fnIds.get('http-api')!] as Json).Properties.Timeout).toBeGreaterThan(runTimeout);
  });

  it("log as JSON with Lambda's own lines at WARN and application lines at INFO (metrics lines have no level)", () => {
    for (const name of fnIds.keys())
      expect((fns[fnIds.get(name)!] as Json).Properties.LoggingConfig, name).toMatchObject({
        LogFormat: 'JSON',
        SystemLogLevel: 'WARN',
        ApplicationLogLevel: 'INFO',
      });
  });

  it("sample 1 % of this stack's traces (no reservoir), by a rule naming this stack's resources only", () => {
    const rules = Object.values(svcTpl.findResources('AWS::XRay::SamplingRule')) as Json[];
    expect(rules).toHaveLength(1);
    const r = rules[0]!.Properties.SamplingRule;
    expect(r).toMatchObject({ FixedRate: 0.01, ReservoirSize: 0, ServiceName: `${service.stackName}*` });
    // What starts a trace falls under it: a function CloudFormation names `<stack>-<id>-<suffix>` (no
    // name of our own), and the API's stage (`<api name>/<stage>`), the API being named after the stack.
    for (const name of fnIds.keys())
      expect((fns[fnIds.get(name)!] as Json).Properties.FunctionName, name).toBeUndefined();
    const api = Object.values(svcTpl.findResources('AWS::ApiGateway::RestApi'))[0] as Json;
    expect(api.Properties.Name).toMatch(new RegExp(`^${service.stackName}`));
  });
});

describe('IAM', () => {
  const smId = Object.keys(svcTpl.findResources('AWS::StepFunctions::StateMachine'))[0]!;
  const accounts = tableId(data.accounts);
  const contacts = tableId(data.contacts);
  const offerLog = tableId(data.offerLog);
  const catalog = tableId(data.catalog);
  const counters = tableId(data.counters);

  it('http-api may only start synchronous runs of the state machine (besides its logs and traces)', () => {
    const statements = statementsOf('http-api').filter(
      (s) => !actionsOf(s).every((a) => /^(logs|xray):/.test(a)),
    );
    expect(statements).toEqual([
      { Action: 'states:StartSyncExecution', Effect: 'Allow', Resource: { Ref: smId } },
    ]);
  });

  it('every function writes logs only to its own log group, and X-Ray is the only "*" resource', () => {
    for (const [entry, fnId] of fnIds) {
      const fn = svcTpl.findResources('AWS::Lambda::Function')[fnId] as Json;
      const groupId = fn.Properties.LoggingConfig.LogGroup.Ref;
      const statements = statementsOf(entry);
      for (const s of statements.filter((x) => actionsOf(x).some((a) => a.startsWith('logs:'))))
        expect(s.Resource, entry).toEqual({ 'Fn::GetAtt': [groupId, 'Arn'] });
      for (const s of statements.filter((x) => resourcesOf(x).includes('*')))
        expect(
          actionsOf(s).every((a) => a.startsWith('xray:')),
          entry,
        ).toBe(true);
    }
  });

  it('decide-turn cannot write anything', () => {
    const actions = statementsOf('decide-turn').flatMap(actionsOf);
    expect(actions.filter((a) => WRITE_ACTIONS.includes(a))).toEqual([]);
  });

  it('decide-turn reads one account by key or through the phone index only (no Scan of accounts)', () => {
    const onAccounts = statementsOf('decide-turn').filter((s) =>
      resourcesOf(s).some((r) => refersTo(r, accounts)),
    );
    expect(onAccounts.map((s) => [actionsOf(s), JSON.stringify(s.Resource).includes('/index/')])).toEqual([
      [['dynamodb:GetItem'], false],
      [['dynamodb:Query'], true],
    ]);
    expect(JSON.stringify(onAccounts[1]?.Resource)).toContain('/index/byPhone');
    expect(actionsOn('decide-turn', contacts)).toEqual(['dynamodb:GetItem']);
    expect(actionsOn('decide-turn', catalog)).toContain('dynamodb:GetItem');
    expect(actionsOn('decide-turn', counters)).toEqual(['dynamodb:BatchGetItem']);
    expect(actionsOn('decide-turn', offerLog)).toEqual([]);
  });

  it('admin-api imports and erases accounts: gets, puts, updates and deletes them, scans a sample for the strategies dry run, on the table only', () => {
    const onAccounts = statementsOf('admin-api').filter((s) =>
      resourcesOf(s).some((r) => refersTo(r, accounts)),
    );
    expect(
      onAccounts.every((s) => s.Condition === undefined && !JSON.stringify(s.Resource).includes('/index/')),
    ).toBe(true);
    expect(onAccounts.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);
  });

  it('admin-api erases exactly: contacts found by account and deleted, offer-log accountId rewritten only, POLICY# counters only, the erasure key', () => {
    const on = (id: string) =>
      statementsOf('admin-api').filter((s) => resourcesOf(s).some((r) => refersTo(r, id)));
    const shape = (s: Statement) => [
      actionsOf(s),
      JSON.stringify(s.Resource).match(/\/index\/(\w+)/)?.[1] ?? 'table',
      s.Condition ?? null,
    ];
    expect(on(contacts).map(shape)).toEqual([
      [['dynamodb:DeleteItem'], 'table', null],
      [['dynamodb:Query'], 'byAccount', null],
    ]);
    expect(on(offerLog).map(shape)).toEqual([
      [
        ['dynamodb:UpdateItem'],
        'table',
        {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['contactId', 'seq', 'accountId'] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
        },
      ],
      [['dynamodb:Query'], 'byAccount', null],
    ]);
    expect(on(tableId(data.counters)).map(shape)).toEqual([
      [
        ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem'],
        'table',
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['POLICY#*'] } },
      ],
      // The strategies' funnels: read (the funnel endpoint) and moved by the placements of imports
      // and events sent through the admin API, FUNNEL# items only.
      [
        ['dynamodb:BatchGetItem'],
        'table',
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['FUNNEL#*'] } },
      ],
      [
        ['dynamodb:UpdateItem'],
        'table',
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['FUNNEL#*'] } },
      ],
      // The outbound requests those placements ask for: OUTBOX# items, put once.
      [
        ['dynamodb:PutItem'],
        'table',
        { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['OUTBOX#*'] } },
      ],
    ]);
    const secrets = statementsOf('admin-api').filter((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    const key = logicalId(data.erasureKey);
    expect(secrets.filter((s) => refersTo(s.Resource, key))).toHaveLength(1);
    // Only admin-api may read the erasure key.
    for (const entry of fnIds.keys())
      if (entry !== 'admin-api') expect(JSON.stringify(statementsOf(entry)).includes(key), entry).toBe(false);
  });

  it('save-turn writes the contact, only appends to the offer log, only updates accounts', () => {
    // UpdateItem on contacts: a stale copy of the account is replaced; GetItem on accounts: to replace it.
    expect(actionsOn('save-turn', contacts)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(actionsOn('save-turn', offerLog)).toEqual(['dynamodb:PutItem']);
    expect(actionsOn('save-turn', accounts)).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(actionsOn('save-turn', catalog)).toEqual([]);
    // What an answer teaches is learned off the turn's path (learn-propensity), not by SaveTurn.
    expect(actionsOn('save-turn', tableId(data.learning))).toEqual([]);
  });

  it("learn-propensity reads the offer log's stream and reads and puts learning items only; turns and the dry-run only query them", () => {
    const learning = tableId(data.learning);
    expect(actionsOn('learn-propensity', learning).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);
    for (const t of [accounts, contacts, catalog, counters, tableId(data.kpis)])
      expect(actionsOn('learn-propensity', t), t).toEqual([]);
    const onLog = statementsOf('learn-propensity').filter((s) =>
      resourcesOf(s).some((r) => refersTo(r, offerLog)),
    );
    expect(
      onLog
        .flatMap(actionsOf)
        .every((a) => /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(a)),
    ).toBe(true);
    expect(actionsOn('decide-turn', learning)).toEqual(['dynamodb:Query']);
    expect(actionsOn('admin-api', learning)).toEqual(['dynamodb:Query']);
    for (const entry of fnIds.keys())
      if (!['learn-propensity', 'decide-turn', 'admin-api'].includes(entry))
        expect(actionsOn(entry, learning), entry).toEqual([]);
  });

  it("aggregate-kpis reads the offer log's stream and writes the KPI table only; admin-api only queries it", () => {
    const kpis = tableId(data.kpis);
    expect(actionsOn('aggregate-kpis', kpis)).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    const onLog = statementsOf('aggregate-kpis').filter((s) =>
      resourcesOf(s).some((r) => refersTo(r, offerLog)),
    );
    expect(
      onLog
        .flatMap(actionsOf)
        .every((a) => /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/.test(a)),
    ).toBe(true);
    for (const t of [accounts, contacts, catalog, counters])
      expect(actionsOn('aggregate-kpis', t), t).toEqual([]);
    expect(actionsOn('admin-api', kpis)).toEqual(['dynamodb:Query']);
    for (const entry of fnIds.keys())
      if (!['aggregate-kpis', 'admin-api'].includes(entry)) expect(actionsOn(entry, kpis), entry).toEqual([]);
  });
});

describe('scheduled activations (ActivateDue)', () => {
  it('activate-due reads and writes single catalog items only (no Query, Scan or UpdateItem) and invokes only PlacePortfolio', () => {
    const catalog = tableId(data.catalog);
    expect(actionsOn('activate-due', catalog).sort()).toEqual([
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);
    for (const t of [
      tableId(data.accounts),
      tableId(data.contacts),
      tableId(data.offerLog),
      tableId(data.counters),
    ])
      expect(actionsOn('activate-due', t), t).toEqual([]);
    const invokes = statementsOf('activate-due').filter((s) =>
      actionsOf(s).includes('lambda:InvokeFunction'),
    );
    expect(invokes).toHaveLength(1);
    expect(JSON.stringify(invokes[0]!.Resource)).toContain(fnIds.get('place-portfolio')!);
  });

  it('a rule runs it every minute, with no retries piling up behind a failed run', () => {
    const rules = Object.values(svcTpl.findResources('AWS::Events::Rule')) as Json[];
    const mine = rules.filter((r) =>
      JSON.stringify(r.Properties.Targets).includes(fnIds.get('activate-due')!),
    );
    expect(mine).toHaveLength(1);
    expect(mine[0]!.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(mine[0]!.Properties.Targets[0].RetryPolicy).toEqual({ MaximumRetryAttempts: 0 });
  });
});

describe("the KPI aggregates' stream mapping", () => {
  // The KPI aggregator's (PublishEvents' two mappings are tested in test/infra/outbound.test.ts).
  const maps = (Object.values(svcTpl.findResources('AWS::Lambda::EventSourceMapping')) as Json[]).filter(
    (m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: fnIds.get('aggregate-kpis') }),
  );

  it("is one mapping: the offer log's new entries to aggregate-kpis, in order, one batch per shard, never dropped", () => {
    expect(maps).toHaveLength(1);
    const p = maps[0]!.Properties;
    expect(p.FunctionName).toEqual({ Ref: fnIds.get('aggregate-kpis') });
    expect(JSON.stringify(p.EventSourceArn)).toMatch(/OfferLog/);
    // The checkpoint per shard needs records in order, one invocation per shard at a time.
    expect(p.ParallelizationFactor).toBe(1);
    // The window gives each event its shard id (the checkpoint's key).
    expect(p.TumblingWindowInSeconds).toBeGreaterThan(0);
    expect(p.StartingPosition).toBe('TRIM_HORIZON');
    expect(p.FilterCriteria).toEqual({ Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] });
    // No retry limit, no record age limit, no bisecting: a failed batch is retried until it is counted.
    expect(p.MaximumRetryAttempts).toBeUndefined();
    expect(p.MaximumRecordAgeInSeconds).toBeUndefined();
    expect(p.BisectBatchOnFunctionError).toBeUndefined();
  });

  it('the learner reads the same stream: answers only, in order, one batch per shard, never dropped', () => {
    const mine = (Object.values(svcTpl.findResources('AWS::Lambda::EventSourceMapping')) as Json[]).filter(
      (m) =>
        JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: fnIds.get('learn-propensity') }),
    );
    expect(mine).toHaveLength(1);
    const p = mine[0]!.Properties;
    expect(JSON.stringify(p.EventSourceArn)).toMatch(/OfferLog/);
    expect(p.ParallelizationFactor).toBe(1);
    expect(p.TumblingWindowInSeconds).toBeGreaterThan(0);
    expect(p.StartingPosition).toBe('TRIM_HORIZON');
    expect(JSON.parse(p.FilterCriteria.Filters[0].Pattern)).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { event: { S: ['ACCEPTED', 'DECLINED'] } } },
    });
    expect(p.MaximumRetryAttempts).toBeUndefined();
    expect(p.MaximumRecordAgeInSeconds).toBeUndefined();
    expect(p.BisectBatchOnFunctionError).toBeUndefined();
  });

  it('the offer log streams its new images', () => {
    const p = (tableResources(dataTpl)[tableId(data.offerLog)] as Json).Properties as Json;
    expect(p.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
  });
});

describe('REST API', () => {
  it('has one method per route, each behind the Cognito authorizer, validated, and proxied: call routes to http-api, admin routes to admin-api (their live aliases)', () => {
    const methods = Object.values(svcTpl.findResources('AWS::ApiGateway::Method')) as Json[];
    expect(methods).toHaveLength(ROUTES.length + ADMIN_ROUTES.length);
    // Through each function's `live` alias (what a gradual deployment shifts).
    const aliasOf = (fnId: string) =>
      Object.entries(svcTpl.findResources('AWS::Lambda::Alias')).find(
        ([, a]) => (a as Json).Properties.FunctionName.Ref === fnId,
      )![0];
    const httpApi = aliasOf(fnIds.get('http-api')!);
    const adminApi = aliasOf(fnIds.get('admin-api')!);
    const byTarget = { [httpApi]: 0, [adminApi]: 0 };
    const [authorizerId] = Object.keys(svcTpl.findResources('AWS::ApiGateway::Authorizer'));
    for (const m of methods) {
      expect(m.Properties.AuthorizationType).toBe('COGNITO_USER_POOLS');
      expect(m.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
      expect(m.Properties.RequestValidatorId).toBeDefined();
      expect(m.Properties.Integration.Type).toBe('AWS_PROXY');
      const uri = JSON.stringify(m.Properties.Integration.Uri);
      const target = uri.includes(adminApi) ? adminApi : httpApi;
      expect(uri).toContain(target);
      byTarget[target]!++;
    }
    expect(byTarget).toEqual({ [httpApi]: ROUTES.length, [adminApi]: ADMIN_ROUTES.length });
    const served = service.api.restApi.methods.map((m) => `${m.httpMethod} ${m.resource.path}`);
    expect(served.sort()).toEqual(
      [...ROUTES, ...ADMIN_ROUTES].map((r) => `${r.method} ${r.resource}`).sort(),
    );
  });

  it('validates request parameters and bodies', () => {
    svcTpl.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
  });

  it('deploys stage prod throttled, traced, access-logged as JSON, with execution logs that carry no bodies', () => {
    const stages = Object.values(svcTpl.findResources('AWS::ApiGateway::Stage')) as Json[];
    expect(stages).toHaveLength(1);
    const p = stages[0]?.Properties;
    expect(p.StageName).toBe('prod');
    expect(p.TracingEnabled).toBe(true);
    expect(p.AccessLogSetting.DestinationArn['Fn::GetAtt'][1]).toBe('Arn');
    expect(JSON.parse(p.AccessLogSetting.Format)).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
    });
    expect(p.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: 100,
        ThrottlingBurstLimit: 200,
        LoggingLevel: 'ERROR',
        DataTraceEnabled: false,
      }),
    ]);
    svcTpl.resourceCountIs('AWS::ApiGateway::Account', 1);
  });

  it.each(['DEFAULT_4XX', 'DEFAULT_5XX', 'THROTTLED', 'ACCESS_DENIED'])(
    'answers its own %s errors as problem+json',
    (type) => {
      const responses = Object.values(svcTpl.findResources('AWS::ApiGateway::GatewayResponse')) as Json[];
      const r = responses.find((x) => x.Properties.ResponseType === type)?.Properties as Json;
      expect(r.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
      const template = r.ResponseTemplates['application/json'] as string;
      // Substitute what API Gateway would, then it must be a problem document.
      const doc = JSON.parse(template.replace('$context.error.messageString', '"Forbidden"'));
      expect(doc).toMatchObject({
        type: expect.stringMatching(/^https:\/\//),
        title: expect.any(String),
        detail: 'Forbidden',
      });
      if (r.StatusCode) expect(doc.status).toBe(Number(r.StatusCode));
    },
  );

  it('outputs the API URL, the state machine ARN and the user pool and desktop client ids', () => {
    svcTpl.hasOutput('ApiUrl', {});
    svcTpl.hasOutput('StateMachineArn', {});
    svcTpl.hasOutput('UserPoolId', {});
    svcTpl.hasOutput('DesktopClientId', {});
  });

  it('has one Cognito authorizer: the desk user pool, the Authorization header', () => {
    const authorizers = Object.values(svcTpl.findResources('AWS::ApiGateway::Authorizer')) as Json[];
    expect(authorizers).toHaveLength(1);
    const a = authorizers[0]!.Properties;
    expect(a.Type).toBe('COGNITO_USER_POOLS');
    expect(a.IdentitySource).toBe('method.request.header.Authorization');
    expect(a.ProviderARNs).toHaveLength(1);
    expect(refersTo(a.ProviderARNs, logicalId(data.directory.userPool))).toBe(true);
  });

  it('answers a missing or invalid token with a 401 problem document', () => {
    svcTpl.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" },
    });
  });
});

describe('the desk user pool (data stack)', () => {
  const pools = Object.values(dataTpl.findResources('AWS::Cognito::UserPool')) as Json[];

  it('is one pool: no self sign-up, MFA required (authenticator app), strong passwords, threat protection, retained', () => {
    expect(pools).toHaveLength(1);
    const p = pools[0]!;
    expect(p.DeletionPolicy).toBe('Retain');
    expect(p.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
    expect(p.Properties.MfaConfiguration).toBe('ON');
    expect(p.Properties.EnabledMfas).toEqual(['SOFTWARE_TOKEN_MFA']);
    expect(p.Properties.Policies.PasswordPolicy).toMatchObject({
      MinimumLength: 14,
      RequireLowercase: true,
      RequireUppercase: true,
      RequireNumbers: true,
      RequireSymbols: true,
    });
    expect(p.Properties.UserPoolTier).toBe('PLUS');
    expect(p.Properties.UserPoolAddOns).toEqual({ AdvancedSecurityMode: 'ENFORCED' });
  });

  it('has one group per role: agent, specialist, supervisor, productOwner, ops', () => {
    const groups = Object.values(dataTpl.findResources('AWS::Cognito::UserPoolGroup')) as Json[];
    expect(groups.map((g) => g.Properties.GroupName).sort()).toEqual(
      ['agent', 'ops', 'productOwner', 'specialist', 'supervisor'].sort(),
    );
  });

  it('has a public desktop client (SRP sign-in, no secret, no user-existence errors)', () => {
    dataTpl.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged, errors or warnings', () => {
    expect(nagFindings(buildApp({ bundling: false, context: lenient }).app)).toEqual([]);
  });

  it('catches a wildcard grant slipped into a function role (acknowledgements stay narrow)', () => {
    const { app, service: s } = buildApp({ bundling: false, context: lenient });
    const fn = s.node
      .findAll()
      .find((c): c is RetentionFunction => c instanceof RetentionFunction && c.entryName === 'decide-turn')!;
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: ['*'] }));
    expect(nagFindings(app)).toContainEqual({
      rule: 'AwsSolutions-IAM5[Resource::*]',
      severity: 'error',
      paths: ['RetentionDesk-Service/DecideTurnRole/DefaultPolicy/Resource'],
    });
  });

  it('catches an outdated Lambda runtime', () => {
    const { app, service: s } = buildApp({ bundling: false, context: lenient });
    new lambda.Function(s, 'Old', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    expect(nagFindings(app).map((f) => f.rule)).toContain('AwsSolutions-L1');
  });

  // In-process synth (tests, infra/local) throws; the cdk CLI prints the same report and exits 1.
  it('makes synth fail on an unacknowledged error, with the default settings', () => {
    const { app, service: s } = buildApp({
      bundling: false,
      context: { '@aws-cdk/core:appMode': 'inmemory' },
    });
    const fn = s.node.findAll().find((c): c is RetentionFunction => c instanceof RetentionFunction)!;
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });
});
