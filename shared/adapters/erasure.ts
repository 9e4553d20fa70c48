import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { HISTORY_PREFIX } from '../domain/contact-policy';

/** The offer-history items of the layout before histories moved onto the account: an erasure still removes them. */
const legacyPolicyKey = (accountId: string, offerId: string) => `${HISTORY_PREFIX}${accountId}#${offerId}`;

import type { ErasureRecord, ErasureStore, OfferLogRef } from '../ports';
import { ActedBySchema } from '../schemas/identity';
import { CONTACTS_BY_ACCOUNT, OFFER_LOG_BY_ACCOUNT } from '../schemas/storage-names';
import { guard, phoneAlias } from './dynamo';

export const erasureKey = (pseudonym: string) => ({ pk: `ERASURE#${pseudonym}`, sk: 'ERASURE' });

/** Runs `op` over `items`, `width` at a time. */
async function each<T>(items: readonly T[], op: (item: T) => Promise<unknown>, width = 10): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(op));
}

/** A write whose condition failed was already done (deleted, rewritten, or moved on): nothing to do. */
async function unlessDone(op: () => Promise<unknown>): Promise<void> {
  try {
    await guard(op);
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
  }
}

/**
 * Erasure against the tables: the account and its alias items (accounts), its contacts (contacts,
 * found through the keys-only `byAccount` index), its offer-log entries (offer log, `byAccount`
 * index) and its contact-policy counters (counters, `POLICY#<account>#<offer>`), with the erasure's
 * own record in the catalog table beside the audit log.
 */
export class DynamoErasureStore implements ErasureStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: {
      accounts: string;
      contacts: string;
      offerLog: string;
      counters: string;
      catalog: string;
    },
  ) {}

  async record(pseudonym: string): Promise<ErasureRecord | undefined> {
    const r = await guard(() =>
      this.db.send(
        new GetCommand({ TableName: this.tables.catalog, Key: erasureKey(pseudonym), ConsistentRead: true }),
      ),
    );
    if (!r.Item) return undefined;
    const { pk: _pk, sk: _sk, by, ...rest } = r.Item;
    return { ...(rest as Omit<ErasureRecord, 'by'>), by: ActedBySchema.parse(by) };
  }

  async saveRecord(r: ErasureRecord): Promise<'saved' | 'exists'> {
    try {
      await guard(() =>
        this.db.send(
          new PutCommand({
            TableName: this.tables.catalog,
            Item: { ...erasureKey(r.pseudonym), ...r },
            // A new erasure is recorded once; marking it done may replace only its own record.
            ConditionExpression:
              r.status === 'IN_PROGRESS' ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)',
          }),
        ),
      );
      return 'saved';
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException && r.status === 'IN_PROGRESS') return 'exists';
      throw e;
    }
  }

  async account(accountId: string): Promise<{ otherPhones: string[] } | undefined> {
    const r = await guard(() =>
      this.db.send(
        new GetCommand({
          TableName: this.tables.accounts,
          Key: { accountId },
          ProjectionExpression: 'accountId, otherPhones',
          ConsistentRead: true,
        }),
      ),
    );
    return r.Item ? { otherPhones: (r.Item.otherPhones as string[] | undefined) ?? [] } : undefined;
  }

  async deleteAccount(accountId: string, otherPhones: readonly string[]): Promise<void> {
    // One transaction: the main number and every other number stop identifying the account at once.
    await guard(() =>
      this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: this.tables.accounts, Key: { accountId } } },
            ...otherPhones.map((p) => ({
              Delete: {
                TableName: this.tables.accounts,
                Key: { accountId: phoneAlias(accountId, p).accountId },
              },
            })),
          ],
        }),
      ),
    );
  }

  private async queryAll(
    table: string,
    index: string,
    accountId: string,
    projection: string,
  ): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await guard(() =>
        this.db.send(
          new QueryCommand({
            TableName: table,
            IndexName: index,
            KeyConditionExpression: 'accountId = :a',
            ExpressionAttributeValues: { ':a': accountId },
            ProjectionExpression: projection,
            ExclusiveStartKey: start,
          }),
        ),
      );
      out.push(...(r.Items ?? []));
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async contactIds(accountId: string): Promise<string[]> {
    const items = await this.queryAll(this.tables.contacts, CONTACTS_BY_ACCOUNT, accountId, 'contactId');
    return items.map((i) => String(i.contactId));
  }

  async deleteContacts(accountId: string, contactIds: readonly string[]): Promise<void> {
    await each(contactIds, (contactId) =>
      unlessDone(() =>
        this.db.send(
          new DeleteCommand({
            TableName: this.tables.contacts,
            Key: { contactId },
            // The index is eventually consistent: never delete a contact that is not this account's.
            ConditionExpression: 'accountId = :a',
            ExpressionAttributeValues: { ':a': accountId },
          }),
        ),
      ),
    );
  }

  async offerLog(accountId: string): Promise<OfferLogRef[]> {
    const items = await this.queryAll(
      this.tables.offerLog,
      OFFER_LOG_BY_ACCOUNT,
      accountId,
      'contactId, seq, offerId',
    );
    return items.map((i) => ({
      contactId: String(i.contactId),
      seq: Number(i.seq),
      ...(typeof i.offerId === 'string' ? { offerId: i.offerId } : {}),
    }));
  }

  async pseudonymise(entries: readonly OfferLogRef[], accountId: string, pseudonym: string): Promise<void> {
    // Only the accountId attribute changes (the role may touch no other): the event itself is kept.
    await each(entries, (e) =>
      unlessDone(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tables.offerLog,
            Key: { contactId: e.contactId, seq: e.seq },
            UpdateExpression: 'SET accountId = :p',
            ConditionExpression: 'accountId = :a',
            ExpressionAttributeValues: { ':a': accountId, ':p': pseudonym },
          }),
        ),
      ),
    );
  }

  async policyCounters(accountId: string, offerIds: readonly string[]): Promise<string[]> {
    const found: string[] = [];
    for (let i = 0; i < offerIds.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = offerIds
        .slice(i, i + 100)
        .map((o) => ({ pk: legacyPolicyKey(accountId, o) }));
      for (let attempt = 0; keys?.length && attempt < 8; attempt++) {
        const r = await guard(() =>
          this.db.send(
            new BatchGetCommand({
              RequestItems: { [this.tables.counters]: { Keys: keys!, ProjectionExpression: 'pk' } },
            }),
          ),
        );
        found.push(...(r.Responses?.[this.tables.counters] ?? []).map((x) => String(x.pk)));
        keys = r.UnprocessedKeys?.[this.tables.counters]?.Keys;
      }
      if (keys?.length) throw new Error('Counters left unread after retries');
    }
    return found;
  }

  async deletePolicyCounters(accountId: string, offerIds: readonly string[]): Promise<void> {
    await each(offerIds, (o) =>
      guard(() =>
        this.db.send(
          new DeleteCommand({ TableName: this.tables.counters, Key: { pk: legacyPolicyKey(accountId, o) } }),
        ),
      ),
    );
  }
}
