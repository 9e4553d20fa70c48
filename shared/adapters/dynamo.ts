/**
 * The DynamoDB adapters, one file per store under ./dynamo/: storage keys, layouts, TTLs of counters
 * and the transaction's shape live there, never in the domain.
 */
export * from './dynamo/accounts';
export * from './dynamo/audit';
export * from './dynamo/client';
export * from './dynamo/config';
export * from './dynamo/contacts';
export * from './dynamo/counters';
export * from './dynamo/funnel';
export * from './dynamo/kpis';
export * from './dynamo/turns';
