import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashFactor, verifyFactors } from '../../shared/domain/verification';
import { config, FACTORS, makeAccount, NOW, SALT, TEST_PEPPER } from '../fakes/accounts';

const secrets = makeAccount().verification;
const policy = config.verification;
const run = (
  given: Record<string, string>,
  over: Partial<typeof secrets> = {},
  callerMatched = false,
  now = NOW,
) =>
  verifyFactors({ secrets: { ...secrets, ...over }, pepper: TEST_PEPPER, given, callerMatched, policy, now });

describe('verification', () => {
  it('hashes are salted and peppered: another salt or another pepper gives another hash', () => {
    const h = hashFactor(TEST_PEPPER, SALT, 'last4', '4821');
    expect(h).not.toBe(hashFactor(TEST_PEPPER, 'f'.repeat(32), 'last4', '4821'));
    expect(h).not.toBe(hashFactor(`${TEST_PEPPER}x`, SALT, 'last4', '4821'));
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    // Not a plain salted SHA-256: without the pepper, a copy of the table cannot be brute-forced.
    expect(h).not.toBe(createHash('sha256').update(`${SALT}:last4:4821`).digest('hex'));
  });
  it('right factors checked under another pepper fail', () => {
    const r = verifyFactors({
      secrets,
      pepper: `${TEST_PEPPER}-rotated`,
      given: { last4: FACTORS.last4, zip: FACTORS.zip },
      callerMatched: false,
      policy,
      now: NOW,
    });
    expect(r.kind).toBe('failed');
  });
  it('two right knowledge factors verify and clear the failure count', () => {
    const r = run({ last4: FACTORS.last4, zip: FACTORS.zip }, { failures: 2 });
    expect(r.kind).toBe('verified');
    if (r.kind === 'verified') expect(r.secrets.failures).toBe(0);
  });
  it('the caller number counts as one more factor', () => {
    expect(run({ dob: FACTORS.dob }, {}, true).kind).toBe('verified');
    expect(run({ dob: FACTORS.dob }, {}, false).kind).toBe('insufficient');
  });
  it('one right factor alone is not enough and is not a failure', () => {
    const r = run({ pin: FACTORS.pin });
    expect(r).toMatchObject({ kind: 'insufficient', needed: 1, attemptsLeft: 3 });
  });
  it('any wrong factor fails the attempt, even with others right', () => {
    const r = run({ last4: FACTORS.last4, zip: '00000' });
    expect(r).toMatchObject({ kind: 'failed', attemptsLeft: 2 });
    if (r.kind === 'failed') expect(r.secrets.failures).toBe(1);
  });
  it('a PIN given for an account without one is wrong', () => {
    const { pinHash: _p, ...noPin } = secrets;
    expect(
      verifyFactors({
        secrets: noPin,
        pepper: TEST_PEPPER,
        given: { pin: '1234', zip: FACTORS.zip },
        callerMatched: true,
        policy,
        now: NOW,
      }).kind,
    ).toBe('failed');
  });
  it('the third failure locks for 30 minutes', () => {
    const r = run({ last4: '0000' }, { failures: 2 });
    expect(r.kind).toBe('locked');
    if (r.kind === 'locked') {
      expect(r.justLocked).toBe(true);
      expect(Date.parse(r.until) - Date.parse(NOW)).toBe(30 * 60_000);
      expect(r.secrets.lockedUntil).toBe(r.until);
    }
  });
  it('while locked, even right factors are refused', () => {
    const until = new Date(Date.parse(NOW) + 60_000).toISOString();
    const r = run({ last4: FACTORS.last4, zip: FACTORS.zip }, { failures: 3, lockedUntil: until });
    expect(r).toMatchObject({ kind: 'locked', justLocked: false, until });
  });
  it('after the lock runs out the count starts afresh', () => {
    const past = new Date(Date.parse(NOW) - 1000).toISOString();
    expect(run({ last4: FACTORS.last4, zip: FACTORS.zip }, { failures: 3, lockedUntil: past }).kind).toBe(
      'verified',
    );
    const r = run({ last4: '0000' }, { failures: 3, lockedUntil: past });
    expect(r).toMatchObject({ kind: 'failed', attemptsLeft: 2 });
    if (r.kind === 'failed') expect(r.secrets.lockedUntil).toBeUndefined();
  });
});
