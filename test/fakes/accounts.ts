import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { newContact } from '../../shared/domain/call';
import { computeFacts } from '../../shared/domain/facts';
import { hashFactor } from '../../shared/domain/verification';
import type { Account } from '../../shared/schemas/account';
import type { Contact } from '../../shared/schemas/contact';

export const SALT = '0123456789abcdef0123456789abcdef';
/** The factor pepper of the tests (a real one is a secret: Secrets Manager on AWS, a file locally). */
export const TEST_PEPPER = 'test-pepper-0123456789abcdef0123456789abcdef';
/** The key of derived contact ids in the tests. */
export const TEST_CONTACT_KEY = 'test-contact-key-0123456789abcdef0123456789';
export const FACTORS = { last4: '4821', zip: '94107', dob: '1980-02-29', pin: '2468' };
export const NOW = '2026-11-23T12:00:00.000Z';

/** A plain, healthy transactor on a 95-fee rewards card; tests change what they need. */
export function makeAccount(over: Partial<Account> = {}): Account {
  return {
    accountId: 'ACC-TEST01',
    customerId: 'CUS-TEST01',
    phone: '+15555550123',
    openedOn: '2019-05-10',
    product: {
      code: 'GOLD_REWARDS',
      name: 'Gold Rewards',
      family: 'REWARDS',
      annualFee: 95,
      apr: 0.2399,
      rewardsRate: 0.015,
    },
    creditLimit: 12000,
    balance: 2400,
    revolvingBalance: 0,
    monthlySpend: Array(12).fill(1500),
    spendByCategory: { travel: 3000, dining: 3000, groceries: 4000, fuel: 2000, online: 4000, other: 2000 },
    payments: Array(12).fill('FULL'),
    revenue12m: { interchange: 320, interest: 0, fees: 95 },
    cost12m: { rewards: 270, servicing: 40 },
    riskScore: 0.02,
    flags: { fraudHold: false, collections: false, bankruptcy: false, deceased: false, closed: false },
    productsHeld: ['CHECKING'],
    verification: {
      salt: SALT,
      last4Hash: hashFactor(TEST_PEPPER, SALT, 'last4', FACTORS.last4),
      zipHash: hashFactor(TEST_PEPPER, SALT, 'zip', FACTORS.zip),
      dobHash: hashFactor(TEST_PEPPER, SALT, 'dob', FACTORS.dob),
      pinHash: hashFactor(TEST_PEPPER, SALT, 'pin', FACTORS.pin),
      failures: 0,
    },
    ...over,
  };
}

/** A loyal, profitable premium transactor: retention offers on a 550-fee card. */
export function premiumAccount(over: Partial<Account> = {}): Account {
  return makeAccount({
    product: {
      code: 'PLATINUM_TRAVEL',
      name: 'Platinum Travel',
      family: 'PREMIUM_TRAVEL',
      annualFee: 550,
      apr: 0.2199,
      rewardsRate: 0.02,
    },
    monthlySpend: Array(12).fill(5000),
    spendByCategory: { travel: 24000, dining: 12000, groceries: 8000, fuel: 4000, online: 8000, other: 4000 },
    revenue12m: { interchange: 1200, interest: 0, fees: 550 },
    cost12m: { rewards: 600, servicing: 50 },
    ...over,
  });
}

export const config = DEFAULT_CONFIG;

/** A contact of the premium account, verified and segmented, at the OFFER stage. */
/** A verified premium customer on the agent desktop (not self-service: every offer may be presented). */
export function verifiedPremiumContact(contactId = 'c-1'): Contact {
  const a = premiumAccount();
  const c = newContact({
    contactId,
    request: { channel: 'agent', callType: 'CLOSE_ACCOUNT', accountId: a.accountId },
    now: NOW,
    accountId: a.accountId,
    callerMatched: false,
    config,
  });
  return {
    ...c,
    stage: 'OFFER',
    facts: computeFacts(a, NOW, config.value),
    segment: { customer: 'PREMIUM_TRANSACTOR', card: 'PREMIUM', reasons: [] },
    verification: { ...c.verification, status: 'VERIFIED' },
  };
}

/** A contact just started by the fake account's caller, at VERIFY (for adapter tests whose runner is a fake). */
export function startedContact(channel: Contact['channel'] = 'voice'): Contact {
  return newContact({
    contactId: '00000000-0000-4000-8000-000000000001',
    request: { channel, callType: 'CLOSE_ACCOUNT', callerPhone: '+15555550123' },
    now: NOW,
    accountId: 'ACC-TEST01',
    callerMatched: true,
    config,
  });
}
