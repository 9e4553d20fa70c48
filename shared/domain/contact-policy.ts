import type { DecisionConfig, Offer } from '../schemas/config';
import type { OfferLogEvent } from '../schemas/contact';

/**
 * Contact policy, per account and offer: an offer the customer declined is not offered again for
 * `suppressDaysAfterDecline` days, and no offer is presented more than `maxPresentations` times.
 * The history lives on the account (the start copies it onto the contact); the turns that present
 * and decline add to it in their own transaction.
 */
export const DEFAULT_CONTACT_POLICY = { suppressDaysAfterDecline: 30, maxPresentations: 6 } as const;

export interface OfferHistory {
  presentations: number;
  lastDeclinedAt?: string;
}

/** The counter items of an older layout (one per account and offer), still removed by an erasure. */
export const HISTORY_PREFIX = 'POLICY#';
/** An account's history of one offer as a decision looks it up (a lookup key, not a storage key). */
export const historyKey = (accountId: string, offerId: string) => `${accountId}@${offerId}`;

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
  accountId: string;
  offerId: string;
  presented: number;
  declinedAt?: string;
}

/** What a turn's offer-log events add to the accounts' offer histories, one update per account and offer. */
export function historyUpdates(events: readonly OfferLogEvent[]): HistoryUpdate[] {
  const byKey = new Map<string, HistoryUpdate>();
  for (const e of events) {
    if (!e.offerId || e.accountId === 'UNIDENTIFIED') continue;
    if (e.event !== 'PRESENTED' && e.event !== 'DECLINED') continue;
    const key = historyKey(e.accountId, e.offerId);
    const u = byKey.get(key) ?? { accountId: e.accountId, offerId: e.offerId, presented: 0 };
    if (e.event === 'PRESENTED') u.presented++;
    else u.declinedAt = e.at;
    byKey.set(key, u);
  }
  return [...byKey.values()];
}
