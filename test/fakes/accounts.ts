import { DEFAULT_CONFIG } from '../../shared/domain/default-config';
import { hashFactor } from '../../shared/domain/verification';
import type { Account } from '../../shared/schemas/account';

export const SALT = '0123456789abcdef0123456789abcdef';
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
      last4Hash: hashFactor(SALT, 'last4', FACTORS.last4),
      zipHash: hashFactor(SALT, 'zip', FACTORS.zip),
      dobHash: hashFactor(SALT, 'dob', FACTORS.dob),
      pinHash: hashFactor(SALT, 'pin', FACTORS.pin),
      failures: 0,
    },
    ...over,
  };
}

export const config = DEFAULT_CONFIG;
