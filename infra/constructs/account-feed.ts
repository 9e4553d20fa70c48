import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { ACCOUNT_CHANGE_DETAIL_TYPE, INCOMING_PREFIX, REPORTS_PREFIX } from '../../shared/application/feed';
import { PHONE_ALIAS_PREFIX } from '../../shared/schemas/storage-names';
import { RetentionFunction } from './retention-function';

/**
 * Lets a function that hashes or checks verification factors read the pepper: its ARN in
 * PEPPER_SECRET_ARN, and secretsmanager:GetSecretValue on that one secret (not DescribeSecret, which
 * `grantRead` would add too). A KMS grant only if the secret has a customer key.
 */
export function allowPepper(fn: RetentionFunction, pepper: secretsmanager.ISecret): void {
  fn.addEnvironment('PEPPER_SECRET_ARN', pepper.secretArn);
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [pepper.secretArn] }),
  );
  pepper.encryptionKey?.grantDecrypt(fn);
}

/**
 * Lets an importer remove the alias items of numbers an account no longer has (`PHONE#…` keys only:
 * the condition on the leading key keeps it from ever deleting an account).
 */
export function allowPhoneAliasDeletes(fn: RetentionFunction, accounts: dynamodb.ITableV2): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:DeleteItem'],
      resources: [accounts.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${PHONE_ALIAS_PREFIX}*`] } },
    }),
  );
}

export interface AccountFeedProps {
  accounts: dynamodb.ITableV2;
  pepper: secretsmanager.ISecret;
  /** The active configuration (its strategies place the accounts an event changes). */
  catalog: dynamodb.ITableV2;
  /** Where the strategies' funnels are counted, in the same transaction as each placement. */
  counters: dynamodb.ITableV2;
}

/**
 * How account data reaches the accounts table from other systems:
 * - files: an import file dropped under `incoming/` of the import bucket is read by ImportAccounts,
 *   which hashes its verification factors with the pepper, writes the accounts, and leaves a report
 *   under `reports/`;
 * - events: "Account Change" events on the account event bus are applied by AccountEvents (an
 *   asOf-guarded update; it never sees factors, so it has no pepper).
 * Whatever fails after its retries lands in one dead-letter queue, which raises an alarm.
 */
export class AccountFeed extends Construct {
  readonly importBucket: s3.Bucket;
  readonly accessLogBucket: s3.Bucket;
  readonly importAccounts: RetentionFunction;
  readonly accountEvents: RetentionFunction;
  readonly eventBus: events.EventBus;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AccountFeedProps) {
    super(scope, id);
    const { accounts, pepper } = props;
    // S3 delivers the access logs under a bucket policy (logging.s3.amazonaws.com), not the legacy
    // LogDeliveryWrite ACL, which would need ObjectWriter ownership on the log bucket.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);

    this.accessLogBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This is the import bucket's server access log bucket: logging its own accesses would log into itself (or need yet another bucket, endlessly).",
    });

    this.importBucket = new s3.Bucket(this, 'ImportBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.accessLogBucket,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'ExpireIncoming',
          // Import files hold verification factors in clear: gone a day after upload, parts of an
          // unfinished upload too.
          prefix: INCOMING_PREFIX,
          expiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        { id: 'ExpireReports', prefix: REPORTS_PREFIX, expiration: Duration.days(30) },
      ],
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the account feed (failed import and account-change invocations); it has no DLQ of its own.',
    });
    const onFailure = new destinations.SqsDestination(this.deadLetterQueue);

    // Files: one invocation per file under incoming/, each up to 15 minutes with at most 32 writes in
    // flight. Not reserved concurrency: a new account's quota of 10 would refuse the deploy, and files
    // split by the issuer should import side by side (the on-demand table absorbs them).
    this.importAccounts = new RetentionFunction(this, 'ImportAccounts', {
      name: 'import-accounts',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: { IMPORT_BUCKET: this.importBucket.bucketName },
    });
    allowPepper(this.importAccounts, pepper);
    // New accounts are put, known ones updated under the asOf guard; read first to compare.
    this.importAccounts.bindTableActions(accounts, 'ACCOUNTS_TABLE', [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    allowPhoneAliasDeletes(this.importAccounts, accounts);
    // Reads only what is dropped under incoming/, writes only reports: no listing, no deleting
    // (the lifecycle rule expires the files).
    this.importAccounts.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [this.importBucket.arnForObjects(`${INCOMING_PREFIX}*`)],
      }),
    );
    this.importAccounts.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.importBucket.arnForObjects(`${REPORTS_PREFIX}*`)],
      }),
    );
    // On the role's grants (DefaultPolicy) and for these two resources only: any other wildcard still fails synth.
    const grants = this.importAccounts.role?.node.tryFindChild('DefaultPolicy');
    if (!grants) throw new Error('import-accounts has no DefaultPolicy');
    const bucketId = Stack.of(this).getLogicalId(this.importBucket.node.defaultChild as CfnElement);
    for (const prefix of [INCOMING_PREFIX, REPORTS_PREFIX])
      Validations.of(grants).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `The objects under ${prefix} of the import bucket: file names are chosen by the uploading system (and reports are named after them), so the prefix is as narrow as the objects can be named.`,
      });
    this.importAccounts.configureAsyncInvoke({ retryAttempts: 2, onFailure });
    this.importBucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new s3n.LambdaDestination(this.importAccounts),
      { prefix: INCOMING_PREFIX },
    );
    this.acknowledgeNotificationsHandler();

    // Events: "Account Change" on our own bus.
    this.eventBus = new events.EventBus(this, 'Bus', {
      description: 'Retention Desk: account changes from other systems ("Account Change" events)',
    });
    this.accountEvents = new RetentionFunction(this, 'AccountEvents', {
      name: 'account-events',
      timeout: Duration.seconds(30),
    });
    // Reads the account, applies the event and places it in the active strategies, writing both in
    // one update (a transaction with the funnel counters when a stage changes).
    this.accountEvents.bindTableActions(accounts, 'ACCOUNTS_TABLE', [
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    this.accountEvents.bindTable(props.catalog, 'CATALOG_TABLE', 'RO');
    this.accountEvents.bindTableActions(props.counters, 'COUNTERS_TABLE', ['dynamodb:UpdateItem']);
    this.accountEvents.configureAsyncInvoke({ retryAttempts: 2, onFailure });
    new events.Rule(this, 'AccountChange', {
      eventBus: this.eventBus,
      description: 'Account Change events to the account-events function',
      eventPattern: { detailType: [ACCOUNT_CHANGE_DETAIL_TYPE] },
      targets: [
        new targets.LambdaFunction(this.accountEvents, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetters', {
      alarmDescription:
        'Account feed: an import file or an account change event failed after its retries (see the dead-letter queue).',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * `addEventNotification` adds CDK's own BucketNotificationsHandler, a singleton Lambda of the stack
   * that puts the bucket's notification configuration at deploy time. Its role is CDK's, not ours:
   * only the managed policy CDK attaches to it is acknowledged, on that role only.
   */
  private acknowledgeNotificationsHandler(): void {
    const roles = Stack.of(this)
      .node.children.filter((c) => c.node.id.startsWith('BucketNotificationsHandler'))
      .map((c) => c.node.tryFindChild('Role'));
    if (roles.length !== 1 || !roles[0])
      throw new Error("CDK's BucketNotificationsHandler (or its Role) not found: has CDK renamed it?");
    Validations.of(roles[0]).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's own BucketNotificationsHandler (the provider of Custom::S3BucketNotifications, not one of our functions): CDK attaches this managed policy to its role for the handler's logs; it runs only at deploy time, and its one other permission, s3:PutBucketNotification, is on the import bucket only.",
    });
  }
}
