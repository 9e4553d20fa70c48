import { createHmac, timingSafeEqual } from 'node:crypto';
import type { VerificationSecrets } from '../schemas/account';
import type { FactorName } from '../schemas/api';
import type { DecisionConfig } from '../schemas/config';

/**
 * One knowledge factor, salted per account and peppered: HMAC-SHA256 keyed by the pepper (a secret
 * kept outside the tables: Secrets Manager on AWS, a file locally) over salt, factor and value. A copy
 * of the accounts table alone cannot be brute-forced (a last 4 has 10,000 values). The clear value is
 * never stored.
 */
export function hashFactor(pepper: string, salt: string, factor: FactorName, value: string): string {
  return createHmac('sha256', pepper).update(`${salt}:${factor}:${value}`).digest('hex');
}

const HASH_FIELD: Record<FactorName, 'last4Hash' | 'zipHash' | 'dobHash' | 'pinHash'> = {
  last4: 'last4Hash',
  zip: 'zipHash',
  dob: 'dobHash',
  pin: 'pinHash',
};

/** Stored and computed hashes compared in constant time (a wrong length is simply wrong). */
function sameHash(stored: string | undefined, computed: string): boolean {
  if (typeof stored !== 'string') return false;
  const a = Buffer.from(stored, 'hex');
  const b = Buffer.from(computed, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export type VerificationResult =
  | { kind: 'verified'; factors: string[]; secrets: VerificationSecrets }
  | {
      kind: 'insufficient';
      factors: string[];
      needed: number;
      attemptsLeft: number;
      secrets: VerificationSecrets;
    }
  | { kind: 'failed'; attemptsLeft: number; secrets: VerificationSecrets }
  | { kind: 'locked'; until: string; secrets: VerificationSecrets; justLocked: boolean };

/**
 * Knowledge factors against salted, peppered hashes; the caller's number, when it matches the account's,
 * counts as one more factor. Any wrong factor is a failed attempt; `maxFailures` of them lock
 * verification for `lockMinutes`. Enough right factors and none wrong: verified.
 *
 * Every judged guess, right or wrong, moves the account's `attempts` sequence by one, and the turn
 * writes it conditionally on the value it read: guesses on one account are judged strictly one after
 * another, whatever the number of contacts and the concurrency, so at most `maxFailures` wrong ones
 * are judged before the lock. A guess whose write loses that race is not judged (the caller is told to
 * try again, with no verdict). Only a guess on a locked account is answered without a write.
 */
export function verifyFactors(args: {
  secrets: VerificationSecrets;
  pepper: string;
  given: Partial<Record<FactorName, string>>;
  callerMatched: boolean;
  policy: DecisionConfig['verification'];
  now: string;
}): VerificationResult {
  const { secrets, pepper, given, callerMatched, policy, now } = args;
  const nowMs = Date.parse(now);
  if (secrets.lockedUntil && Date.parse(secrets.lockedUntil) > nowMs) {
    return { kind: 'locked', until: secrets.lockedUntil, secrets, justLocked: false };
  }
  // A lock that has run out starts the count afresh.
  const failures = secrets.lockedUntil ? 0 : secrets.failures;
  const names = (Object.keys(given) as FactorName[]).filter((f) => given[f] !== undefined);
  // Every factor is hashed and compared, right or wrong, so the time taken says nothing.
  const wrong = names.filter(
    (f) => !sameHash(secrets[HASH_FIELD[f]], hashFactor(pepper, secrets.salt, f, given[f]!)),
  );
  const attempts = (secrets.attempts ?? 0) + 1;
  if (wrong.length > 0) {
    const n = failures + 1;
    if (n >= policy.maxFailures) {
      const until = new Date(nowMs + policy.lockMinutes * 60_000).toISOString();
      return {
        kind: 'locked',
        until,
        justLocked: true,
        secrets: { ...secrets, failures: n, lockedUntil: until, attempts },
      };
    }
    const { lockedUntil: _expired, ...rest } = secrets;
    return {
      kind: 'failed',
      attemptsLeft: policy.maxFailures - n,
      secrets: { ...rest, failures: n, attempts },
    };
  }
  const factors = callerMatched ? [...names, 'callerNumber'] : names;
  if (factors.length < policy.requiredFactors) {
    // Right so far, but not enough: judged all the same (it tells the caller the factors were right).
    const { lockedUntil: _expired, ...rest } = secrets;
    return {
      kind: 'insufficient',
      factors,
      needed: policy.requiredFactors - factors.length,
      attemptsLeft: policy.maxFailures - failures,
      secrets: { ...rest, failures, attempts },
    };
  }
  const { lockedUntil: _done, ...rest } = secrets;
  return { kind: 'verified', factors, secrets: { ...rest, failures: 0, attempts } };
}
