import { CfnOutput, Duration, Stack, type StackProps, TimeZone } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as xray from 'aws-cdk-lib/aws-xray';
import type { Construct } from 'constructs';
import { PORTFOLIO_SEGMENTS } from '../../shared/application/portfolio';
import { HISTORY_PREFIX } from '../../shared/domain/contact-policy';
import {
  CONFIG_PK,
  CONTACTS_BY_ACCOUNT,
  FUNNEL_PREFIX,
  OFFER_LOG_BY_ACCOUNT,
  PHONE_INDEX,
} from '../../shared/schemas/storage-names';
import { AccountFeed, allowPepper } from '../constructs/account-feed';
import { Canary } from '../constructs/canary';
import { ConnectIntegrations, RetentionContactFlow } from '../constructs/contact-flow';
import { KpiAggregates } from '../constructs/kpi-aggregates';
import { Operations } from '../constructs/operations';
import { Outbound } from '../constructs/outbound';
import { RetentionApi } from '../constructs/retention-api';
import { RetentionBot } from '../constructs/retention-bot';
import { RetentionCall, RUN_TIMEOUT_SECONDS } from '../constructs/retention-call';
import { RetentionFunction } from '../constructs/retention-function';
import { Rollout } from '../constructs/rollout';
import { Schedules } from '../constructs/schedules';
import type { DataStack } from './data-stack';

export interface ServiceStackProps extends StackProps {
  data: DataStack;
}

/** The stateless stack: functions, the retention-call state machine and the REST API. */
export class ServiceStack extends Stack {
  readonly api: RetentionApi;
  readonly retentionCall: RetentionCall;
  readonly accountFeed: AccountFeed;
  readonly operations: Operations;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const {
      accounts,
      contacts,
      offerLog,
      catalog,
      counters,
      learning,
      kpis,
      pepper,
      contactKey,
      erasureKey,
    } = props.data;

    const decideTurn = new RetentionFunction(this, 'DecideTurn', { name: 'decide-turn' });
    // One contact by key (not RO, which would reach the account index erasure uses too).
    decideTurn.bindTableActions(contacts, 'CONTACTS_TABLE', ['dynamodb:GetItem']);
    // Accounts hold verification hashes: one account by key or by phone, never a Scan (so not RO).
    decideTurn.bindTableActions(accounts, 'ACCOUNTS_TABLE', ['dynamodb:GetItem']);
    decideTurn.allowIndexQuery(accounts, PHONE_INDEX);
    decideTurn.bindTable(catalog, 'CATALOG_TABLE', 'RO');
    // Reads this period's budgets and what was learned for a call type; never writes them.
    decideTurn.bindTableActions(counters, 'COUNTERS_TABLE', ['dynamodb:BatchGetItem']);
    decideTurn.bindTableActions(learning, 'LEARNING_TABLE', ['dynamodb:Query']);
    // Derives contact ids from channel ids with the contact key (GetSecretValue on that one secret).
    decideTurn.addEnvironment('CONTACT_KEY_SECRET_ARN', contactKey.secretArn);
    decideTurn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [contactKey.secretArn],
      }),
    );
    // Checks the caller's answers against the account's factor hashes, made with the pepper.
    allowPepper(decideTurn, pepper);

    const saveTurn = new RetentionFunction(this, 'SaveTurn', { name: 'save-turn' });
    // Puts the contact in the turn's transaction; reads it again only after a lost race, and updates
    // its copy of the account when the account moved under it.
    saveTurn.bindTableActions(contacts, 'CONTACTS_TABLE', [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    // Its one transaction puts the contact, appends to the offer log, and updates the account
    // (verification counters, contact dates, offer history): so nothing but PutItem on the log and
    // UpdateItem on accounts, plus GetItem of one account when a contact's copy is found stale.
    saveTurn.bindTableActions(offerLog, 'OFFER_LOG_TABLE', ['dynamodb:PutItem']);
    saveTurn.bindTableActions(accounts, 'ACCOUNTS_TABLE', ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    // An accept adds to its offer's budget use, conditionally, in the same transaction. (What an
    // answer teaches is learned off the turn's path, from the offer log's stream: LearnPropensity.)
    saveTurn.bindTableActions(counters, 'COUNTERS_TABLE', ['dynamodb:UpdateItem']);

    // X-Ray: 1 % of this stack's requests instead of the account's default rule (5 %, plus one a
    // second). No reservoir: at a million contacts a month (about 1.5 turns a second) a reservoir of
    // one a second alone would trace two thirds of the turns, $13 a month. The rule names this stack's
    // resources only (every function, the API's stage and the channel functions that start a trace are
    // named after the stack), so other applications in the account keep their own sampling. Traces are
    // what an operator opens after a metric or an ERROR line points at a problem: 1 % is still about a
    // thousand a day at that volume.
    new xray.CfnSamplingRule(this, 'TraceSampling', {
      samplingRule: {
        ruleName: this.stackName.slice(0, 32),
        priority: 100,
        fixedRate: 0.01,
        reservoirSize: 0,
        serviceName: `${this.stackName}*`,
        serviceType: '*',
        host: '*',
        httpMethod: '*',
        urlPath: '*',
        resourceArn: '*',
        version: 1,
      },
    });

    this.retentionCall = new RetentionCall(this, 'RetentionCall', {
      // Through their `live` aliases: what a gradual deployment shifts (Rollout below).
      functions: { decideTurn: decideTurn.live(), saveTurn: saveTurn.live() },
    });
    const { stateMachine } = this.retentionCall;

    const httpApi = new RetentionFunction(this, 'HttpApi', {
      name: 'http-api',
      // Waits for the synchronous run, which the state machine itself ends after RUN_TIMEOUT_SECONDS.
      timeout: Duration.seconds(RUN_TIMEOUT_SECONDS + 3),
      environment: { STATE_MACHINE_ARN: stateMachine.stateMachineArn },
    });
    stateMachine.grantStartSyncExecution(httpApi);

    // Amazon Connect contact flows invoke this adapter; it answers within the 8 s a flow waits.
    const connectAdapter = new RetentionFunction(this, 'ConnectAdapter', {
      name: 'connect-adapter',
      timeout: Duration.seconds(RUN_TIMEOUT_SECONDS + 1),
      environment: { STATE_MACHINE_ARN: stateMachine.stateMachineArn },
    });
    stateMachine.grantStartSyncExecution(connectAdapter);
    const connectInstanceArn = this.node.tryGetContext('connectInstanceArn') as string | undefined;
    if (connectInstanceArn)
      connectAdapter.live().addPermission('InvokedByConnect', {
        principal: new iam.ServicePrincipal('connect.amazonaws.com'),
        sourceArn: connectInstanceArn,
        sourceAccount: this.account,
      });
    new CfnOutput(this, 'ConnectAdapterArn', { value: connectAdapter.live().functionArn });
    // The contact flows (below, with the bot), when the instance and its queues are given: -c connectQueueArns='{"RETENTION_SPECIALIST":"arn:…",…}'
    const queueContext = this.node.tryGetContext('connectQueueArns') as
      | string
      | Record<string, string>
      | undefined;
    const queueArns =
      connectInstanceArn && queueContext
        ? typeof queueContext === 'string'
          ? (JSON.parse(queueContext) as Record<string, string>)
          : queueContext
        : undefined;

    // The Lex V2 bot's code hook, on its live alias and its test alias.
    const lexAdapter = new RetentionFunction(this, 'LexAdapter', {
      name: 'lex-adapter',
      timeout: Duration.seconds(RUN_TIMEOUT_SECONDS * 2 + 1),
      environment: { STATE_MACHINE_ARN: stateMachine.stateMachineArn },
    });
    stateMachine.grantStartSyncExecution(lexAdapter);
    new CfnOutput(this, 'LexAdapterArn', { value: lexAdapter.live().functionArn });
    const bot = new RetentionBot(this, 'ChatBot', { codeHook: lexAdapter.live() });
    new CfnOutput(this, 'ChatBotId', { value: bot.bot.attrId });
    new CfnOutput(this, 'ChatBotLiveAliasArn', { value: bot.liveAlias.attrArn });
    if (connectInstanceArn) {
      // The instance may call the adapter and the bot (Connect's own allow-list, beside IAM's).
      new ConnectIntegrations(this, 'ConnectIntegrations', {
        instanceArn: connectInstanceArn,
        adapter: connectAdapter.live(),
        botAliasArn: bot.liveAlias.attrArn,
      });
      if (queueArns)
        new RetentionContactFlow(this, 'ContactFlow', {
          instanceArn: connectInstanceArn,
          adapter: connectAdapter.live(),
          queueArns,
          botAliasArn: bot.liveAlias.attrArn,
        });
    }

    // Admin: versions are written put-if-absent and activated in one transaction (ConditionCheck + Put);
    // an approval is a conditional update, a cancelled scheduled activation a conditional delete.
    // Imports write up to 200 accounts a request: 30 s leaves room for throttling retries.
    const adminApi = new RetentionFunction(this, 'AdminApi', {
      name: 'admin-api',
      timeout: Duration.seconds(30),
    });
    adminApi.bindTableActions(catalog, 'CATALOG_TABLE', [
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ]);
    // Dry-runs read one account; segment tags from other systems are set on it (UpdateItem, tags only).
    // and imports write accounts (PutItem for new ones, UpdateItem under the asOf guard).
    adminApi.bindTableActions(accounts, 'ACCOUNTS_TABLE', [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      // The strategies' dry run reads a sample of the portfolio (the first pages of a scan).
      'dynamodb:Scan',
    ]);
    // Imports delete phone aliases; erasure deletes accounts (allowErasure below grants DeleteItem on them).
    // Imports hash the verification factors they carry, with the pepper.
    allowPepper(adminApi, pepper);
    allowErasure(adminApi, { accounts, contacts, offerLog, counters, erasureKey });
    // The whole portfolio placed by the active strategies: daily (conditions on time), and after an
    // activation (admin-api starts it, one asynchronous invocation per segment).
    const placePortfolio = new RetentionFunction(this, 'PlacePortfolio', {
      name: 'place-portfolio',
      timeout: Duration.minutes(15),
      memorySize: 1024,
    });
    placePortfolio.bindTableActions(accounts, 'ACCOUNTS_TABLE', [
      'dynamodb:Scan',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    placePortfolio.bindTable(catalog, 'CATALOG_TABLE', 'RO');
    placePortfolio.addEnvironment('COUNTERS_TABLE', counters.tableName);
    placePortfolio.addToRolePolicy(
      new iam.PolicyStatement({
        // Funnel counters (in the placements' transactions) and the segments' progress items.
        actions: ['dynamodb:UpdateItem', 'dynamodb:PutItem'],
        resources: [counters.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['FUNNEL#*'] } },
      }),
    );
    // The stack's schedules (EventBridge Scheduler): one group, retries, a dead-letter queue and its alarm.
    const schedules = new Schedules(this, 'Schedules');
    // A segment that still fails after Lambda's two retries (the schedule's run or an activation's
    // backfill) is kept with its event in the schedules' dead-letter queue.
    placePortfolio.configureAsyncInvoke({ retryAttempts: 2, onFailure: schedules.onFailure });
    // Daily, one schedule per segment (a schedule has one target), at 03:00 UTC within a flexible hour:
    // Scheduler spreads the four scans over it instead of starting them together.
    for (let segment = 0; segment < PORTFOLIO_SEGMENTS; segment++)
      schedules.invoke(`PlacePortfolioDaily${segment}`, placePortfolio, {
        description: `Segment ${segment + 1} of ${PORTFOLIO_SEGMENTS} of the portfolio placed again by the active strategies (conditions on time)`,
        schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '3', timeZone: TimeZone.ETC_UTC }),
        flexibleWindow: Duration.hours(1),
        input: { segment, totalSegments: PORTFOLIO_SEGMENTS, cause: 'SCHEDULE' },
        retryAttempts: 3,
        maxEventAge: Duration.hours(6),
      });

    // The funnels as CloudWatch metrics, every 5 minutes: it reads the configuration and the funnel
    // counters (FUNNEL# items, one BatchGet each), and writes nothing.
    const publishFunnels = new RetentionFunction(this, 'PublishFunnels', {
      name: 'publish-funnels',
      timeout: Duration.seconds(30),
    });
    // The active configuration's item only (a leading-key condition: not the versions' history).
    publishFunnels.addEnvironment('CATALOG_TABLE', catalog.tableName);
    publishFunnels.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [catalog.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONFIG_PK] } },
      }),
    );
    publishFunnels.addEnvironment('COUNTERS_TABLE', counters.tableName);
    publishFunnels.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem'],
        resources: [counters.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${FUNNEL_PREFIX}*`] } },
      }),
    );
    // No retry of a failed run: the next one, 5 minutes later, publishes the same gauges afresh.
    publishFunnels.configureAsyncInvoke({ retryAttempts: 0 });
    schedules.invoke('PublishFunnelsEvery5Minutes', publishFunnels, {
      description: "Every active strategy's funnel (accounts per stage) published as CloudWatch metrics",
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(5)),
      retryAttempts: 2,
      // A point later than this is worth less than the next run's.
      maxEventAge: Duration.minutes(2),
    });
    adminApi.addEnvironment('PLACE_PORTFOLIO_FUNCTION', placePortfolio.functionName);
    // The function itself, not its versions or aliases (grantInvoke would add `:*`).
    adminApi.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [placePortfolio.functionArn],
      }),
    );
    // Scheduled activations (README "Governance"): a rule every minute runs ActivateDue, which carries
    // out the one pending activation once due. Chosen over a one-time EventBridge Scheduler `at()`
    // schedule per request: the pending item in the catalog stays the only record of what is scheduled
    // (cancel is one conditional delete, no schedule to delete beside it that could be left behind or
    // fire after a cancel), admin-api needs no scheduler:CreateSchedule or iam:PassRole, and a run
    // that fails is simply tried again a minute later. The price: up to a minute late, and 43,200
    // invocations a month that read one ~200-byte item (well inside Lambda's free tier).
    const activateDue = new RetentionFunction(this, 'ActivateDue', {
      name: 'activate-due',
      timeout: Duration.seconds(30),
    });
    // Reads the pending item, the version and the active configuration; activates in one transaction
    // (ConditionCheck on the version, Put of the active copy and pointer, Delete of the pending item,
    // Put of the audit entry). No Query, no Scan, no UpdateItem.
    activateDue.bindTableActions(catalog, 'CATALOG_TABLE', [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
    ]);
    activateDue.addEnvironment('PLACE_PORTFOLIO_FUNCTION', placePortfolio.functionName);
    activateDue.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [placePortfolio.functionArn],
      }),
    );
    new events.Rule(this, 'ActivateDueEveryMinute', {
      description: 'Carries out a scheduled configuration activation once it is due (ActivateDue)',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A failed run is the next minute's to retry: no retries piling up behind it.
      targets: [new targets.LambdaFunction(activateDue, { retryAttempts: 0 })],
    });
    // A strategy's funnel: its counter items (FUNNEL#…), read in one BatchGet; never written here.
    adminApi.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:BatchGetItem'],
        resources: [counters.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['FUNNEL#*'] } },
      }),
    );
    // Imports and events through the admin API place accounts: the funnel counters move in the
    // placement's transaction (FUNNEL# items only; the outbox's PutItem is granted with the others').
    adminApi.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [counters.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['FUNNEL#*'] } },
      }),
    );
    // The KPI report reads a month of aggregates per Query; it never writes them.
    adminApi.bindTableActions(kpis, 'KPI_TABLE', ['dynamodb:Query']);
    // The dry-run's view of the propensity models (one Query of their partition).
    adminApi.bindTableActions(learning, 'LEARNING_TABLE', ['dynamodb:Query']);
    const reports = new KpiAggregates(this, 'Kpis', { offerLog, kpis, learning });

    this.api = new RetentionApi(this, 'Api', {
      handler: httpApi.live(),
      adminHandler: adminApi.live(),
      userPool: props.data.directory.userPool,
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.api.restApi.url,
      description: 'REST API v1 base URL (Authorization: Bearer <Cognito ID token>)',
    });
    new CfnOutput(this, 'UserPoolId', { value: props.data.directory.userPool.userPoolId });
    new CfnOutput(this, 'DesktopClientId', { value: props.data.directory.desktopClient.userPoolClientId });
    new CfnOutput(this, 'StateMachineArn', { value: stateMachine.stateMachineArn });

    // Account data from other systems: import files (S3) and account change events (EventBridge).
    this.accountFeed = new AccountFeed(this, 'AccountFeed', { accounts, pepper, catalog, counters });
    const feed = this.accountFeed;
    new CfnOutput(this, 'ImportBucketName', {
      value: feed.importBucket.bucketName,
      description: 'Drop account import files under incoming/; reports appear under reports/',
    });
    new CfnOutput(this, 'AccountEventBusName', { value: feed.eventBus.eventBusName });
    new CfnOutput(this, 'AccountEventBusArn', { value: feed.eventBus.eventBusArn });
    new CfnOutput(this, 'AccountFeedDlqUrl', { value: feed.deadLetterQueue.queueUrl });

    // Contact that Retention Desk starts, and decisions to the issuer's systems (the outbox). Every
    // function that places an account writes the outbound requests its stages ask for, as outbox
    // items in the placement's own transaction: PutItem on OUTBOX# keys only.
    const retentionFlowArn = this.node.tryGetContext('connectRetentionFlowArn') as string | undefined;
    const taskQueueArn = this.node.tryGetContext('connectOutboundTaskQueueArn') as string | undefined;
    const outbound = new Outbound(this, 'Outbound', {
      counters,
      offerLog,
      accounts,
      catalog,
      bus: feed.eventBus,
      deadLetterQueue: feed.deadLetterQueue,
      ...(connectInstanceArn && retentionFlowArn && taskQueueArn
        ? { connect: { instanceArn: connectInstanceArn, retentionFlowArn, taskQueueArn } }
        : {}),
    });
    for (const placer of [saveTurn, placePortfolio, feed.importAccounts, feed.accountEvents, adminApi])
      placer.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [counters.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['OUTBOX#*'] } },
        }),
      );

    // The dashboard, the alarms (each says what to do) on one topic, the saved queries.
    // Levers for a bad night: a synthetic call every 5 minutes, with its own alarm (Operations).
    new Canary(this, 'Canary', { stateMachine, accounts, pepper });

    const alarmEmail = this.node.tryGetContext('alarmEmail') as string | undefined;
    this.operations = new Operations(this, 'Operations', {
      functions: {
        'decide-turn': decideTurn,
        'save-turn': saveTurn,
        'http-api': httpApi,
        'connect-adapter': connectAdapter,
        'lex-adapter': lexAdapter,
        'admin-api': adminApi,
        'import-accounts': feed.importAccounts,
        'account-events': feed.accountEvents,
        'aggregate-kpis': reports.aggregator,
        'learn-propensity': reports.learner,
        'place-portfolio': placePortfolio,
        'publish-events': outbound.publisher,
        'start-outbound': outbound.starter,
        'activate-due': activateDue,
        'publish-funnels': publishFunnels,
      },
      stateMachine,
      api: this.api.restApi,
      tables: { contacts, accounts, offerLog, counters, learning, catalog },
      otherAlarms: [
        feed.deadLetterAlarm,
        reports.behindAlarm,
        reports.learnerBehindAlarm,
        schedules.deadLetterAlarm,
      ],
      ...(alarmEmail ? { alarmEmail } : {}),
    });
    // Levers for a bad night: every function on the call path deploys gradually, rolled back on alarm.
    new Rollout(this, 'Rollout', {
      aliases: {
        'decide-turn': decideTurn.live(),
        'save-turn': saveTurn.live(),
        'http-api': httpApi.live(),
        'connect-adapter': connectAdapter.live(),
        'lex-adapter': lexAdapter.live(),
        'admin-api': adminApi.live(),
      },
      alarms: this.operations.rollbackAlarms,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.operations.topic.topicArn,
      description:
        'Every alarm publishes here: subscribe your paging or chat (or deploy with -c alarmEmail=...)',
    });
  }
}

/**
 * What erasing an account needs, and no more: delete the account (phone aliases are already
 * allowed), find its contacts through the keys-only index and delete them, find its offer-log
 * entries through their index and rewrite their accountId only (the log stays append-only for
 * every other attribute), read and delete its contact-policy counters only (`POLICY#…` keys), and
 * read the pseudonym key. Its record and audit entry go to the catalog, which admin-api already puts.
 */
function allowErasure(
  fn: RetentionFunction,
  t: {
    accounts: DataStack['accounts'];
    contacts: DataStack['contacts'];
    offerLog: DataStack['offerLog'];
    counters: DataStack['counters'];
    erasureKey: DataStack['erasureKey'];
  },
): void {
  // The account itself, by its key: a leading-keys condition cannot tell an account from another key.
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['dynamodb:DeleteItem'], resources: [t.accounts.tableArn] }),
  );
  fn.bindTableActions(t.contacts, 'CONTACTS_TABLE', ['dynamodb:DeleteItem']);
  fn.allowIndexQuery(t.contacts, CONTACTS_BY_ACCOUNT);
  fn.addEnvironment('OFFER_LOG_TABLE', t.offerLog.tableName);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:UpdateItem'],
      resources: [t.offerLog.tableArn],
      conditions: {
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['contactId', 'seq', 'accountId'] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
      },
    }),
  );
  fn.allowIndexQuery(t.offerLog, OFFER_LOG_BY_ACCOUNT);
  fn.addEnvironment('COUNTERS_TABLE', t.counters.tableName);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['dynamodb:BatchGetItem', 'dynamodb:DeleteItem'],
      resources: [t.counters.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${HISTORY_PREFIX}*`] } },
    }),
  );
  fn.addEnvironment('ERASURE_KEY_SECRET_ARN', t.erasureKey.secretArn);
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [t.erasureKey.secretArn],
    }),
  );
}
