// The turn's one write: contact, offer log, account, budget and rate limits in one transaction.

import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { RateCharge } from '../../domain/rate-limits';
import type { SaveOutcome, TurnStore, TurnWrite } from '../../ports';
import type { Contact } from '../../schemas/contact';
import { DECLINED_PREFIX, PRESENTED_PREFIX } from './accounts';
import { guard, RATE_PREFIX, StorageOutcomeUnknownError, TransientStorageError } from './client';
import { contactItem } from './contacts';
import { ACCEPTS, budgetItemExpiry, budgetItemKey, COST } from './counters';
import { placementItems } from './funnel';

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

export class DynamoTurnStore implements TurnStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: {
      contacts: string;
      offerLog: string;
      accounts: string;
      counters?: string;
    },
  ) {}

  async save(w: TurnWrite): Promise<SaveOutcome> {
    const contactPut =
      w.expectedVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(contactId)' }
        : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': w.expectedVersion } };
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      { Put: { TableName: this.tables.contacts, Item: contactItem(w.contact), ...contactPut } },
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
            ':exp': budgetItemExpiry(b.period, b.periodStart),
            ...(b.maxAccepts !== undefined ? { ':maxAccepts': b.maxAccepts } : {}),
            ...(b.maxCost !== undefined ? { ':costRoom': b.maxCost - b.cost } : {}),
          },
          ...(conds.length ? { ConditionExpression: conds.join(' AND ') } : {}),
        },
      });
      if (b.maxCost !== undefined && b.cost > b.maxCost) return 'budget-exhausted';
    }
    // A placement's funnel counters and outbound requests, in the same transaction as the placement.
    if (w.placement) {
      if (!this.tables.counters) throw new Error('Placing accounts needs the counters table (funnels)');
      items.push(...placementItems(this.tables.counters, w.placement.accountId, w.placement));
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
      // The account was placed by another writer since the start read it (an event, an import).
      if (
        w.placement &&
        !w.account &&
        e instanceof TransactionCanceledException &&
        e.CancellationReasons?.[accountIndex]?.Code === 'ConditionalCheckFailed' &&
        e.CancellationReasons?.[0]?.Code !== 'ConditionalCheckFailed'
      )
        return 'placement-changed';
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
    if (w.placement) {
      // The placement the contact moves is written over the one the start read.
      const p = w.placement;
      accountIds.add(p.accountId);
      Object.assign(names, { '#st': 'strategies', '#ps': 'placementSeq' });
      sets.push('#st = :st', '#ps = :nextSeq');
      Object.assign(values, { ':st': p.placements, ':nextSeq': (p.expectedSeq ?? 0) + 1 });
      if (p.expectedSeq === undefined) conds.push('attribute_not_exists(#ps)');
      else {
        conds.push('#ps = :seq');
        values[':seq'] = p.expectedSeq;
      }
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
