// The outbox's events: what Retention Desk tells the issuer's systems, with a stable id.

import type { OutboundRequest } from './outbound';

/** Outbox items live in the counters table under this prefix; its stream's filter lets only them through. */
export const OUTBOX_PREFIX = 'OUTBOX#';

export interface OutboxEvent {
  /** Stable: the same change always writes the same id (a consumer drops duplicates by it). */
  id: string;
  /** The EventBridge detail-type, e.g. "Outbound Contact Requested". */
  type: string;
  at: string;
  detail: Record<string, unknown>;
}

export const requestEvent = (r: OutboundRequest): OutboxEvent => ({
  id: r.id,
  type: 'Outbound Contact Requested',
  at: r.at,
  detail: { ...r },
});
