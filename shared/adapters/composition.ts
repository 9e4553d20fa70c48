import type { ConfigAdmin, ConfigSource, ContactStore, CounterStore, TurnStore } from '../ports';
import {
  DynamoAccountStore,
  DynamoAuditLog,
  DynamoConfigAdmin,
  DynamoConfigSource,
  DynamoContactStore,
  DynamoCounterStore,
  DynamoTurnStore,
  documentClient,
  turnClientConfig,
} from './dynamo';
import { requireEnv } from './env';
import { DynamoErasureStore } from './erasure';

/** The composition root: real adapters from the env the constructs set. Built on first use, once. */
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
  new DynamoAccountStore(client(), requireEnv('ACCOUNTS_TABLE'));
let config: ConfigSource | undefined;
/** Cached per container: 30 s by default (CONFIG_CACHE_MS), so an activation reaches every function within it. */
export const configSource = (): ConfigSource => {
  config ??= new DynamoConfigSource(
    client(),
    requireEnv('CATALOG_TABLE'),
    Number(process.env.CONFIG_CACHE_MS ?? 30_000),
  );
  return config;
};
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
  counters ??= new DynamoCounterStore(client(), requireEnv('COUNTERS_TABLE'));
  return counters;
};
/** Erasure on request (admin-api): every table that may name an account. */
export const erasureStore = (): DynamoErasureStore =>
  new DynamoErasureStore(client(), {
    accounts: requireEnv('ACCOUNTS_TABLE'),
    contacts: requireEnv('CONTACTS_TABLE'),
    offerLog: requireEnv('OFFER_LOG_TABLE'),
    counters: requireEnv('COUNTERS_TABLE'),
    catalog: requireEnv('CATALOG_TABLE'),
  });
