import { createHash, randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  type DynamoDBClientConfig,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { RateCharge } from '../domain/rate-limits';
import { type BudgetBook, budgetPeriods, type LearnedBook } from '../domain/turn';
import type {
  AccountImportStore,
  AccountStore,
  AccountTagger,
  AuditEntry,
  AuditLog,
  ConfigAdmin,
  ConfigSource,
  ConfigVersionSummary,
  ContactStore,
  CounterStore,
  SaveOutcome,
  TurnStore,
  TurnWrite,
} from '../ports';
import { type Account, AccountSchema } from '../schemas/account';
import { type CallType, type DecisionConfig, DecisionConfigSchema } from '../schemas/config';
import { type Contact, ContactSchema } from '../schemas/contact';
import { type ActedBy, ActedBySchema } from '../schemas/identity';
import type { AccountEvent } from '../schemas/import';
import { PHONE_ALIAS_PREFIX, PHONE_INDEX } from '../schemas/storage-names';

/** Counter items of rate limits: `RATE#<scope>#<subject>#<window start>`, deleted by TTL. */
export const RATE_PREFIX = 'RATE#';
export const CONFIG_KEY = { pk: 'DECISION_CONFIG', sk: 'ACTIVE' } as const;

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

/**
 * Counts the attempts of one command and whether any of them may have reached DynamoDB and been
 * applied: an answer from DynamoDB (4xx) or a refused connection means "not applied"; a timeout, a
 * reset connection or a server error leaves the outcome unknown.
 */
function trackAttempts(command: { middlewareStack: { add: (...a: never[]) => void } }) {
  const seen = { count: 0, maybeApplied: false };
  const tracker = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    seen.count++;
    try {
      return await next(args);
    } catch (e) {
      const err = e as { code?: string; $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      const answered = status !== undefined && status >= 400 && status < 500;
      if (!answered && err.code !== 'ECONNREFUSED') seen.maybeApplied = true;
      throw e;
    }
  };
  // In the deserialize step: inside the retry loop, once per attempt, around the HTTP request.
  (command.middlewareStack.add as (m: unknown, o: unknown) => void)(tracker, {
    step: 'deserialize',
    priority: 'high',
    name: 'turnAttemptTracker',
    override: true,
  });
  return seen;
}

/**
 * The write's ClientRequestToken: the contact, the version it expects and a hash of everything it
 * writes. The same turn retried gives the same token (DynamoDB applies it once); any other turn, a
 * different one. 36 characters, DynamoDB's limit.
 */
function turnToken(w: TurnWrite, items: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([w.contact.contactId, w.expectedVersion ?? 'new', items]))
    .digest('hex')
    .slice(0, 36);
}

export function documentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

export class DynamoContactStore implements ContactStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}
  async get(contactId: string): Promise<Contact | undefined> {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: { contactId }, ConsistentRead: true })),
    );
    return r.Item ? ContactSchema.parse(r.Item) : undefined;
  }
}

/**
 * The item that lets the phone index find an account by one of its other numbers. Its key cannot be
 * an account id (`#` is not allowed in one), so it never meets an account.
 */
/** The account's own condition failed: a plain write's, or the first item's of a transaction (the account). */
const accountConditionFailed = (e: unknown) =>
  e instanceof ConditionalCheckFailedException ||
  (e instanceof TransactionCanceledException &&
    e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed');

export const phoneAlias = (accountId: string, phone: string) => ({
  accountId: `${PHONE_ALIAS_PREFIX}${phone}#${accountId}`,
  phone,
  aliasOf: accountId,
});

/**
 * An account's offer history is stored on its item as one number and one date per offer
 * (`presented#<offerId>`, `declined#<offerId>`): the turns add to them with ADD and SET, which need
 * no map to exist, and the start reads them with the account, in its one read.
 */
export const PRESENTED_PREFIX = 'presented#';
export const DECLINED_PREFIX = 'declined#';

/** The account as stored, its history attributes gathered into `offerHistory`. */
export function accountOf(item: Record<string, unknown>): Account {
  const rest: Record<string, unknown> = {};
  const history: Record<string, { presentations: number; lastDeclinedAt?: string }> = {};
  for (const [k, v] of Object.entries(item)) {
    if (k.startsWith(PRESENTED_PREFIX)) {
      const id = k.slice(PRESENTED_PREFIX.length);
      history[id] = { ...history[id], presentations: Number(v) };
    } else if (k.startsWith(DECLINED_PREFIX)) {
      const id = k.slice(DECLINED_PREFIX.length);
      history[id] = {
        presentations: history[id]?.presentations ?? 0,
        ...history[id],
        lastDeclinedAt: String(v),
      };
    } else rest[k] = v;
  }
  return AccountSchema.parse(Object.keys(history).length ? { ...rest, offerHistory: history } : rest);
}

export class DynamoAccountStore implements AccountStore, AccountTagger, AccountImportStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}
  async get(accountId: string): Promise<Account | undefined> {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: { accountId }, ConsistentRead: true })),
    );
    return r.Item ? accountOf(r.Item) : undefined;
  }
  /**
   * Writes an imported account. A new one is put whole; an existing one is updated only if this
   * record is newer (`asOf`), keeping its verification counters, tags and contact dates. Throttling
   * is retried with backoff.
   */
  async upsert(a: Account): Promise<'imported' | 'unchanged' | 'stale'> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.upsertOnce(a);
      } catch (e) {
        if (!(e instanceof TransientStorageError) || attempt >= 6) throw e;
        await new Promise((ok) => setTimeout(ok, 25 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  private async upsertOnce(a: Account, races = 0): Promise<'imported' | 'unchanged' | 'stale'> {
    const others = a.otherPhones ?? [];
    // A new account: put whole (with the alias items of its other numbers, in one transaction).
    try {
      const put = {
        TableName: this.table,
        Item: a,
        ConditionExpression: 'attribute_not_exists(accountId)',
      };
      if (others.length === 0) await guard(() => this.db.send(new PutCommand(put)));
      else
        await guard(() =>
          this.db.send(
            new TransactWriteCommand({
              TransactItems: [
                { Put: put },
                ...others.map((p) => ({ Put: { TableName: this.table, Item: phoneAlias(a.accountId, p) } })),
              ],
            }),
          ),
        );
      return 'imported';
    } catch (e) {
      if (!accountConditionFailed(e)) throw e;
    }
    // An existing account: only a newer record wins. What it holds decides first (no write for an
    // unchanged or stale record); the write is then conditional on that same `asOf`, so a record
    // written in between makes this one start again.
    const current = await guard(() =>
      this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: { accountId: a.accountId },
          ProjectionExpression: 'asOf, otherPhones',
          ConsistentRead: true,
        }),
      ),
    );
    const held = current.Item as { asOf?: string; otherPhones?: string[] } | undefined;
    if (held?.asOf !== undefined && a.asOf !== undefined && held.asOf >= a.asOf)
      return held.asOf === a.asOf ? 'unchanged' : 'stale';
    const {
      accountId,
      verification,
      tags,
      recentContacts: _kept,
      asOf,
      otherPhones: _o,
      offerHistory: _h,
      ...data
    } = a;
    const names: Record<string, string> = { '#asOf': 'asOf', '#v': 'verification', '#op': 'otherPhones' };
    const values: Record<string, unknown> = { ':asOf': asOf };
    const sets = ['#asOf = :asOf'];
    for (const [k, v] of Object.entries(data)) {
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      sets.push(`#${k} = :${k}`);
    }
    for (const k of ['salt', 'last4Hash', 'zipHash', 'dobHash', 'pinHash'] as const) {
      const v = verification[k];
      if (v === undefined) continue;
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      sets.push(`#v.#${k} = :${k}`);
    }
    if (tags?.length) {
      names['#tags'] = 'tags';
      values[':tags'] = new Set(tags);
      sets.push('#tags = :tags');
    }
    if (others.length) {
      values[':op'] = others;
      sets.push('#op = :op');
    }
    const removes = [
      ...(verification.pinHash === undefined ? ['#v.#pinHash'] : []),
      ...(others.length ? [] : ['#op']),
    ];
    if (verification.pinHash === undefined) names['#pinHash'] = 'pinHash';
    if (held?.asOf !== undefined) values[':heldAsOf'] = held.asOf;
    const update = {
      TableName: this.table,
      Key: { accountId },
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression:
        held?.asOf !== undefined
          ? '#asOf = :heldAsOf'
          : 'attribute_exists(accountId) AND attribute_not_exists(#asOf)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    // The alias items follow the numbers: added and removed in the same transaction as the account.
    const before = new Set(held?.otherPhones ?? []);
    const added = others.filter((p) => !before.has(p));
    const dropped = [...before].filter((p) => !others.includes(p));
    try {
      if (added.length + dropped.length === 0) await guard(() => this.db.send(new UpdateCommand(update)));
      else
        await guard(() =>
          this.db.send(
            new TransactWriteCommand({
              TransactItems: [
                { Update: update },
                ...added.map((p) => ({ Put: { TableName: this.table, Item: phoneAlias(accountId, p) } })),
                ...dropped.map((p) => ({
                  Delete: { TableName: this.table, Key: { accountId: phoneAlias(accountId, p).accountId } },
                })),
              ],
            }),
          ),
        );
      return 'imported';
    } catch (e) {
      if (!accountConditionFailed(e)) throw e;
      // Another writer changed the account since it was read: decide again on what it holds now.
      if (races >= 5)
        throw new TransientStorageError(`account ${a.accountId} kept changing during its import`);
      return this.upsertOnce(a, races + 1);
    }
  }

  /** One change event, under the same `asOf` guard as imports: the next contact sees it. */
  async applyEvent(e: AccountEvent): Promise<'applied' | 'stale' | 'unknown-account'> {
    const change: Record<AccountEvent['type'], { set: string; values: Record<string, unknown> }> = {
      PAYMENT_MISSED: { set: 'payments[11] = :v', values: { ':v': 'MISSED' } },
      PAYMENT_MADE: { set: 'payments[11] = :v', values: { ':v': e.type === 'PAYMENT_MADE' ? e.status : '' } },
      // A lost or stolen card is blocked like a fraud hold: the fraud team takes the next call.
      CARD_LOST_OR_STOLEN: { set: 'flags.fraudHold = :v', values: { ':v': true } },
      FRAUD_HOLD_SET: { set: 'flags.fraudHold = :v', values: { ':v': true } },
      FRAUD_HOLD_CLEARED: { set: 'flags.fraudHold = :v', values: { ':v': false } },
      PRODUCT_CHANGED: {
        set: 'product = :v',
        values: { ':v': e.type === 'PRODUCT_CHANGED' ? e.product : null },
      },
    };
    const c = change[e.type];
    try {
      await guard(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { accountId: e.accountId },
            UpdateExpression: `SET ${c.set}, asOf = :asOf`,
            ConditionExpression:
              'attribute_exists(accountId) AND (attribute_not_exists(asOf) OR asOf < :asOf)',
            ExpressionAttributeValues: { ...c.values, ':asOf': e.asOf },
          }),
        ),
      );
      return 'applied';
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return (await this.get(e.accountId)) ? 'stale' : 'unknown-account';
    }
  }

  /** A string set: ADD and DELETE are idempotent; only an existing account is touched. */
  async setTag(accountId: string, tag: string, present: boolean): Promise<'done' | 'unknown-account'> {
    try {
      await guard(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { accountId },
            UpdateExpression: present ? 'ADD tags :t' : 'DELETE tags :t',
            ConditionExpression: 'attribute_exists(accountId)',
            ExpressionAttributeValues: { ':t': new Set([tag]) },
          }),
        ),
      );
      return 'done';
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return 'unknown-account';
      throw e;
    }
  }
  /** A number shared by several accounts identifies none of them: the caller is asked for the account. */
  /**
   * The one account the number belongs to (its main number, or one of its other numbers through an
   * alias item); none when no account or several accounts have it.
   */
  async findByPhone(phone: string): Promise<Account | undefined> {
    const r = await guard(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: PHONE_INDEX,
          KeyConditionExpression: 'phone = :p',
          ExpressionAttributeValues: { ':p': phone },
          Limit: 3,
        }),
      ),
    );
    const items = r.Items ?? [];
    const owners = new Set(items.map((i) => (i.aliasOf as string | undefined) ?? (i.accountId as string)));
    if (owners.size !== 1) return undefined;
    const main = items.find((i) => i.aliasOf === undefined);
    // A call from one of the other numbers: one more read, for the account itself.
    return main ? accountOf(main) : this.get([...owners][0]!);
  }
}

/** The active configuration, read at most once per `ttlMs` per container. */
export class DynamoConfigSource implements ConfigSource {
  private cached?: { at: number; config: DecisionConfig };
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlMs = 30_000,
    private readonly clock: () => number = () => Date.now(),
  ) {}
  async active(): Promise<DecisionConfig> {
    const now = this.clock();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.config;
    const r = await guard(() => this.db.send(new GetCommand({ TableName: this.table, Key: CONFIG_KEY })));
    if (!r.Item) throw new Error('No active decision configuration in the catalog table');
    const config = DecisionConfigSchema.parse(r.Item.config);
    this.cached = { at: now, config };
    return config;
  }
}

/** Budget use of one period: `BUDGET#DAY#<YYYY-MM-DD>` or `BUDGET#MONTH#<YYYY-MM>`, one item for every offer. */
export const budgetItemKey = (period: 'DAY' | 'MONTH', periodStart: string) =>
  `BUDGET#${period}#${periodStart}`;
const ACCEPTS = 'accepts#';
const COST = 'cost#';

/**
 * Counters with keys the request and the clock give: a period's budget use (one item per period, an
 * `accepts#` and a `cost#` attribute per offer) and what was learned (the learning table: one item
 * per call type, segment and offer, read with one Query per call type). Reads are cached for `ttlMs`.
 */
export class DynamoCounterStore implements CounterStore {
  private readonly cache = new Map<string, { at: number; value: unknown }>();
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { counters: string; learning: string },
    private readonly ttlMs = 5_000,
    private readonly clock: () => number = () => Date.now(),
  ) {}
  private async cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.clock();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value as T;
    const value = await read();
    if (this.cache.size > 1_000) this.cache.clear();
    this.cache.set(key, { at: now, value });
    return value;
  }
  async budgets(now: string): Promise<BudgetBook> {
    const { DAY, MONTH } = budgetPeriods(now);
    const keys = { DAY: budgetItemKey('DAY', DAY), MONTH: budgetItemKey('MONTH', MONTH) };
    return this.cached(`${keys.DAY}|${keys.MONTH}`, async () => {
      const r = await guard(() =>
        this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tables.counters]: { Keys: [{ pk: keys.DAY }, { pk: keys.MONTH }] } },
          }),
        ),
      );
      if (Object.keys(r.UnprocessedKeys ?? {}).length > 0)
        throw new TransientStorageError('Budget counters left unread');
      const book: BudgetBook = {};
      for (const item of r.Responses?.[this.tables.counters] ?? []) {
        const period = item.pk === keys.DAY ? 'DAY' : 'MONTH';
        const use: Record<string, { accepts: number; cost: number }> = {};
        for (const [k, v] of Object.entries(item)) {
          const [prefix, field] = k.startsWith(ACCEPTS)
            ? [ACCEPTS, 'accepts']
            : k.startsWith(COST)
              ? [COST, 'cost']
              : [];
          if (!prefix) continue;
          const id = k.slice(prefix.length);
          use[id] = { accepts: 0, cost: 0, ...use[id], [field!]: Number(v) };
        }
        book[period] = use;
      }
      return book;
    });
  }
  async learned(callType: CallType): Promise<LearnedBook> {
    return this.cached(`LEARN#${callType}`, async () => {
      const book: LearnedBook = {};
      let start: Record<string, unknown> | undefined;
      do {
        const r = await guard(() =>
          this.db.send(
            new QueryCommand({
              TableName: this.tables.learning,
              KeyConditionExpression: 'callType = :c',
              ExpressionAttributeValues: { ':c': callType },
              ExclusiveStartKey: start,
            }),
          ),
        );
        for (const i of r.Items ?? []) {
          const segment = String(i.segment);
          book[segment] ??= {};
          book[segment][String(i.offerId)] = {
            accepts: Number(i.accepts ?? 0),
            declines: Number(i.declines ?? 0),
          };
        }
        start = r.LastEvaluatedKey;
      } while (start);
      return book;
    });
  }
}

export class DynamoTurnStore implements TurnStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: {
      contacts: string;
      offerLog: string;
      accounts: string;
      counters?: string;
      learning?: string;
    },
  ) {}

  async save(w: TurnWrite): Promise<SaveOutcome> {
    const contactPut =
      w.expectedVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(contactId)' }
        : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': w.expectedVersion } };
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      { Put: { TableName: this.tables.contacts, Item: w.contact, ...contactPut } },
      ...w.log.map((e) => ({
        Put: {
          TableName: this.tables.offerLog,
          Item: e,
          ConditionExpression: 'attribute_not_exists(contactId)',
        },
      })),
    ];
    // The account: one Update per transaction, whatever the turn changes on it.
    const accountIndex = items.length;
    const accountUpdate = this.accountUpdate(w);
    if (accountUpdate) items.push({ Update: accountUpdate });
    let budgetIndex = -1;
    if (w.budget) {
      if (!this.tables.counters) throw new Error('A budget charge needs the counters table');
      const b = w.budget;
      // The cap holds whatever the concurrency: the offer's use moves only if it stays within it.
      const conds = [
        ...(b.maxAccepts !== undefined ? ['(attribute_not_exists(#a) OR #a < :maxAccepts)'] : []),
        ...(b.maxCost !== undefined ? ['(attribute_not_exists(#c) OR #c <= :costRoom)'] : []),
      ];
      // A cancellation reason at this index, and only there, means the cap: nothing else failed.
      budgetIndex = items.length;
      items.push({
        Update: {
          TableName: this.tables.counters,
          Key: { pk: budgetItemKey(b.period, b.periodStart) },
          UpdateExpression: 'ADD #a :one, #c :cost SET expiresAt = :exp',
          ExpressionAttributeNames: { '#a': `${ACCEPTS}${b.offerId}`, '#c': `${COST}${b.offerId}` },
          ExpressionAttributeValues: {
            ':one': 1,
            ':cost': b.cost,
            ':exp': b.expiresAt,
            ...(b.maxAccepts !== undefined ? { ':maxAccepts': b.maxAccepts } : {}),
            ...(b.maxCost !== undefined ? { ':costRoom': b.maxCost - b.cost } : {}),
          },
          ...(conds.length ? { ConditionExpression: conds.join(' AND ') } : {}),
        },
      });
      if (b.maxCost !== undefined && b.cost > b.maxCost) return 'budget-exhausted';
    }
    if (w.learn) {
      if (!this.tables.learning) throw new Error('Learning needs the learning table');
      const l = w.learn;
      items.push({
        Update: {
          TableName: this.tables.learning,
          Key: { callType: l.callType, stat: `${l.segment}#${l.offerId}` },
          UpdateExpression: `ADD #n :one SET #s = :s, #o = :o`,
          ExpressionAttributeNames: {
            '#n': l.accepted ? 'accepts' : 'declines',
            '#s': 'segment',
            '#o': 'offerId',
          },
          ExpressionAttributeValues: { ':one': 1, ':s': l.segment, ':o': l.offerId },
        },
      });
    }
    // Rate limits: a window's counter moves only while it stays within its limit.
    const rateAt = items.length;
    for (const r of w.rate ?? []) items.push({ Update: this.rateUpdate(r) });
    try {
      // The token makes the write idempotent for 10 minutes: a repeat of this very write (the SDK's
      // retry after a timeout, the state machine's retry of SaveTurn) finds it applied, or applies it once.
      const command = new TransactWriteCommand({
        TransactItems: items,
        ClientRequestToken: turnToken(w, items),
      });
      const attempts = trackAttempts(command);
      try {
        await guard(() => this.db.send(command));
      } catch (e) {
        if (attempts.maybeApplied)
          throw new StorageOutcomeUnknownError(
            `The turn's write may have been applied (${e instanceof Error ? e.name : 'error'} after ${attempts.count} attempts)`,
          );
        // Same token, other items: a twin of this turn (same contact, same version) got there first.
        if (e instanceof Error && e.name === 'IdempotentParameterMismatchException') return 'conflict';
        throw e;
      }
      return 'saved';
    } catch (e) {
      const over = (w.rate ?? []).find(
        (_, i) =>
          e instanceof TransactionCanceledException &&
          e.CancellationReasons?.[rateAt + i]?.Code === 'ConditionalCheckFailed',
      );
      if (over) return { kind: 'rate-limited', charge: over };
      // The account's verification counters (or its record) moved since the contact's copy was made.
      if (
        w.account &&
        e instanceof TransactionCanceledException &&
        e.CancellationReasons?.[accountIndex]?.Code === 'ConditionalCheckFailed' &&
        e.CancellationReasons?.[0]?.Code !== 'ConditionalCheckFailed'
      )
        return 'account-changed';
      if (
        w.budget &&
        e instanceof TransactionCanceledException &&
        e.CancellationReasons?.[budgetIndex]?.Code === 'ConditionalCheckFailed' &&
        !e.CancellationReasons.some((r, i) => i !== budgetIndex && r.Code === 'ConditionalCheckFailed')
      )
        return 'budget-exhausted';
      if (e instanceof TransactionCanceledException) {
        if (e.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed')) return 'conflict';
        // Another transaction was writing the same item (a shared counter, most likely): nothing was
        // written, so the whole turn can safely be tried again; the state machine's Retry does it.
        if (e.CancellationReasons?.some((r) => r.Code === 'TransactionConflict'))
          throw new TransientStorageError(`TransactionConflict: ${e.message}`);
      }
      throw e;
    }
  }

  async refreshAccountCopy(
    contactId: string,
    expectedVersion: number,
    copy: NonNullable<Contact['account']>,
    rate: readonly RateCharge[] = [],
  ): Promise<'refreshed' | 'conflict' | { kind: 'rate-limited'; charge: RateCharge }> {
    const items = [
      {
        Update: {
          TableName: this.tables.contacts,
          Key: { contactId },
          UpdateExpression: 'SET #a = :copy, version = :next',
          ConditionExpression: 'version = :v',
          ExpressionAttributeNames: { '#a': 'account' },
          ExpressionAttributeValues: { ':copy': copy, ':v': expectedVersion, ':next': expectedVersion + 1 },
        },
      },
      ...rate.map((r) => ({ Update: this.rateUpdate(r) })),
    ];
    try {
      await guard(() => this.db.send(new TransactWriteCommand({ TransactItems: items })));
      return 'refreshed';
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const over = rate.find((_, i) => e.CancellationReasons?.[i + 1]?.Code === 'ConditionalCheckFailed');
      if (over) return { kind: 'rate-limited', charge: over };
      if (e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return 'conflict';
      if (e.CancellationReasons?.some((r) => r.Code === 'TransactionConflict'))
        throw new TransientStorageError(`TransactionConflict: ${e.message}`);
      throw e;
    }
  }

  /** A rate-limit window's counter: it moves only while it stays within its limit. */
  private rateUpdate(r: RateCharge) {
    if (!this.tables.counters) throw new Error('Rate limits need the counters table');
    return {
      TableName: this.tables.counters,
      Key: { pk: `${RATE_PREFIX}${r.scope}#${r.subject}#${r.windowStart}` },
      UpdateExpression: 'ADD #n :one SET expiresAt = :exp',
      ConditionExpression: 'attribute_not_exists(#n) OR #n < :max',
      ExpressionAttributeNames: { '#n': 'requests' },
      ExpressionAttributeValues: { ':one': 1, ':exp': r.expiresAt, ':max': r.max },
    };
  }

  /**
   * The one Update of the account a turn makes, or none: the verification counters (conditional on
   * the contact's copy and the record's asOf), the new contact's date, and the offer history the
   * turn adds to (ADD and SET of one attribute per offer: no map needs to exist).
   */
  private accountUpdate(w: TurnWrite) {
    const sets: string[] = [];
    const adds: string[] = [];
    const removes: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const conds: string[] = ['attribute_exists(accountId)'];
    const accountIds = new Set<string>();
    if (w.account) {
      const { expected, next } = w.account;
      accountIds.add(w.account.accountId);
      Object.assign(names, {
        '#v': 'verification',
        '#f': 'failures',
        '#l': 'lockedUntil',
        '#at': 'attempts',
        '#asOf': 'asOf',
      });
      // The sequence of judged guesses serialises them: a write that read an older one fails.
      conds.push(
        '#v.#f = :ef',
        expected.lockedUntil ? '#v.#l = :el' : 'attribute_not_exists(#v.#l)',
        expected.attempts === 0 ? '(attribute_not_exists(#v.#at) OR #v.#at = :ea)' : '#v.#at = :ea',
        expected.asOf ? '#asOf = :asOf' : 'attribute_not_exists(#asOf)',
      );
      sets.push('#v.#f = :nf', '#v.#at = :na');
      if (next.lockedUntil) sets.push('#v.#l = :nl');
      else removes.push('#v.#l');
      Object.assign(values, {
        ':ef': expected.failures,
        ':nf': next.failures,
        ':ea': expected.attempts,
        ':na': next.attempts,
        ...(expected.lockedUntil ? { ':el': expected.lockedUntil } : {}),
        ...(next.lockedUntil ? { ':nl': next.lockedUntil } : {}),
        ...(expected.asOf ? { ':asOf': expected.asOf } : {}),
      });
    }
    if (w.recordContact) {
      accountIds.add(w.recordContact.accountId);
      sets.push('recentContacts = list_append(if_not_exists(recentContacts, :none), :at)');
      Object.assign(values, { ':none': [], ':at': [w.recordContact.at] });
    }
    (w.history ?? []).forEach((h, i) => {
      accountIds.add(h.accountId);
      if (h.presented > 0) {
        names[`#p${i}`] = `${PRESENTED_PREFIX}${h.offerId}`;
        adds.push(`#p${i} :p${i}`);
        values[`:p${i}`] = h.presented;
      }
      if (h.declinedAt) {
        names[`#d${i}`] = `${DECLINED_PREFIX}${h.offerId}`;
        sets.push(`#d${i} = :d${i}`);
        values[`:d${i}`] = h.declinedAt;
      }
    });
    if (accountIds.size === 0 || sets.length + adds.length + removes.length === 0) return undefined;
    // One contact, one account: a turn never writes two.
    if (accountIds.size > 1) throw new Error('A turn writes one account only');
    return {
      TableName: this.tables.accounts,
      Key: { accountId: [...accountIds][0]! },
      UpdateExpression: [
        sets.length ? `SET ${sets.join(', ')}` : '',
        adds.length ? `ADD ${adds.join(', ')}` : '',
        removes.length ? `REMOVE ${removes.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join(' '),
      ConditionExpression: conds.join(' AND '),
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    };
  }
}

const versionKey = (version: string) => ({ pk: CONFIG_KEY.pk, sk: `v#${version}` });

/** A stored author, read back only when well formed (older items have none). */
function actedByOf<K extends string>(v: unknown, key: K): { [k in K]?: ActedBy } {
  const r = ActedBySchema.safeParse(v);
  return (r.success ? { [key]: r.data } : {}) as { [k in K]?: ActedBy };
}

/**
 * Who changed what, in the catalog table beside the configuration it concerns: one item per change
 * under `AUDIT#<month>` (a partition per month keeps none growing without bound), sorted by time.
 */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}
  async record(e: AuditEntry): Promise<void> {
    await guard(() =>
      this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `AUDIT#${e.at.slice(0, 7)}`, sk: `${e.at}#${randomUUID()}`, ...e },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }
  /** The changes of one month, oldest first (tests, support). */
  async month(yyyyMm: string): Promise<AuditEntry[]> {
    const r = await guard(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `AUDIT#${yyyyMm}` },
        }),
      ),
    );
    return (r.Items ?? []).map(({ pk: _pk, sk: _sk, ...e }) => e as AuditEntry);
  }
}

export class DynamoConfigAdmin implements ConfigAdmin {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}
  async active() {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: CONFIG_KEY, ConsistentRead: true })),
    );
    if (!r.Item) return undefined;
    return {
      version: String(r.Item.version),
      activatedAt: String(r.Item.activatedAt ?? ''),
      ...actedByOf(r.Item.activatedBy, 'activatedBy'),
      config: DecisionConfigSchema.parse(r.Item.config),
    };
  }
  async list(): Promise<ConfigVersionSummary[]> {
    const out: ConfigVersionSummary[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await guard(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
            ExpressionAttributeValues: { ':pk': CONFIG_KEY.pk, ':v': 'v#' },
            ProjectionExpression: 'version, createdAt, createdBy',
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const i of r.Items ?? [])
        out.push({
          version: String(i.version),
          createdAt: String(i.createdAt ?? ''),
          ...actedByOf(i.createdBy, 'createdBy'),
        });
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }
  async get(version: string) {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: versionKey(version), ConsistentRead: true })),
    );
    if (!r.Item) return undefined;
    return {
      version: String(r.Item.version),
      createdAt: String(r.Item.createdAt ?? ''),
      ...actedByOf(r.Item.createdBy, 'createdBy'),
      config: DecisionConfigSchema.parse(r.Item.config),
    };
  }
  async create(config: DecisionConfig, now: string, by?: ActedBy): Promise<'created' | 'exists'> {
    try {
      await guard(() =>
        this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              ...versionKey(config.version),
              version: config.version,
              createdAt: now,
              ...(by ? { createdBy: by } : {}),
              config,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return 'created';
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return 'exists';
      throw e;
    }
  }
  async activate(version: string, now: string, by?: ActedBy): Promise<'activated' | 'missing'> {
    const stored = await this.get(version);
    if (!stored) return 'missing';
    // Versions never change once created, so the copy is the version; the check guards a deletion in between.
    try {
      await guard(() =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.table,
                  Key: versionKey(version),
                  ConditionExpression: 'attribute_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    ...CONFIG_KEY,
                    version,
                    activatedAt: now,
                    ...(by ? { activatedBy: by } : {}),
                    config: stored.config,
                  },
                },
              },
            ],
          }),
        ),
      );
      return 'activated';
    } catch (e) {
      if (e instanceof TransactionCanceledException) return 'missing';
      throw e;
    }
  }
}
