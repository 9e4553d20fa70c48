import { randomInt, randomUUID } from 'node:crypto';
import { CANARY_ACCOUNT_ID } from '../domain/canary';
import { hashFactor } from '../domain/verification';
import type { TurnOutput, TurnRunner } from '../ports';
import type { Account } from '../schemas/account';
import type { TurnInput } from '../schemas/api';
import type { Contact } from '../schemas/contact';

/** A number no customer has (555-01xx numbers are fictional; the personas use 0101–0112). */
export const CANARY_PHONE = '+15555550999';

export interface CanaryDeps {
  runner: TurnRunner;
  /** Replaces the canary's account whole (fresh factors, no offer history, no lock). */
  writeAccount: (account: Account) => Promise<void>;
  pepper: () => Promise<string>;
  salt: () => string;
  clock?: () => Date;
}

export type CanaryStep = 'account' | 'start' | 'verify' | 'offers' | 'answer';
export type CanaryReport =
  | { passed: true; ms: number; contactId: string; killSwitch: boolean }
  | { passed: false; ms: number; step: CanaryStep; why: string; contactId?: string };

/** The canary's account: a profitable premium traveller asking to close (retention offers expected). */
export function canaryAccount(
  asOf: string,
  pepper: string,
  salt: string,
  f: { last4: string; zip: string; dob: string },
): Account {
  return {
    accountId: CANARY_ACCOUNT_ID,
    customerId: 'CANARY-CUSTOMER',
    phone: CANARY_PHONE,
    openedOn: '2018-01-15',
    asOf,
    product: {
      code: 'CANARY_PLATINUM',
      name: 'Canary Platinum',
      family: 'PREMIUM_TRAVEL',
      annualFee: 550,
      apr: 0.2199,
      rewardsRate: 0.02,
    },
    creditLimit: 30000,
    balance: 5000,
    revolvingBalance: 0,
    monthlySpend: Array(12).fill(5000),
    spendByCategory: { travel: 24000, dining: 12000, groceries: 8000, fuel: 4000, online: 8000, other: 4000 },
    payments: Array(12).fill('FULL'),
    revenue12m: { interchange: 1200, interest: 0, fees: 550 },
    cost12m: { rewards: 600, servicing: 50 },
    riskScore: 0.02,
    flags: { fraudHold: false, collections: false, bankruptcy: false, deceased: false, closed: false },
    productsHeld: ['CHECKING'],
    verification: {
      salt,
      last4Hash: hashFactor(pepper, salt, 'last4', f.last4),
      zipHash: hashFactor(pepper, salt, 'zip', f.zip),
      dobHash: hashFactor(pepper, salt, 'dob', f.dob),
      failures: 0,
    },
  };
}

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');

/**
 * One synthetic call, start to answer, through the state machine as a voice contact would go:
 * the canary's account is written afresh (new random factors, so none is kept anywhere; no offer
 * history, so the contact policy never suppresses its offers), then start (marked synthetic), verify,
 * offers and the accept of the first offer. Each step checks what a caller would hear. With the kill
 * switch on, a start routed by it is the right answer: the call passes there.
 */
export async function playCanary(deps: CanaryDeps): Promise<CanaryReport> {
  const clock = deps.clock ?? (() => new Date());
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const fail = (step: CanaryStep, why: string, contactId?: string): CanaryReport => ({
    passed: false,
    ms: ms(),
    step,
    why,
    ...(contactId ? { contactId } : {}),
  });
  const factors = { last4: digits(4), zip: digits(5), dob: '1980-06-15' };
  try {
    await deps.writeAccount(canaryAccount(clock().toISOString(), await deps.pepper(), deps.salt(), factors));
  } catch (e) {
    return fail('account', e instanceof Error ? e.name : 'Error');
  }
  const turn = async (step: CanaryStep, input: TurnInput): Promise<Contact | CanaryReport> => {
    let out: TurnOutput;
    try {
      out = await deps.runner.run(input);
    } catch (e) {
      return fail(step, e instanceof Error ? e.name : 'Error');
    }
    if (out.outcome === 'ok') return out.contact;
    if (out.outcome === 'rejected') return fail(step, `rejected: ${out.problem.name}`);
    return fail(step, `fallback at ${out.failedAt}: ${out.error}`);
  };
  const isReport = (x: Contact | CanaryReport): x is CanaryReport => 'passed' in x;

  const started = await turn('start', {
    action: 'start',
    now: clock().toISOString(),
    request: {
      channel: 'voice',
      callType: 'CLOSE_ACCOUNT',
      accountId: CANARY_ACCOUNT_ID,
      externalContactId: `canary-${randomUUID()}`,
    },
    synthetic: true,
  });
  if (isReport(started)) return started;
  const contactId = started.contactId;
  if (started.synthetic !== true) return fail('start', 'the contact is not marked synthetic', contactId);
  if (started.route.ruleId === 'KILL_SWITCH' && started.stage === 'ROUTED')
    return { passed: true, ms: ms(), contactId, killSwitch: true };
  if (started.stage !== 'VERIFY') return fail('start', `stage ${started.stage}, expected VERIFY`, contactId);

  const verified = await turn('verify', {
    action: 'verify',
    now: clock().toISOString(),
    contactId,
    request: factors,
    idempotencyKey: `canary-verify-${contactId}`,
  });
  if (isReport(verified)) return { ...verified, contactId };
  if (verified.verification.status !== 'VERIFIED' || verified.stage !== 'OFFER')
    return fail(
      'verify',
      `${verified.verification.lastResult ?? 'not verified'}, stage ${verified.stage}`,
      contactId,
    );

  const offered = await turn('offers', { action: 'offers', now: clock().toISOString(), contactId });
  if (isReport(offered)) return { ...offered, contactId };
  const first = offered.current[0];
  if (!first) return fail('offers', `no offer presented (stage ${offered.stage})`, contactId);

  const answered = await turn('answer', {
    action: 'respond',
    now: clock().toISOString(),
    contactId,
    request: { offerId: first, response: 'ACCEPTED' },
    idempotencyKey: `canary-answer-${contactId}`,
  });
  if (isReport(answered)) return { ...answered, contactId };
  if (answered.stage !== 'RETAINED')
    return fail('answer', `stage ${answered.stage} after an accept, expected RETAINED`, contactId);
  return { passed: true, ms: ms(), contactId, killSwitch: false };
}
