// Decisions and outbound results to the issuer's systems: the outbox and the offer log, as events.

import * as z from 'zod';
import type { OutboxEvent } from '../domain/outbox';
import { OUTBOX_PREFIX } from '../domain/outbox';
import { type OfferLogEvent, OfferLogEventSchema } from '../schemas/contact';

/** The source of every event Retention Desk publishes on the account event bus. */
export const EVENT_SOURCE = 'retention-desk';

/** Puts events on the account event bus (EventBridge), every one or an error (the batch is handed over again). */
export interface EventPublisher {
  publish(events: readonly OutboxEvent[]): Promise<void>;
}

const StreamBatchSchema = z.object({
  Records: z.array(
    z
      .object({
        eventName: z.string(),
        dynamodb: z.object({ NewImage: z.record(z.string(), z.unknown()).optional() }).passthrough(),
      })
      .passthrough(),
  ),
});

/**
 * What an offer-log entry tells the issuer's systems, if anything: an accepted retention offer is to be
 * applied (a fee waived, a rate lowered), a closure request filed, an accepted product opened. Its
 * id is the entry's key (contact and sequence): the same entry is always the same event.
 */
export function decisionEvent(e: OfferLogEvent): OutboxEvent | undefined {
  if (e.synthetic) return undefined;
  const type =
    e.event === 'CLOSURE_REQUESTED'
      ? 'Closure Requested'
      : e.event === 'ACCEPTED'
        ? e.kind === 'CROSS_SELL'
          ? 'Cross-sell Accepted'
          : 'Offer Accepted'
        : undefined;
  if (!type) return undefined;
  return {
    id: `${e.contactId}.${e.seq}`,
    type,
    at: e.at,
    detail: {
      contactId: e.contactId,
      accountId: e.accountId,
      callType: e.callType,
      channel: e.channel,
      configVersion: e.configVersion,
      ...(e.offerId ? { offerId: e.offerId } : {}),
      ...(e.economics ? { economics: e.economics } : {}),
      ...(e.by ? { by: e.by } : {}),
      ...(e.churnModelId ? { churnModelId: e.churnModelId, churnRisk: e.churnRisk } : {}),
    },
  };
}

/**
 * A stream batch (the counters table's outbox items, or the offer log's new entries) as the events
 * it publishes. Anything else in the batch (a counter, a presentation) publishes nothing; an item
 * that cannot be read is reported, not dropped in silence.
 */
export function eventsOfStream(
  batch: unknown,
  decode: (image: Record<string, unknown>) => unknown,
): { events: OutboxEvent[]; unreadable: string[] } {
  const parsed = StreamBatchSchema.safeParse(batch);
  if (!parsed.success) return { events: [], unreadable: ['the batch is not a DynamoDB stream batch'] };
  const events: OutboxEvent[] = [];
  const unreadable: string[] = [];
  for (const r of parsed.data.Records) {
    if (r.eventName !== 'INSERT' || !r.dynamodb.NewImage) continue;
    const item = (decode(r.dynamodb.NewImage) ?? {}) as Record<string, unknown>;
    if (typeof item.pk === 'string') {
      if (!item.pk.startsWith(OUTBOX_PREFIX)) continue;
      const { id, type, at, detail } = item as Record<string, unknown>;
      if (
        typeof id !== 'string' ||
        typeof type !== 'string' ||
        typeof at !== 'string' ||
        typeof detail !== 'object'
      )
        unreadable.push(item.pk);
      else events.push({ id, type, at, detail: detail as Record<string, unknown> });
      continue;
    }
    const entry = OfferLogEventSchema.safeParse(item);
    if (!entry.success) {
      unreadable.push(`offer log ${String(item.contactId)}#${String(item.seq)}`);
      continue;
    }
    const e = decisionEvent(entry.data);
    if (e) events.push(e);
  }
  return { events, unreadable };
}
