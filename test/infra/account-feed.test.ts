import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { RetentionFunction } from '../../infra/constructs/retention-function';
import { type Json, lenient, nagFindings, roleStatements } from './helpers';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string; [k: string]: unknown };

const { data, service } = buildApp({ bundling: false, context: lenient });
const dataTpl = Template.fromStack(data);
const svcTpl = Template.fromStack(service);
const feed = service.accountFeed;

const logicalId = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const objectsOf = (bucketId: string, pattern: string) => ({
  'Fn::Join': ['', [arnOf(bucketId), `/${pattern}`]],
});

/** What a value of the service stack stands for: an import from the data stack is replaced by the exported value. */
const dataExports = new Map(
  Object.values(dataTpl.toJSON().Outputs as Json).map((o: Json) => [o.Export.Name as string, o.Value]),
);
function resolveImport(v: unknown): unknown {
  const name = (v as Json)?.['Fn::ImportValue'];
  if (name === undefined) return v;
  if (!dataExports.has(name)) throw new Error(`no export ${name}`);
  return dataExports.get(name);
}

const fnResources = svcTpl.findResources('AWS::Lambda::Function');
const ours = service.node.findAll().filter((c): c is RetentionFunction => c instanceof RetentionFunction);
const fnIdOf = (entry: string) => {
  const fn = ours.find((f) => f.entryName === entry);
  if (!fn) throw new Error(`no function ${entry}`);
  return logicalId(fn);
};
const envOf = (entry: string) =>
  (fnResources[fnIdOf(entry)] as Json).Properties.Environment.Variables as Json;

/** Every statement of the function's role: its inline policies and every AWS::IAM::Policy attached to it. */
const statementsOf = (entry: string) => roleStatements<Statement>(svcTpl, fnIdOf(entry));
/** The one conditioned grant there may be: deleting phone-alias items, never an account. */
const ALIAS_DELETE_CONDITION = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['PHONE#*'] } };
const isAliasDelete = (s: Statement) =>
  JSON.stringify(s.Condition) === JSON.stringify(ALIAS_DELETE_CONDITION) &&
  JSON.stringify(actionsOf(s)) === JSON.stringify(['dynamodb:DeleteItem']);
/** The outbox: a placement's outbound requests, put in its transaction (OUTBOX# items of the counters table only). */
const OUTBOX_CONDITION = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['OUTBOX#*'] } };
const isOutboxPut = (s: Statement) =>
  JSON.stringify(s.Condition) === JSON.stringify(OUTBOX_CONDITION) &&
  JSON.stringify(actionsOf(s)) === JSON.stringify(['dynamodb:PutItem']);
/** One [action, resource] pair per action and resource of the unconditioned statements, imports resolved. */
const pairs = (statements: Statement[], service: string) =>
  statements.flatMap((s) => {
    expect(s.Effect).toBe('Allow');
    // Only the statements of this service are read (others may carry their own conditions).
    if (isAliasDelete(s) || isOutboxPut(s) || !actionsOf(s).some((a) => a.startsWith(`${service}:`)))
      return [];
    expect(s.Condition).toBeUndefined();
    return actionsOf(s)
      .filter((a) => a.startsWith(`${service}:`))
      .flatMap((a) => resourcesOf(s).map((r) => [a, resolveImport(r)]));
  });

const importBucketId = logicalId(feed.importBucket);
const logBucketId = logicalId(feed.accessLogBucket);
const dlqId = logicalId(feed.deadLetterQueue);
const accountsId = logicalId(data.accounts);
const pepperId = logicalId(data.pepper);
const accountsArn = arnOf(accountsId);
const pepperArn = { Ref: pepperId };
const contactKeyId = logicalId(data.contactKey);
const dlqArn = arnOf(dlqId);

function bucketPolicyOf(bucketId: string): Statement[] {
  const policies = Object.values(svcTpl.findResources('AWS::S3::BucketPolicy')).filter(
    (p: Json) => p.Properties.Bucket.Ref === bucketId,
  ) as Json[];
  expect(policies).toHaveLength(1);
  return policies[0]!.Properties.PolicyDocument.Statement;
}
const sslDeny = (bucketId: string) => ({
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 's3:*',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  Resource: [arnOf(bucketId), objectsOf(bucketId, '*')],
});

describe('pepper secret', () => {
  it('is generated (64 characters, no punctuation), retained, with no fixed name and no customer key', () => {
    const secrets = dataTpl.findResources('AWS::SecretsManager::Secret');
    // The pepper, the contact key and the erasure key: each its own secret.
    expect(Object.keys(secrets).sort()).toEqual([pepperId, contactKeyId, logicalId(data.erasureKey)].sort());
    const s = secrets[pepperId] as Json;
    expect(s.Properties.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true });
    expect(s.Properties.Name).toBeUndefined();
    expect(s.Properties.KmsKeyId).toBeUndefined();
    expect(s.Properties.SecretString).toBeUndefined();
    expect(s.DeletionPolicy).toBe('Retain');
    expect(s.UpdateReplacePolicy).toBe('Retain');
    expect(data.pepper.encryptionKey).toBeUndefined();
  });

  it('is never rotated (rotating it would invalidate every stored hash)', () => {
    dataTpl.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    svcTpl.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  it('reaches exactly decide-turn, admin-api, import-accounts and the canary (its own account’s factors): PEPPER_SECRET_ARN and GetSecretValue on it alone', () => {
    const entries = ours.map((f) => f.entryName);
    const withEnv = entries.filter((e) => 'PEPPER_SECRET_ARN' in envOf(e));
    const withSecrets = entries.filter((e) =>
      statementsOf(e).some(
        (s) =>
          actionsOf(s).some((a) => a.startsWith('secretsmanager:')) && JSON.stringify(s).includes(pepperId),
      ),
    );
    const expected = ['admin-api', 'canary', 'decide-turn', 'import-accounts'];
    expect(withEnv.sort()).toEqual(expected);
    expect(withSecrets.sort()).toEqual(expected);
    for (const e of expected) {
      expect(resolveImport(envOf(e).PEPPER_SECRET_ARN), e).toEqual(pepperArn);
      // The pepper and nothing else of the pepper's (admin-api also reads the erasure key, on its own).
      expect(
        pairs(statementsOf(e), 'secretsmanager').filter(([, r]) => JSON.stringify(r).includes(pepperId)),
        e,
      ).toEqual([['secretsmanager:GetSecretValue', pepperArn]]);
      // The secret uses Secrets Manager's own key: no KMS grant for anyone.
      expect(pairs(statementsOf(e), 'kms'), e).toEqual([]);
    }
  });

  it('no other resource of the service stack refers to the secret (no resource policy, no other reader)', () => {
    const refs = Object.entries(svcTpl.toJSON().Resources as Json)
      .filter(([, r]) => JSON.stringify(r).includes(pepperId))
      .map(([, r]) => (r as Json).Type);
    // The four functions (env) and their four default policies.
    expect(refs.sort()).toEqual([
      ...Array(4).fill('AWS::IAM::Policy'),
      ...Array(4).fill('AWS::Lambda::Function'),
    ]);
  });
});

describe('contact key secret', () => {
  it('is generated, retained, and read by decide-turn alone (GetSecretValue on it, nothing else)', () => {
    const s = dataTpl.findResources('AWS::SecretsManager::Secret')[contactKeyId] as Json;
    expect(s.Properties.GenerateSecretString).toEqual({ PasswordLength: 64, ExcludePunctuation: true });
    expect(s.DeletionPolicy).toBe('Retain');
    const readers = ours
      .map((f) => f.entryName)
      .filter(
        (e) => JSON.stringify(statementsOf(e)).includes(contactKeyId) || 'CONTACT_KEY_SECRET_ARN' in envOf(e),
      );
    expect(readers).toEqual(['decide-turn']);
    expect(resolveImport(envOf('decide-turn').CONTACT_KEY_SECRET_ARN)).toEqual({ Ref: contactKeyId });
    // DecideTurn also reads the pepper (it judges verifications): the contact key and that, nothing else.
    expect(pairs(statementsOf('decide-turn'), 'secretsmanager')).toEqual([
      ['secretsmanager:GetSecretValue', { Ref: contactKeyId }],
      ['secretsmanager:GetSecretValue', { Ref: pepperId }],
    ]);
  });
});

describe('import bucket', () => {
  const buckets = svcTpl.findResources('AWS::S3::Bucket');
  const bucket = buckets[importBucketId] as Json;
  const logBucket = buckets[logBucketId] as Json;

  it('is the import bucket and its access-log bucket, nothing else', () => {
    expect(Object.keys(buckets).sort()).toEqual([importBucketId, logBucketId].sort());
  });

  it.each([
    ['import', importBucketId],
    ['access-log', logBucketId],
  ])('the %s bucket blocks all public access, is S3-encrypted, retained and has no fixed name', (_, id) => {
    const b = buckets[id] as Json;
    expect(b.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(b.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(b.Properties.BucketName).toBeUndefined();
    expect(b.Properties.AccessControl).toBeUndefined();
    expect(b.DeletionPolicy).toBe('Retain');
  });

  it.each([
    ['import', importBucketId],
    ['access-log', logBucketId],
  ])('the %s bucket denies every request not made over TLS', (_, id) => {
    expect(bucketPolicyOf(id)).toContainEqual(sslDeny(id));
  });

  it('logs its accesses to the access-log bucket, which S3 logging may write to for this bucket only', () => {
    expect(bucket.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logBucketId } });
    expect(logBucket.Properties.LoggingConfiguration).toBeUndefined();
    const allows = bucketPolicyOf(logBucketId).filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: objectsOf(logBucketId, '*'),
        Condition: {
          ArnLike: { 'aws:SourceArn': arnOf(importBucketId) },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      },
    ]);
    // And nobody is allowed anything on the import bucket by its policy: access is by role only.
    expect(bucketPolicyOf(importBucketId).filter((s) => s.Effect === 'Allow')).toEqual([]);
  });

  it('expires import files (verification factors in clear) after 1 day and reports after 30 days', () => {
    const rules = bucket.Properties.LifecycleConfiguration.Rules as Json[];
    expect(rules).toHaveLength(2);
    const byPrefix = Object.fromEntries(rules.map((r) => [r.Prefix, r]));
    expect(byPrefix['incoming/']).toMatchObject({
      Status: 'Enabled',
      ExpirationInDays: 1,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    });
    expect(byPrefix['reports/']).toMatchObject({ Status: 'Enabled', ExpirationInDays: 30 });
    for (const r of rules) expect(r.Filter ?? r.TagFilters).toBeUndefined();
    // Not versioned: an expired file is gone, not kept as a noncurrent version.
    expect(bucket.Properties.VersioningConfiguration).toBeUndefined();
  });

  it('notifies import-accounts of objects created under incoming/, and only that', () => {
    const notifications = Object.values(svcTpl.findResources('Custom::S3BucketNotifications')) as Json[];
    expect(notifications).toHaveLength(1);
    const p = notifications[0]!.Properties;
    expect(p.BucketName).toEqual({ Ref: importBucketId });
    expect(p.NotificationConfiguration).toEqual({
      LambdaFunctionConfigurations: [
        {
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
          LambdaFunctionArn: arnOf(fnIdOf('import-accounts')),
        },
      ],
    });
    const s3Invokes = Object.values(svcTpl.findResources('AWS::Lambda::Permission')).filter(
      (x: Json) => x.Properties.Principal === 's3.amazonaws.com',
    ) as Json[];
    expect(s3Invokes.map((x) => x.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(fnIdOf('import-accounts')),
        Principal: 's3.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: arnOf(importBucketId),
      },
    ]);
  });
});

describe('import-accounts', () => {
  const statements = statementsOf('import-accounts');

  it('runs up to 15 minutes with 1 GB, unreserved (deployable on a new account), and knows its bucket', () => {
    const p = (fnResources[fnIdOf('import-accounts')] as Json).Properties;
    expect(p.Timeout).toBe(900);
    expect(p.MemorySize).toBe(1024);
    expect(p.ReservedConcurrentExecutions).toBeUndefined();
    expect(envOf('import-accounts').IMPORT_BUCKET).toEqual({ Ref: importBucketId });
    expect(resolveImport(envOf('import-accounts').ACCOUNTS_TABLE)).toEqual({ Ref: accountsId });
  });

  it('reads objects under incoming/ and writes objects under reports/, nothing else in S3', () => {
    expect(pairs(statements, 's3')).toEqual([
      ['s3:GetObject', objectsOf(importBucketId, 'incoming/*')],
      ['s3:PutObject', objectsOf(importBucketId, 'reports/*')],
    ]);
  });

  it('gets, puts and updates accounts (the table itself, no index), reads the configuration, counts funnels', () => {
    const ddb = pairs(statements, 'dynamodb');
    const on = (name: string) => ddb.filter(([, r]) => JSON.stringify(r).includes(name)).map(([a]) => a);
    expect(
      ddb
        .filter(([, r]) => JSON.stringify(r) === JSON.stringify(accountsArn))
        .map(([a]) => a)
        .sort(),
    ).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(on('Counters')).toEqual(['dynamodb:UpdateItem']);
    expect(statements.filter(isOutboxPut)).toHaveLength(1);
    expect(on('Catalog').every((a) => !/Put|Update|Delete|Write/.test(String(a)))).toBe(true);
    expect(ddb.length).toBe(3 + on('Counters').length + on('Catalog').length);
  });

  it('reads the pepper with GetSecretValue only', () => {
    expect(pairs(statements, 'secretsmanager')).toEqual([['secretsmanager:GetSecretValue', pepperArn]]);
  });

  it('may delete only phone-alias items of accounts (leading key PHONE#…), never an account', () => {
    const deletes = statements.filter((s) => actionsOf(s).includes('dynamodb:DeleteItem'));
    expect(deletes.length).toBe(1);
    expect(isAliasDelete(deletes[0]!)).toBe(true);
    expect(resourcesOf(deletes[0]!).map(resolveImport)).toEqual([accountsArn]);
  });

  it('has no permission beyond its logs, traces, S3, accounts, pepper and dead letters', () => {
    const services = new Set(statements.flatMap(actionsOf).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 's3', 'secretsmanager', 'sqs', 'xray']);
    expect(pairs(statements, 'sqs').every(([, r]) => JSON.stringify(r) === JSON.stringify(dlqArn))).toBe(
      true,
    );
  });
});

describe('account change events', () => {
  it('account-events reads and updates accounts, reads the configuration, counts funnels: no pepper, no S3', () => {
    const statements = statementsOf('account-events');
    const ds = pairs(statements, 'dynamodb');
    expect(
      ds
        .filter(([, r]) => JSON.stringify(r) === JSON.stringify(accountsArn))
        .map(([a]) => a)
        .sort(),
    ).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    const onCounters = ds.filter(([, r]) => JSON.stringify(r).includes('Counters'));
    expect(onCounters.map(([a]) => a)).toEqual(['dynamodb:UpdateItem']);
    expect(statements.filter(isOutboxPut)).toHaveLength(1);
    const onCatalog = ds.filter(([, r]) => JSON.stringify(r).includes('Catalog'));
    expect(onCatalog.length).toBeGreaterThan(0);
    expect(onCatalog.every(([a]) => !/Put|Update|Delete|Write/.test(String(a)))).toBe(true);
    expect(ds.length).toBe(2 + onCounters.length + onCatalog.length);
    expect(pairs(statements, 'secretsmanager')).toEqual([]);
    expect(pairs(statements, 's3')).toEqual([]);
    expect(pairs(statements, 'kms')).toEqual([]);
    const services = new Set(statements.flatMap(actionsOf).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'sqs', 'xray']);
    expect(pairs(statements, 'sqs').every(([, r]) => JSON.stringify(r) === JSON.stringify(dlqArn))).toBe(
      true,
    );
    expect(envOf('account-events').PEPPER_SECRET_ARN).toBeUndefined();
    expect((fnResources[fnIdOf('account-events')] as Json).Properties.Timeout).toBe(30);
  });

  it('come on a custom bus, matched on detail-type "Account Change", to account-events with retries and a DLQ', () => {
    const buses = svcTpl.findResources('AWS::Events::EventBus');
    expect(Object.keys(buses)).toEqual([logicalId(feed.eventBus)]);
    // The rules on the account bus (the others: PlacePortfolio's daily schedule, the canary's).
    const onBus = (Object.values(svcTpl.findResources('AWS::Events::Rule')) as Json[]).filter(
      (r) => r.Properties.EventBusName,
    );
    // The other rule on the bus: our own "Outbound Contact Requested" events, to start-outbound.
    expect(onBus.map((r) => r.Properties.EventPattern['detail-type'][0]).sort()).toEqual([
      'Account Change',
      'Outbound Contact Requested',
    ]);
    const rules = onBus.filter((r) => r.Properties.EventPattern['detail-type'][0] === 'Account Change');
    expect(rules).toHaveLength(1);
    const p = rules[0]!.Properties;
    expect(p.EventBusName).toEqual({ Ref: logicalId(feed.eventBus) });
    expect(p.EventPattern).toEqual({ 'detail-type': ['Account Change'] });
    expect(p.State).toBe('ENABLED');
    expect(p.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: arnOf(fnIdOf('account-events')),
        DeadLetterConfig: { Arn: dlqArn },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      },
    ]);
  });

  it('the rule alone may invoke account-events, and EventBridge may send to the DLQ for that rule only', () => {
    const ruleOf = (type: string) =>
      Object.entries(svcTpl.findResources('AWS::Events::Rule')).find(
        ([, r]) => (r as Json).Properties.EventPattern?.['detail-type']?.[0] === type,
      )![0];
    const ruleId = ruleOf('Account Change');
    const invokes = Object.values(svcTpl.findResources('AWS::Lambda::Permission')).filter(
      (x: Json) =>
        JSON.stringify(x.Properties.FunctionName) === JSON.stringify(arnOf(fnIdOf('account-events'))),
    ) as Json[];
    expect(invokes.map((x) => x.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(fnIdOf('account-events')),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(ruleId),
      },
    ]);
    // The feed's queue's policy (the schedules' queue has its own: test/infra/schedules.test.ts).
    const queuePolicy = (Object.values(svcTpl.findResources('AWS::SQS::QueuePolicy')) as Json[]).filter(
      (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: dlqId }]),
    );
    expect(queuePolicy).toHaveLength(1);
    const allows = (queuePolicy[0]!.Properties.PolicyDocument.Statement as Statement[]).filter(
      (s) => s.Effect === 'Allow',
    );
    expect(allows).toHaveLength(2);
    expect(allows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: dlqArn,
          Condition: { ArnEquals: { 'aws:SourceArn': arnOf(ruleOf('Outbound Contact Requested')) } },
        }),
        expect.objectContaining({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: dlqArn,
          Condition: { ArnEquals: { 'aws:SourceArn': arnOf(ruleId) } },
        }),
      ]),
    );
  });
});

describe('dead letters', () => {
  it('one queue, SQS-encrypted, TLS only, kept 14 days', () => {
    // The feed's one queue (the schedules' dead letters are the stack's other: test/infra/schedules.test.ts).
    const queues = svcTpl.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues).filter((id) => id.startsWith('AccountFeed'))).toEqual([dlqId]);
    const p = (queues[dlqId] as Json).Properties;
    expect(p.SqsManagedSseEnabled).toBe(true);
    expect(p.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    const policy = (
      Object.values(svcTpl.findResources('AWS::SQS::QueuePolicy')).find(
        (p) => JSON.stringify((p as Json).Properties.Queues) === JSON.stringify([{ Ref: dlqId }]),
      ) as Json
    ).Properties;
    expect(policy.PolicyDocument.Statement).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Resource: dlqArn,
    });
  });

  it.each(['import-accounts', 'account-events'])(
    '%s retries a failed async invocation twice, then sends it to the DLQ',
    (entry) => {
      const configs = Object.values(svcTpl.findResources('AWS::Lambda::EventInvokeConfig')).filter(
        (c: Json) => c.Properties.FunctionName.Ref === fnIdOf(entry),
      ) as Json[];
      expect(configs.map((c) => c.Properties)).toEqual([
        {
          FunctionName: { Ref: fnIdOf(entry) },
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 2,
          DestinationConfig: { OnFailure: { Destination: dlqArn } },
        },
      ]);
      expect(pairs(statementsOf(entry), 'sqs')).toContainEqual(['sqs:SendMessage', dlqArn]);
    },
  );

  it('only these functions have an async invoke config: the feed, start-outbound, and the scheduled ones (test/infra/schedules.test.ts)', () => {
    const configured = Object.values(svcTpl.findResources('AWS::Lambda::EventInvokeConfig')).map(
      (c: Json) => c.Properties.FunctionName.Ref,
    );
    expect(configured.sort()).toEqual(
      [
        fnIdOf('import-accounts'),
        fnIdOf('account-events'),
        fnIdOf('start-outbound'),
        fnIdOf('place-portfolio'),
        fnIdOf('publish-funnels'),
      ].sort(),
    );
  });

  it('raise the AccountFeedDeadLetters alarm as soon as one message is visible (5 minutes), quiet without data', () => {
    // The feed's one alarm (the others are the operations alarms, test/infra/operations.test.ts).
    const alarms = Object.entries(svcTpl.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
      id.startsWith('AccountFeed'),
    );
    expect(alarms).toHaveLength(1);
    const [id, alarm] = alarms[0]! as [string, Json];
    expect(id).toMatch(/^AccountFeedDeadLetters[0-9A-F]{8}$/);
    expect(alarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm.Properties.AlarmName).toBeUndefined();
  });
});

describe('outputs', () => {
  it.each([
    ['ImportBucketName', { Ref: importBucketId }],
    ['AccountEventBusName', { Ref: logicalId(feed.eventBus) }],
    ['AccountEventBusArn', { 'Fn::GetAtt': [logicalId(feed.eventBus), 'Arn'] }],
    ['AccountFeedDlqUrl', { Ref: dlqId }],
  ])('%s', (name, value) => {
    expect((svcTpl.toJSON().Outputs as Json)[name]?.Value).toEqual(value);
  });
});

describe('cdk-nag AwsSolutions', () => {
  const findings = nagFindings(buildApp({ bundling: false, context: lenient }).app);

  it.each(['RetentionDesk-Data', 'RetentionDesk-Service'])('finds nothing unacknowledged in %s', (stack) => {
    expect(findings.filter((f) => f.paths.some((p) => p.startsWith(`${stack}/`)))).toEqual([]);
  });

  it('acknowledges only the two object prefixes of import-accounts, not the whole bucket', () => {
    const { app, service: s } = buildApp({ bundling: false, context: lenient });
    const fn = s.node
      .findAll()
      .find(
        (c): c is RetentionFunction => c instanceof RetentionFunction && c.entryName === 'import-accounts',
      )!;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:DeleteObject'],
        resources: [s.accountFeed.importBucket.arnForObjects('*')],
      }),
    );
    expect(nagFindings(app)).toContainEqual({
      rule: `AwsSolutions-IAM5[Resource::<${importBucketId}.Arn>/*]`,
      severity: 'error',
      paths: ['RetentionDesk-Service/AccountFeed/ImportAccountsRole/DefaultPolicy/Resource'],
    });
  });

  it('acknowledges no-rotation on the pepper only', () => {
    const { app, data: d } = buildApp({ bundling: false, context: lenient });
    new secretsmanager.Secret(d, 'Careless');
    expect(nagFindings(app)).toContainEqual({
      rule: 'AwsSolutions-SMG4',
      severity: 'error',
      paths: ['RetentionDesk-Data/Careless/Resource'],
    });
  });
});
