import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { accountAfterEvent } from '../../domain/account-events';
import { isCanaryAccount } from '../../domain/canary';
import type { Placed, Placer } from '../../domain/strategies';
import type { AccountImportStore, AccountStore, AccountTagger } from '../../ports';
import { type Account, AccountSchema } from '../../schemas/account';
import type { AccountEvent } from '../../schemas/import';
import { PHONE_ALIAS_PREFIX, PHONE_INDEX } from '../../schemas/storage-names';
import { guard, TransientStorageError } from './client';
import { placementItems } from './funnel';

/**
 * The item that lets the phone index find an account by one of its other numbers. Its key cannot be
 * an account id (`#` is not allowed in one), so it never meets an account.
 */
/** The account's own condition failed: a plain write's, or the first item's of a transaction (the account). */
const accountConditionFailed = (e: unknown) =>
  e instanceof ConditionalCheckFailedException ||
  (e instanceof TransactionCanceledException &&
    e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed');

/**
 * The condition that the score is still the one that was read (none, or this risk, model and time), so
 * a write that changes only the score (and raises its warning) is conditional like any other: of two
 * writers over the same read, one wins and the other decides again.
 */
function sameChurn(
  held: Account['churn'],
  names: Record<string, string>,
  values: Record<string, unknown>,
): string {
  names['#ch'] = 'churn';
  if (!held) return 'attribute_not_exists(#ch)';
  names['#chr'] = 'risk';
  names['#chm'] = 'modelId';
  names['#cha'] = 'at';
  values[':heldRisk'] = held.risk;
  values[':heldModel'] = held.modelId;
  values[':heldAt'] = held.at;
  return '#ch.#chr = :heldRisk AND #ch.#chm = :heldModel AND #ch.#cha = :heldAt';
}

/** A transaction cancelled only because another was writing the same items: an import tries again. */
const cancelledByConflict = (e: unknown) =>
  e instanceof TransactionCanceledException &&
  (e.CancellationReasons ?? []).some((r) => r.Code === 'TransactionConflict') &&
  !(e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed');

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
    /** The counters table, where the strategies' funnels are counted (needed to place accounts). */
    private readonly funnelTable?: string,
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
  /**
   * The canary's account, replaced whole on each of its runs (fresh factors, no offer history, no
   * lock). The canary's role may put that one key only (a condition on the leading key).
   */
  async replaceCanary(a: Account): Promise<void> {
    if (!isCanaryAccount(a.accountId)) throw new Error('Only the canary account is replaced whole');
    await guard(() => this.db.send(new PutCommand({ TableName: this.table, Item: a })));
  }

  async upsert(a: Account, placer?: Placer): Promise<'imported' | 'unchanged' | 'stale'> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.upsertOnce(a, 0, placer);
      } catch (e) {
        if (!(e instanceof TransientStorageError || cancelledByConflict(e)) || attempt >= 6) throw e;
        await new Promise((ok) => setTimeout(ok, 25 * 2 ** attempt * (0.5 + Math.random())));
      }
    }
  }

  private async upsertOnce(
    a: Account,
    races = 0,
    placer?: Placer,
  ): Promise<'imported' | 'unchanged' | 'stale'> {
    const others = a.otherPhones ?? [];
    // A new account: put whole (with the alias items of its other numbers, in one transaction), placed
    // in the strategies it enters, their funnels counted in the same transaction.
    try {
      const placedNew = placer?.(a, 'IMPORT');
      const movesNew = placedNew?.moves.length ? placedNew : undefined;
      const put = {
        TableName: this.table,
        Item: {
          ...a,
          ...(movesNew ? { strategies: movesNew.placements, placementSeq: 1 } : {}),
          // The active churn model's score, with the import.
          ...(placedNew?.churn ? { churn: placedNew.churn } : {}),
        },
        ConditionExpression: 'attribute_not_exists(accountId)',
      };
      const counters =
        placedNew && (movesNew || placedNew.events?.length) ? this.funnelItems(a.accountId, placedNew) : [];
      if (others.length === 0 && counters.length === 0) await guard(() => this.db.send(new PutCommand(put)));
      else
        await guard(() =>
          this.db.send(
            new TransactWriteCommand({
              TransactItems: [
                { Put: put },
                ...others.map((p) => ({ Put: { TableName: this.table, Item: phoneAlias(a.accountId, p) } })),
                ...counters,
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
    // With strategies to place it by, the whole account is read: placement needs what the import keeps
    // (tags, contact dates, the placement itself).
    const current = await guard(() =>
      this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: { accountId: a.accountId },
          ...(placer ? {} : { ProjectionExpression: 'asOf, otherPhones' }),
          ConsistentRead: true,
        }),
      ),
    );
    const held = current.Item as { asOf?: string; otherPhones?: string[]; placementSeq?: number } | undefined;
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
    // The account as this import leaves it, placed: a move is written with the import, over the
    // placement that was read, and counted in the same transaction.
    let counters: ReturnType<DynamoAccountStore['funnelItems']> = [];
    const conds: string[] = [];
    if (placer && current.Item) {
      const before = accountOf(current.Item);
      const after: Account = {
        ...before,
        ...data,
        asOf,
        verification: { ...before.verification, ...verification },
        ...(tags?.length ? { tags } : {}),
      };
      const placed = placer(after, 'IMPORT');
      if (placed.moves.length) {
        const seq = held?.placementSeq;
        names['#st'] = 'strategies';
        names['#ps'] = 'placementSeq';
        values[':st'] = placed.placements;
        values[':nextSeq'] = (seq ?? 0) + 1;
        sets.push('#st = :st', '#ps = :nextSeq');
        if (seq === undefined) conds.push('attribute_not_exists(#ps)');
        else {
          values[':seq'] = seq;
          conds.push('#ps = :seq');
        }
      }
      if (placed.churn) {
        conds.push(sameChurn(before.churn, names, values));
        values[':ch'] = placed.churn;
        sets.push('#ch = :ch');
      }
      if (placed.moves.length || placed.events?.length) counters = this.funnelItems(accountId, placed);
    }
    const update = {
      TableName: this.table,
      Key: { accountId },
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: [
        held?.asOf !== undefined
          ? '#asOf = :heldAsOf'
          : 'attribute_exists(accountId) AND attribute_not_exists(#asOf)',
        ...conds,
      ].join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    // The alias items follow the numbers: added and removed in the same transaction as the account.
    const before = new Set(held?.otherPhones ?? []);
    const added = others.filter((p) => !before.has(p));
    const dropped = [...before].filter((p) => !others.includes(p));
    try {
      if (added.length + dropped.length + counters.length === 0)
        await guard(() => this.db.send(new UpdateCommand(update)));
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
                ...counters,
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
      return this.upsertOnce(a, races + 1, placer);
    }
  }

  /**
   * One change event, under the same `asOf` guard as imports: the next contact sees it. With a
   * placer (the active strategies), the account is read, the event applied to it in memory and the
   * account placed; the placement is written with the change, over the one that was read
   * (`placementSeq`), and the funnel counters it moves in the same transaction: a placement is
   * counted exactly when it lands. A redelivered event is stale and changes nothing.
   */
  async applyEvent(e: AccountEvent, placer?: Placer): Promise<'applied' | 'stale' | 'unknown-account'> {
    const change = eventChange(e);
    if (!placer) {
      try {
        await guard(() =>
          this.db.send(
            new UpdateCommand({
              TableName: this.table,
              Key: { accountId: e.accountId },
              UpdateExpression: `SET ${[change?.set, 'asOf = :asOf', 'lastEvent = :le'].filter(Boolean).join(', ')}`,
              ConditionExpression:
                'attribute_exists(accountId) AND (attribute_not_exists(asOf) OR asOf < :asOf)',
              ExpressionAttributeValues: {
                ...change?.values,
                ':asOf': e.asOf,
                ':le': { type: e.type, at: e.asOf },
              },
            }),
          ),
        );
        return 'applied';
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        return (await this.get(e.accountId)) ? 'stale' : 'unknown-account';
      }
    }
    for (let attempt = 0; attempt < 8; attempt++) {
      const held = await this.get(e.accountId);
      if (!held) return 'unknown-account';
      if (held.asOf !== undefined && held.asOf >= e.asOf) return 'stale';
      const placed = placer(accountAfterEvent(held, e), e.type);
      const written = await this.writeOverHeld(
        held,
        {
          sets: [...(change ? [change.set] : []), 'asOf = :asOf', 'lastEvent = :le'],
          values: { ...change?.values, ':asOf': e.asOf, ':le': { type: e.type, at: e.asOf } },
        },
        placed,
      );
      // 'changed': the account moved since it was read (another event, an import, a placement): decide again.
      if (written === 'written') return 'applied';
    }
    throw new TransientStorageError(`account ${e.accountId} kept changing while an event was applied`);
  }

  /**
   * What a placement writes besides the account, in its transaction: the funnel counters its moves
   * change, and the outbox events of the contacts it asks for (the counters table is needed to place).
   */
  private funnelItems(accountId: string, placed: Placed) {
    if (!this.funnelTable) throw new Error('Placing accounts needs the counters table (funnels)');
    return placementItems(this.funnelTable, accountId, placed);
  }

  /**
   * One page of accounts of a parallel scan's segment (phone alias items left out), and where the
   * next page starts. Eventually consistent (half the read units of a strong scan): a placement is
   * written only over the asOf and placement it was decided on, so a stale page is caught there.
   */
  async scanAccounts(
    segment: number,
    totalSegments: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ accounts: Account[]; next?: Record<string, unknown> }> {
    const r = await guard(() =>
      this.db.send(
        new ScanCommand({
          TableName: this.table,
          Segment: segment,
          TotalSegments: totalSegments,
          Limit: 200,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      ),
    );
    const accounts = (r.Items ?? [])
      .filter((i) => !String(i.accountId).startsWith(PHONE_ALIAS_PREFIX))
      .map((i) => accountOf(i));
    return { accounts, ...(r.LastEvaluatedKey ? { next: r.LastEvaluatedKey } : {}) };
  }

  /**
   * Places an account as it was read (the schedule, a backfill): nothing is written when nothing
   * moves; otherwise the placement and its funnel counters in one transaction, over the `asOf` and
   * the placement that were read ('changed' when the account moved meanwhile: read it again).
   */
  async placeAccount(
    held: Account,
    placer: Placer,
    cause: string,
  ): Promise<'moved' | 'scored' | 'unchanged' | 'changed'> {
    const placed = placer(held, cause);
    // Nothing moved and the score is the same: no write.
    if (placed.moves.length === 0 && !placed.churn) return 'unchanged';
    if ((await this.writeOverHeld(held, { sets: [], values: {} }, placed)) !== 'written') return 'changed';
    return placed.moves.length ? 'moved' : 'scored';
  }

  /**
   * One update of an account over the state it was read in (its `asOf` and its `placementSeq`): the
   * given SETs, and the placement when it moves, with the funnel counters it moves in the same
   * transaction. 'changed' when the account was written in between (nothing was written).
   */
  private async writeOverHeld(
    held: Account,
    change: { sets: string[]; values: Record<string, unknown> },
    placed: Placed,
  ): Promise<'written' | 'changed'> {
    const moved = placed.moves.length > 0;
    const seq = held.placementSeq;
    const sets = [
      ...change.sets,
      ...(moved ? ['strategies = :st', 'placementSeq = :nextSeq'] : []),
      ...(placed.churn ? ['#ch = :ch'] : []),
    ];
    const names: Record<string, string> = {};
    const churnValues: Record<string, unknown> = {};
    const churnCond = placed.churn ? [sameChurn(held.churn, names, churnValues)] : [];
    const update = {
      TableName: this.table,
      Key: { accountId: held.accountId },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: [
        'attribute_exists(accountId)',
        held.asOf === undefined ? 'attribute_not_exists(asOf)' : 'asOf = :heldAsOf',
        seq === undefined ? 'attribute_not_exists(placementSeq)' : 'placementSeq = :seq',
        ...churnCond,
      ].join(' AND '),
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: {
        ...change.values,
        ...churnValues,
        ...(held.asOf === undefined ? {} : { ':heldAsOf': held.asOf }),
        ...(seq === undefined ? {} : { ':seq': seq }),
        ...(moved ? { ':st': placed.placements, ':nextSeq': (seq ?? 0) + 1 } : {}),
        ...(placed.churn ? { ':ch': placed.churn } : {}),
      },
    };
    try {
      if (!moved && !placed.events?.length) await guard(() => this.db.send(new UpdateCommand(update)));
      else {
        const counters = this.funnelItems(held.accountId, placed);
        await guard(() =>
          this.db.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, ...counters] })),
        );
      }
      return 'written';
    } catch (err) {
      if (!accountConditionFailed(err)) throw err;
      return 'changed';
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

/** Where an event's strategies place the account after it (the account as the event leaves it). */
export type { Placed, Placer } from '../../domain/strategies';

/** The attribute a change event sets (none for monitoring signals, which are only the last event). */
function eventChange(e: AccountEvent): { set: string; values: Record<string, unknown> } | undefined {
  switch (e.type) {
    case 'PAYMENT_MISSED':
      return { set: 'payments[11] = :v', values: { ':v': 'MISSED' } };
    case 'PAYMENT_MADE':
      return { set: 'payments[11] = :v', values: { ':v': e.status } };
    // A lost or stolen card is blocked like a fraud hold: the fraud team takes the next call.
    case 'CARD_LOST_OR_STOLEN':
    case 'FRAUD_HOLD_SET':
      return { set: 'flags.fraudHold = :v', values: { ':v': true } };
    case 'FRAUD_HOLD_CLEARED':
      return { set: 'flags.fraudHold = :v', values: { ':v': false } };
    case 'PRODUCT_CHANGED':
      return { set: 'product = :v', values: { ':v': e.product } };
    case 'SUSPICIOUS_PATTERN':
    case 'USAGE_DROP':
    case 'FEE_POSTED_LOW_USE':
      return undefined;
  }
}
