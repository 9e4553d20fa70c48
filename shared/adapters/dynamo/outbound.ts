// The outbound function's storage: claims on the account's outbound list, results in the outbox.

import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { OutboundAccounts } from '../../application/outbound';
import type { Account } from '../../schemas/account';
import type { DynamoAccountStore } from './accounts';
import { guard } from './client';
import { type OutboxEvent, outboxPut } from './outbox';

/** The account keeps its last 20 outbound contacts: more than any frequency cap's period holds. */
const KEEP = 20;

export class DynamoOutboundAccounts implements OutboundAccounts {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly accounts: DynamoAccountStore,
    private readonly table: string,
    private readonly counters: string,
  ) {}

  get(accountId: string): Promise<Account | undefined> {
    return this.accounts.get(accountId);
  }

  async claimOutbound(
    held: Account,
    entry: NonNullable<Account['outbound']>[number],
  ): Promise<'written' | 'changed'> {
    const seq = held.outboundSeq;
    try {
      await guard(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { accountId: held.accountId },
            UpdateExpression: 'SET outbound = :list, outboundSeq = :next',
            ConditionExpression: `attribute_exists(accountId) AND ${seq === undefined ? 'attribute_not_exists(outboundSeq)' : 'outboundSeq = :seq'}`,
            ExpressionAttributeValues: {
              ':list': [...(held.outbound ?? []), entry].slice(-KEEP),
              ':next': (seq ?? 0) + 1,
              ...(seq === undefined ? {} : { ':seq': seq }),
            },
          }),
        ),
      );
      return 'written';
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return 'changed';
      throw e;
    }
  }

  async completeOutbound(accountId: string, requestId: string, contactId: string, result: OutboxEvent) {
    const held = await this.accounts.get(accountId);
    const i = held?.outbound?.findIndex((o) => o.id === requestId) ?? -1;
    try {
      await guard(() =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              ...(i >= 0
                ? [
                    {
                      Update: {
                        TableName: this.table,
                        Key: { accountId },
                        UpdateExpression: `SET outbound[${i}].contactId = :c`,
                        ConditionExpression: `outbound[${i}].id = :id`,
                        ExpressionAttributeValues: { ':c': contactId, ':id': requestId },
                      },
                    },
                  ]
                : []),
              outboxPut(this.counters, result),
            ],
          }),
        ),
      );
    } catch (e) {
      // Recorded before (a redelivery): nothing twice.
      if (
        e instanceof TransactionCanceledException &&
        e.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed')
      )
        return;
      throw e;
    }
  }

  async putEvent(e: OutboxEvent): Promise<'written' | 'duplicate'> {
    try {
      await guard(() =>
        this.db.send(new TransactWriteCommand({ TransactItems: [outboxPut(this.counters, e)] })),
      );
      return 'written';
    } catch (err) {
      if (err instanceof TransactionCanceledException) return 'duplicate';
      throw err;
    }
  }
}
