import type { DecisionConfig, RateLimit } from '../schemas/config';

/**
 * Rate limits on the turns an attacker multiplies: contacts started per calling number and per
 * account, verification attempts per account. Fixed windows; each counted request is one charge,
 * taken in the turn's own transaction only if the window's count stays within the limit, so the
 * limit holds under any concurrency. A request over the limit changes nothing and is answered 429
 * with the seconds until the window ends.
 */
export const DEFAULT_RATE_LIMITS: NonNullable<DecisionConfig['rateLimits']> = {
  startsPerPhone: { max: 20, windowSeconds: 600 },
  startsPerAccount: { max: 30, windowSeconds: 3600 },
  verificationsPerAccount: { max: 20, windowSeconds: 900 },
};

export type RateScope = keyof typeof DEFAULT_RATE_LIMITS;

/** One request counted against a limit: the adapter keys it by scope, subject and window. */
export interface RateCharge {
  scope: RateScope;
  /** Who is counted: an account id, or a keyed hash of a phone number (never the number). */
  subject: string;
  /** Start of the window, in epoch seconds. */
  windowStart: number;
  max: number;
  /** When the counter may be deleted (epoch seconds): the end of its window. */
  expiresAt: number;
}

export function rateCharge(
  scope: RateScope,
  subject: string,
  config: DecisionConfig,
  now: string,
): RateCharge {
  const limit: RateLimit = config.rateLimits?.[scope] ?? DEFAULT_RATE_LIMITS[scope];
  const t = Math.floor(Date.parse(now) / 1000);
  const windowStart = t - (t % limit.windowSeconds);
  return { scope, subject, windowStart, max: limit.max, expiresAt: windowStart + limit.windowSeconds };
}

/** Seconds until the charge's window ends (at least 1): the answer's Retry-After. */
export const retryAfterSeconds = (c: RateCharge, now: string) =>
  Math.max(1, c.expiresAt - Math.floor(Date.parse(now) / 1000));
