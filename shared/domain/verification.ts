import { createHmac } from 'node:crypto';
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

const HASH_FIELD: Record<FactorName, keyof VerificationSecrets> = {
  last4: 'last4Hash',
  zip: 'zipHash',
  dob: 'dobHash',
  pin: 'pinHash',
};

export type VerificationResult =
  | { kind: 'verified'; factors: string[]; secrets: VerificationSecrets }
  | { kind: 'insufficient'; factors: string[]; needed: number; attemptsLeft: number }
  | { kind: 'failed'; attemptsLeft: number; secrets: VerificationSecrets }
  | { kind: 'locked'; until: string; secrets: VerificationSecrets; justLocked: boolean };

/**
 * Knowledge factors against salted, peppered hashes; the caller's number, when it matches the account's,
 * counts as one more factor. Any wrong factor is a failed attempt; `maxFailures` of them lock
 * verification for `lockMinutes`. Enough right factors and none wrong: verified.
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
  const wrong = names.filter((f) => {
    const stored = secrets[HASH_FIELD[f]];
    return typeof stored !== 'string' || stored !== hashFactor(pepper, secrets.salt, f, given[f]!);
  });
  if (wrong.length > 0) {
    const n = failures + 1;
    if (n >= policy.maxFailures) {
      const until = new Date(nowMs + policy.lockMinutes * 60_000).toISOString();
      return {
        kind: 'locked',
        until,
        justLocked: true,
        secrets: { ...secrets, failures: n, lockedUntil: until },
      };
    }
    const { lockedUntil: _expired, ...rest } = secrets;
    return { kind: 'failed', attemptsLeft: policy.maxFailures - n, secrets: { ...rest, failures: n } };
  }
  const factors = callerMatched ? [...names, 'callerNumber'] : names;
  if (factors.length < policy.requiredFactors) {
    return {
      kind: 'insufficient',
      factors,
      needed: policy.requiredFactors - factors.length,
      attemptsLeft: policy.maxFailures - failures,
    };
  }
  const { lockedUntil: _done, ...rest } = secrets;
  return { kind: 'verified', factors, secrets: { ...rest, failures: 0 } };
}
