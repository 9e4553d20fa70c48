import { describe, expect, it } from 'vitest';
import { computeFacts } from '../../shared/domain/facts';
import { compileCatalog, type DecisionContext } from '../../shared/domain/offers';
import { compileSegmentTable } from '../../shared/domain/segments';
import type { Account } from '../../shared/schemas/account';
import { CALL_TYPES, type CallType } from '../../shared/schemas/config';
import { config, makeAccount, NOW, premiumAccount } from '../fakes/accounts';

const catalog = compileCatalog(config);
const customer = compileSegmentTable(config.customerSegments);
const card = compileSegmentTable(config.cardSegments);
function ctx(a: Account, callType: CallType = 'CLOSE_ACCOUNT'): DecisionContext {
  const facts = computeFacts(a, NOW, config.value);
  return {
    facts,
    customerSegment: customer.classify(facts).segment,
    cardSegment: card.classify(facts).segment,
    callType,
  };
}
const ids = (xs: { offer: { offerId: string } }[]) => xs.map((x) => x.offer.offerId);

const premium = premiumAccount();

describe('offer arbitration', () => {
  it('ranks eligible retention offers by expected net value, best first, with economics and reasons', () => {
    const r = catalog.rank('RETENTION', ctx(premium));
    expect(r.length).toBeGreaterThan(1);
    for (let i = 1; i < r.length; i++)
      expect(r[i - 1]!.economics.expectedNetValue).toBeGreaterThanOrEqual(r[i]!.economics.expectedNetValue);
    for (const o of r) {
      expect(o.economics.expectedNetValue).toBeCloseTo(
        o.economics.acceptProbability * (o.economics.customerValue - o.economics.cost),
        1,
      );
      expect(o.reasons.some((x) => x.startsWith('keeps'))).toBe(true);
    }
  });

  it('the fee waiver costs the annual fee', () => {
    const w = catalog.rank('RETENTION', ctx(premium)).find((o) => o.offer.offerId === 'annual-fee-waiver');
    expect(w?.economics.cost).toBe(550);
  });

  it('never shows an offer that costs more than the value it keeps (profit guard)', () => {
    // A barely profitable customer on a fee card: the fee waiver costs more than the customer is worth.
    const thin = makeAccount({
      revenue12m: { interchange: 40, interest: 0, fees: 95 },
      cost12m: { rewards: 30, servicing: 60 },
    });
    const c = ctx(thin);
    expect(c.facts.lifetimeValue * 0.9).toBeLessThan(95);
    const r = catalog.rank('RETENTION', c);
    expect(ids(r)).not.toContain('annual-fee-waiver');
    for (const o of r) expect(o.economics.customerValue - o.economics.cost).toBeGreaterThan(0);
  });

  it('no offer of any kind on fraud and lost-card calls', () => {
    for (const t of ['FRAUD_REPORT', 'LOST_OR_STOLEN'] as const) {
      expect(catalog.rank('RETENTION', ctx(premium, t))).toEqual([]);
      expect(catalog.rank('CROSS_SELL', ctx(premium, t))).toEqual([]);
    }
  });

  it('a credit-line increase needs the ability to pay', () => {
    const revenue12m = { interchange: 900, interest: 0, fees: 95 };
    const user = makeAccount({ balance: 9000, creditLimit: 12000, revenue12m });
    expect(ids(catalog.rank('RETENTION', ctx(user)))).toContain('credit-line-increase');
    const late = makeAccount({
      balance: 9000,
      creditLimit: 12000,
      revenue12m,
      payments: [...Array(11).fill('FULL'), 'LATE'],
    });
    expect(ids(catalog.rank('RETENTION', ctx(late)))).not.toContain('credit-line-increase');
  });

  it('cross-sells only what the usage calls for, and never a product already held', () => {
    const traveller = makeAccount({
      spendByCategory: { travel: 9000, dining: 3000, groceries: 2000, fuel: 1000, online: 2000, other: 1000 },
    });
    expect(ids(catalog.rank('CROSS_SELL', ctx(traveller)))).toContain('travel-card');
    // A premium travel card already does what the travel card would.
    expect(ids(catalog.rank('CROSS_SELL', ctx(premium)))).not.toContain('travel-card');
    const holder = { ...traveller, productsHeld: ['TRAVEL_CARD' as const] };
    expect(ids(catalog.rank('CROSS_SELL', ctx(holder)))).not.toContain('travel-card');
    const noTravel = makeAccount({
      spendByCategory: { travel: 0, dining: 1, groceries: 1, fuel: 1, online: 1, other: 1 },
    });
    expect(ids(catalog.rank('CROSS_SELL', ctx(noTravel)))).not.toContain('travel-card');
  });

  it('excluded offers are skipped and ties break on offerId, so ranking is deterministic', () => {
    const all = catalog.rank('RETENTION', ctx(premium));
    const rest = catalog.rank('RETENTION', ctx(premium), new Set([all[0]!.offer.offerId]));
    expect(ids(rest)).toEqual(ids(all).slice(1));
    expect(ids(catalog.rank('RETENTION', ctx(premium)))).toEqual(ids(all));
  });

  it.each(CALL_TYPES.filter((t) => !config.callTypes[t].salesAllowed))('%s allows no sales', (t) => {
    expect(catalog.rank('RETENTION', ctx(premium, t))).toHaveLength(0);
  });
});
