import type { DecisionConfig, Offer } from '../schemas/config';
import type { OfferLogEvent } from '../schemas/contact';

/**
 * Contact policy, per account and offer: an offer the customer declined is not offered again for
 * `suppressDaysAfterDecline` days, and no offer is presented more than `maxPresentations` times.
 * The history lives in one counter item per account and offer, written in the turn's transaction.
 */
export const DEFAULT_CONTACT_POLICY = { suppressDaysAfterDecline: 30, maxPresentations: 6 } as const;

export interface OfferHistory {
  presentations: number;
  lastDeclinedAt?: string;
}

export const HISTORY_PREFIX = 'POLICY#';
export const historyKey = (accountId: string, offerId: string) => `${HISTORY_PREFIX}${accountId}#${offerId}`;

/** Why the policy keeps this offer from this account now, or undefined when it may be shown. */
export function suppressedBy(
  offer: Offer,
  history: OfferHistory | undefined,
  config: DecisionConfig,
  now: string,
): string | undefined {
  if (!history) return undefined;
  const p = offer.contactPolicy ?? config.contactPolicy ?? DEFAULT_CONTACT_POLICY;
  if (history.presentations >= p.maxPresentations) return `presented ${history.presentations} times already`;
  if (history.lastDeclinedAt) {
    const until = Date.parse(history.lastDeclinedAt) + p.suppressDaysAfterDecline * 86_400_000;
    if (Date.parse(now) < until) return `declined on ${history.lastDeclinedAt.slice(0, 10)}`;
  }
  return undefined;
}

export interface HistoryUpdate {
  key: string;
  presented: number;
  declinedAt?: string;
}

/** What a turn's offer-log events add to the accounts' offer histories, one update per key. */
export function historyUpdates(events: readonly OfferLogEvent[]): HistoryUpdate[] {
  const byKey = new Map<string, HistoryUpdate>();
  for (const e of events) {
    if (!e.offerId || e.accountId === 'UNIDENTIFIED') continue;
    if (e.event !== 'PRESENTED' && e.event !== 'DECLINED') continue;
    const key = historyKey(e.accountId, e.offerId);
    const u = byKey.get(key) ?? { key, presented: 0 };
    if (e.event === 'PRESENTED') u.presented++;
    else u.declinedAt = e.at;
    byKey.set(key, u);
  }
  return [...byKey.values()];
}
