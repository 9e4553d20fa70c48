import { randomBytes } from 'node:crypto';
import type {
  ConfigAdmin,
  ConfigSource,
  ContactStore,
  CounterStore,
  ObjectStore,
  TurnRunner,
  TurnStore,
} from '../ports';
import {
  DynamoAccountStore,
  DynamoAuditLog,
  DynamoConfigAdmin,
  DynamoConfigSource,
  DynamoContactStore,
  DynamoCounterStore,
  DynamoFunnelStore,
  DynamoKpiStore,
  DynamoTurnStore,
  documentClient,
  turnClientConfig,
} from './dynamo';
import { DynamoOutboundAccounts } from './dynamo/outbound';
import { DynamoPropensityStore, readPropensity } from './dynamo/propensity';
import { requireEnv } from './env';
import { DynamoErasureStore } from './erasure';
import {
  ConnectClient,
  ConnectDialer,
  EventBridgeClient,
  EventBridgePublisher,
  SchedulerClient,
  SchedulerDefer,
} from './outbound-aws';
import { LambdaPortfolioPlacement } from './portfolio';
import { S3ObjectStore, s3Client } from './s3';
import { SfnTurnRunner, sfnClient } from './sfn-runner';

/**
 * The composition root: every real adapter, from the env the constructs set. Nothing is built when a
 * module is imported: each function's `handler` is `lazyHandler(() => makeHandler(<from here>))`, so
 * this runs on its first invocation, once per container. The clients (DynamoDB, Step Functions, S3)
 * and the adapters holding a cache (configuration, counters) are made once and shared.
 */
let db: ReturnType<typeof documentClient> | undefined;
const client = () => {
  // Bounded by the turn's storage budget: a task answers before the state machine's timeout.
  db ??= documentClient(turnClientConfig());
  return db;
};
/** The one DynamoDB client of this process (the local stack adds its fault switch to it as SDK middleware). */
export const dynamoClient = client;

export const contactStore = (): ContactStore =>
  new DynamoContactStore(client(), requireEnv('CONTACTS_TABLE'));
export const accountStore = (): DynamoAccountStore =>
  // The counters table holds the strategies' funnels: the functions that place accounts have it.
  new DynamoAccountStore(client(), requireEnv('ACCOUNTS_TABLE'), process.env.COUNTERS_TABLE || undefined);
let config: ConfigSource | undefined;
/**
 * Cached per container: 30 s by default (CONFIG_CACHE_MS), so an activation reaches every function
 * within it; the active version's pointer 3 s (CONFIG_POINTER_CACHE_MS), so the kill switch within that.
 */
export const configSource = (): ConfigSource => {
  config ??= new DynamoConfigSource(
    client(),
    requireEnv('CATALOG_TABLE'),
    Number(process.env.CONFIG_CACHE_MS ?? 30_000),
    undefined,
    Number(process.env.CONFIG_POINTER_CACHE_MS ?? 3_000),
  );
  return config;
};
/** The active configuration read afresh each time (PlacePortfolio: a run places by what was just activated). */
export const freshConfigSource = (): ConfigSource =>
  new DynamoConfigSource(client(), requireEnv('CATALOG_TABLE'), 0);
export const configAdmin = (): ConfigAdmin => new DynamoConfigAdmin(client(), requireEnv('CATALOG_TABLE'));
export const auditLog = (): DynamoAuditLog => new DynamoAuditLog(client(), requireEnv('CATALOG_TABLE'));
export const turnStore = (): TurnStore =>
  new DynamoTurnStore(client(), {
    contacts: requireEnv('CONTACTS_TABLE'),
    offerLog: requireEnv('OFFER_LOG_TABLE'),
    accounts: requireEnv('ACCOUNTS_TABLE'),
    counters: requireEnv('COUNTERS_TABLE'),
  });
let counters: CounterStore | undefined;
export const counterStore = (): CounterStore => {
  // Cached per container: 5 s by default (COUNTER_CACHE_MS): they decide what is shown and how it ranks.
  counters ??= new DynamoCounterStore(
    client(),
    { counters: requireEnv('COUNTERS_TABLE'), learning: requireEnv('LEARNING_TABLE') },
    Number(process.env.COUNTER_CACHE_MS ?? 5_000),
  );
  return counters;
};
/** Starts the portfolio's placement (admin-api, after an activation): PlacePortfolio, per segment. */
export const portfolioPlacement = (): LambdaPortfolioPlacement =>
  new LambdaPortfolioPlacement(requireEnv('PLACE_PORTFOLIO_FUNCTION'));
/** The strategies' funnels, in the counters table (admin-api reads them). */
export const funnelStore = (): DynamoFunnelStore =>
  new DynamoFunnelStore(client(), requireEnv('COUNTERS_TABLE'));
/** A stream record's image as the item it is (aggregate-kpis). */
export { decodeStreamImage } from './dynamo/kpis';
/** The offers' propensity models (learn-propensity writes them; the turn reads them via counterStore). */
export const propensityStore = (): DynamoPropensityStore =>
  new DynamoPropensityStore(client(), requireEnv('LEARNING_TABLE'));
/** The propensity model state as stored, read once per call (admin-api's dry-run). */
export const propensityState = (): Promise<unknown> => readPropensity(client(), requireEnv('LEARNING_TABLE'));
/** The KPI report's daily aggregates (aggregate-kpis writes them, admin-api reads them). */
export const kpiStore = (): DynamoKpiStore => new DynamoKpiStore(client(), requireEnv('KPI_TABLE'));
/** Erasure on request (admin-api): every table that may name an account. */
export const erasureStore = (): DynamoErasureStore =>
  new DynamoErasureStore(client(), {
    accounts: requireEnv('ACCOUNTS_TABLE'),
    contacts: requireEnv('CONTACTS_TABLE'),
    offerLog: requireEnv('OFFER_LOG_TABLE'),
    counters: requireEnv('COUNTERS_TABLE'),
    catalog: requireEnv('CATALOG_TABLE'),
  });

let runner: TurnRunner | undefined;
/**
 * The turn, one synchronous run of the state machine (http-api, connect-adapter, lex-adapter), over
 * one SFNClient, made (and its SDK loaded) on the first turn.
 */
export const turnRunner = (): TurnRunner => {
  if (!runner) {
    const arn = requireEnv('STATE_MACHINE_ARN');
    runner = new SfnTurnRunner(sfnClient(), arn);
  }
  return runner;
};

let imports: { bucket: string; objects: ObjectStore } | undefined;
/** The import bucket (import-accounts): its name, and the bucket as an ObjectStore over one S3 client. */
export const importBucket = (): { bucket: string; objects: ObjectStore } => {
  if (!imports) {
    const bucket = requireEnv('IMPORT_BUCKET');
    imports = { bucket, objects: new S3ObjectStore(s3Client(), bucket) };
  }
  return imports;
};

/** The secrets, each read once per container on first use (Secrets Manager on AWS, a file locally). */
export { contactKey, erasureKey, pepper } from './pepper';

/** A fresh salt for an imported account's factor hashes. */
export const salt = (): string => randomBytes(16).toString('hex');

/** The account event bus's publisher (publish-events): the outbox and the decisions, as events. */
export const eventPublisher = () =>
  new EventBridgePublisher(new EventBridgeClient({}), requireEnv('EVENT_BUS_NAME'));

/** What StartOutbound uses: the accounts, Connect's outbound APIs on one instance, the Scheduler. */
export const outboundDeps = () => {
  const accounts = accountStore();
  return {
    accounts: new DynamoOutboundAccounts(
      client(),
      accounts,
      requireEnv('ACCOUNTS_TABLE'),
      requireEnv('COUNTERS_TABLE'),
    ),
    // Without a Connect instance (deployed without -c connectInstanceArn) calls and tasks fail, named,
    // into the dead-letter queue, to be redriven once it is there; messages need none.
    dialer: process.env.CONNECT_INSTANCE_ID
      ? new ConnectDialer(new ConnectClient({}), {
          instanceId: requireEnv('CONNECT_INSTANCE_ID'),
          voiceFlowId: requireEnv('OUTBOUND_VOICE_FLOW_ID'),
          taskFlowId: requireEnv('OUTBOUND_TASK_FLOW_ID'),
          ...(process.env.OUTBOUND_QUEUE_ID ? { queueId: process.env.OUTBOUND_QUEUE_ID } : {}),
          ...(process.env.OUTBOUND_SOURCE_PHONE ? { sourcePhone: process.env.OUTBOUND_SOURCE_PHONE } : {}),
        })
      : noConnect,
    scheduler: new SchedulerDefer(new SchedulerClient({}), {
      // Its own ARN, from the invocation (functions/start-outbound.ts sets it).
      functionArn: () => {
        if (!ownArn) throw new Error('start-outbound has not seen its own ARN yet');
        return ownArn;
      },
      roleArn: requireEnv('OUTBOUND_SCHEDULER_ROLE_ARN'),
      ...(process.env.OUTBOUND_SCHEDULE_GROUP ? { group: process.env.OUTBOUND_SCHEDULE_GROUP } : {}),
    }),
    now: () => new Date().toISOString(),
  };
};

const noConnect = {
  startVoice: () =>
    Promise.reject(new Error('No Connect instance: deploy with -c connectInstanceArn=… to call')),
  startTask: () =>
    Promise.reject(new Error('No Connect instance: deploy with -c connectInstanceArn=… for tasks')),
};

let ownArn: string | undefined;
/** StartOutbound's own ARN, from its invocation: a deferred request's schedule invokes it again. */
export const rememberOwnArn = (arn: string) => {
  ownArn ??= arn;
};
