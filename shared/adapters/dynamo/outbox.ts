// The outbox: events for the issuer's systems, written in the same transaction as the change they
// tell of, and delivered from the counters table's stream (functions/publish-events.ts).

import { OUTBOX_PREFIX, type OutboxEvent } from '../../domain/outbox';

export { OUTBOX_PREFIX, type OutboxEvent, requestEvent } from '../../domain/outbox';

/** Kept a week after they are written (the stream keeps a record 24 hours): a redelivery still finds them. */
const KEEP_SECONDS = 7 * 86_400;

/** The Put of one outbox event, once (a second write of the same id fails the transaction: nothing twice). */
export function outboxPut(table: string, e: OutboxEvent) {
  return {
    Put: {
      TableName: table,
      Item: {
        pk: `${OUTBOX_PREFIX}${e.id}`,
        id: e.id,
        type: e.type,
        at: e.at,
        detail: e.detail,
        expiresAt: Math.floor(Date.parse(e.at) / 1000) + KEEP_SECONDS,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
