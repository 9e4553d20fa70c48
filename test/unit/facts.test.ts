import { describe, expect, it } from 'vitest';
import {
  annuityFactor,
  computeFacts,
  contactsInLastYear,
  customerValue,
  monthsBetween,
  retentionRate,
} from '../../shared/domain/facts';
import { config, makeAccount, NOW } from '../fakes/accounts';

describe('monthsBetween', () => {
  it.each([
    ['2026-01-15', '2026-11-23', 10],
    ['2026-01-25', '2026-11-23', 9],
    ['2026-11-23', '2026-11-23', 0],
    ['2019-05-10', '2026-11-23T12:00:00Z', 90],
    ['2027-01-01', '2026-11-23', 0],
  ])('%s → %s is %i whole months', (from, to, n) => expect(monthsBetween(from, to)).toBe(n));
});

describe('customer value', () => {
  it('is revenue minus rewards, servicing and expected loss (PD × exposure × LGD)', () => {
    const a = makeAccount({ balance: 5000, riskScore: 0.1 });
    const v = customerValue(a, config.value);
    expect(v.annualRevenue).toBe(320 + 0 + 95);
    expect(v.expectedLoss).toBe(0.1 * 5000 * 0.85);
    expect(v.annualProfit).toBe(415 - 270 - 40 - 425);
  });
  it('lifetime value discounts the yearly profit over the horizon with the retention curve', () => {
    const f = annuityFactor({
      lossGivenDefault: 0.85,
      horizonYears: 3,
      discountRate: 0.1,
      retentionRate: 0.85,
    });
    expect(f).toBeCloseTo(1 / 1.1 + 0.85 / 1.21 + 0.7225 / 1.331, 10);
    const v = customerValue(makeAccount(), config.value);
    expect(v.lifetimeValue).toBeCloseTo(v.annualProfit * f, 1);
  });
  it('a balance in credit is no exposure', () => {
    expect(customerValue(makeAccount({ balance: -50, riskScore: 0.5 }), config.value).expectedLoss).toBe(0);
  });
});

describe('computeFacts', () => {
  it('reads payment history, usage and spend mix from the account', () => {
    const f = computeFacts(
      makeAccount({
        payments: [
          'FULL',
          'FULL',
          'LATE',
          'MISSED',
          'NO_BALANCE',
          'MINIMUM',
          'FULL',
          'FULL',
          'FULL',
          'FULL',
          'PARTIAL',
          'FULL',
        ],
        monthlySpend: [900, 900, 900, 900, 900, 900, 900, 900, 900, 0, 0, 300],
        balance: 6000,
        creditLimit: 12000,
      }),
      NOW,
      config.value,
    );
    expect(f.fullPayRatio).toBeCloseTo(7 / 11, 4);
    expect(f.latePayments).toBe(2);
    expect(f.missedPayments).toBe(1);
    expect(f.spendLast3m).toBe(300);
    expect(f.spendTrend).toBeCloseTo(100 / 900, 4);
    expect(f.utilization).toBe(0.5);
    expect(f.tenureMonths).toBe(90);
    expect(f.groceriesShare).toBe(0.2222);
    expect(f.cardFamily).toBe('REWARDS');
  });
});

describe('retention curve', () => {
  it.each([
    ['steady use, 2 years', 1, 24, 0.85],
    ['use falling by half or more', 0.4, 24, 0.7225],
    ['use falling a little', 0.8, 24, 0.8075],
    ['new customer', 1, 6, 0.8075],
    ['five years and more', 1.2, 72, 0.8925],
  ])('%s: %d trend, %i months → %d', (_n, trend, tenure, rate) => {
    expect(retentionRate(0.85, trend, tenure)).toBeCloseTo(rate, 4);
  });

  it('a customer whose use is falling is worth less over the horizon, and the parts say why', () => {
    const a = makeAccount({ revenue12m: { interchange: 900, interest: 0, fees: 95 } });
    const steady = customerValue(a, config.value, { spendTrend: 1, tenureMonths: 24 });
    const fading = customerValue(a, config.value, { spendTrend: 0.3, tenureMonths: 24 });
    expect(fading.annualProfit).toBe(steady.annualProfit);
    expect(fading.lifetimeValue).toBeLessThan(steady.lifetimeValue);
    expect(fading.parts.lifetime).toMatchObject({
      retentionRate: 0.7225,
      baseRetentionRate: 0.85,
      spendTrend: 0.3,
    });
    expect(fading.parts.expectedLoss).toEqual({
      probabilityOfDefault: 0.02,
      exposure: 2400,
      lossGivenDefault: 0.85,
    });
  });
});

describe('contact frequency', () => {
  it('counts the contacts of the last 12 months only', () => {
    expect(contactsInLastYear(undefined, NOW)).toBe(0);
    expect(
      contactsInLastYear(
        ['2025-11-20T00:00:00Z', '2026-01-05T10:00:00Z', '2026-11-23T11:00:00Z', '2027-01-01T00:00:00Z'],
        NOW,
      ),
    ).toBe(2);
  });
  it('each contact costs servicing, and three or more make the customer less likely to stay', () => {
    const a = makeAccount({ revenue12m: { interchange: 900, interest: 0, fees: 95 } });
    const calm = customerValue(a, config.value, { spendTrend: 1, tenureMonths: 24, contactsLast12m: 0 });
    const busy = customerValue(a, config.value, { spendTrend: 1, tenureMonths: 24, contactsLast12m: 4 });
    expect(calm.annualProfit - busy.annualProfit).toBeCloseTo(4 * 8, 6);
    expect(busy.parts.lifetime.retentionRate).toBeCloseTo(0.85 * 0.95, 4);
    expect(busy.parts.cost.contacts).toEqual({ last12Months: 4, cost: 32 });
    const facts = computeFacts(
      makeAccount({ recentContacts: ['2026-10-01T09:00:00Z', '2026-11-01T09:00:00Z'] }),
      NOW,
      config.value,
    );
    expect(facts.contactsLast12m).toBe(2);
  });
});
