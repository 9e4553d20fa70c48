import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CONFIG_PK } from '../../schemas/storage-names';

/** Counter items of rate limits: `RATE#<scope>#<subject>#<window start>`, deleted by TTL. */
export const RATE_PREFIX = 'RATE#';
export const CONFIG_KEY = { pk: CONFIG_PK, sk: 'ACTIVE' } as const;
/**
 * The active version's pointer: its version and kill switch, a ~100-byte item written with every
 * activation, read every few seconds by the turn's configuration cache (a half read unit, where the
 * whole configuration is tens of KB).
 */
export const CONFIG_POINTER_KEY = { pk: CONFIG_PK, sk: 'POINTER' } as const;

/** Throttling and service faults: the state machine retries these (its Retry names this error). */
export class TransientStorageError extends Error {
  override name = 'TransientStorageError';
}
const TRANSIENT = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

export async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof Error && TRANSIENT.has(e.name))
      throw new TransientStorageError(`${e.name}: ${e.message}`);
    throw e;
  }
}

/**
 * Every DynamoDB request of a turn answers within the state machine's task timeout (2 s): each
 * attempt is cut at `attemptMs`, and at most `maxAttempts` are made with a short backoff, so a task
 * reports what happened before Step Functions gives up on it (1.35 s at most with these figures).
 */
export const TURN_STORAGE_BUDGET = { attemptMs: 400, connectMs: 200, maxAttempts: 3, backoffMs: 50 } as const;
/** Worst time the SDK spends on one request under TURN_STORAGE_BUDGET (attempts plus backoff). */
export const turnStorageWorstMs = (b = TURN_STORAGE_BUDGET) =>
  b.maxAttempts * b.attemptMs + b.backoffMs * ((b.maxAttempts * (b.maxAttempts - 1)) / 2);

/** Retries transient, throttling and server errors at most `maxAttempts` times, `backoffMs × n` apart. */
function budgetRetry(b = TURN_STORAGE_BUDGET): DynamoDBClientConfig['retryStrategy'] {
  type Token = { getRetryCount(): number; getRetryDelay(): number };
  const token = (count: number): Token => ({
    getRetryCount: () => count,
    getRetryDelay: () => b.backoffMs * count,
  });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (t: Token, info: { errorType: string; error?: unknown }) => {
      if (info.errorType === 'CLIENT_ERROR' || t.getRetryCount() + 1 >= b.maxAttempts) throw info.error;
      return token(t.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
}

/** The functions' client: every request bounded by the turn's storage budget (see TURN_STORAGE_BUDGET). */
export const turnClientConfig = (b = TURN_STORAGE_BUDGET): DynamoDBClientConfig => ({
  maxAttempts: b.maxAttempts,
  retryStrategy: budgetRetry(b),
  requestHandler: {
    requestTimeout: b.attemptMs,
    connectionTimeout: b.connectMs,
    throwOnRequestTimeout: true,
  },
});

/** The write of a turn may have been applied, or not: the caller must be told so, never "failed". */
export class StorageOutcomeUnknownError extends Error {
  override name = 'StorageOutcomeUnknown';
}

export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    // Every number we store is a JS number (a double): one past 2^53 (a configuration may hold 1e124,
    // which DynamoDB stores) is written as that double and read back as one. By default the
    // marshaller refuses it and the reader turns it into a BigInt or throws: a valid write or read failed (503).
    marshallOptions: { removeUndefinedValues: true, allowImpreciseNumbers: true },
    unmarshallOptions: { wrapNumbers: (n: string) => Number(n) },
  });
}
