import { describe, expect, it } from 'vitest';
import { budgetItemExpiry } from '../../shared/adapters/dynamo/counters';
import { budgetKey, budgetPeriodStart, withinBudget } from '../../shared/domain/budget';
import { applyAnswer, presentOffers } from '../../shared/domain/call';
import { compileCatalog } from '../../shared/domain/offers';
import { config, NOW, verifiedPremiumContact } from '../fakes/accounts';

describe('budget caps', () => {
  it.each([
    ['DAY', '2026-11-23T23:59:59.999Z', '2026-11-23', '2026-11-25T00:00:00.000Z'],
    ['MONTH', '2026-11-23T12:00:00.000Z', '2026-11', '2026-12-02T00:00:00.000Z'],
    ['MONTH', '2026-12-31T12:00:00.000Z', '2026-12', '2027-01-02T00:00:00.000Z'],
  ] as const)('a %s budget at %s is in period %s, kept until %s', (period, now, start, until) => {
    expect(budgetPeriodStart({ period }, now)).toBe(start);
    // The item's TTL is the adapter's: a day after the period ends.
    expect(new Date(budgetItemExpiry(period, start) * 1000).toISOString()).toBe(until);
  });

  it.each([
    [{ maxAccepts: 3 }, { accepts: 2, cost: 0 }, 10, true],
    [{ maxAccepts: 3 }, { accepts: 3, cost: 0 }, 10, false],
    [{ maxCost: 100 }, { accepts: 9, cost: 90 }, 10, true],
    [{ maxCost: 100 }, { accepts: 9, cost: 90 }, 10.01, false],
    [{ maxAccepts: 10, maxCost: 100 }, { accepts: 1, cost: 95 }, 10, false],
  ])('%o used %o, one more costing %d: %s', (caps, used, cost, ok) => {
    expect(withinBudget({ period: 'DAY', ...caps }, used, cost)).toBe(ok);
  });

  const catalog = compileCatalog(config);
  const verified = () => verifiedPremiumContact();

  it('an offer whose budget is spent for the period is not presented; the next one takes its place', () => {
    const open = presentOffers(verified(), catalog, config, NOW).contact.current;
    expect(open[0]).toBe('annual-fee-waiver');
    const spent = new Map([
      [budgetKey('annual-fee-waiver', { period: 'MONTH' }, NOW), { accepts: 500, cost: 249_900 }],
    ]);
    const after = presentOffers(verified(), catalog, config, NOW, spent).contact.current;
    expect(after).not.toContain('annual-fee-waiver');
    expect(after[0]).toBe(open[1]);
  });

  it('accepting a budgeted offer charges its counter for the period; others charge nothing', () => {
    const c = presentOffers(verified(), catalog, config, NOW).contact;
    const r = applyAnswer({
      contact: c,
      offerId: 'annual-fee-waiver',
      response: 'ACCEPTED',
      config,
      catalog,
      now: NOW,
    });
    expect(r.budget).toEqual({
      offerId: 'annual-fee-waiver',
      period: 'MONTH',
      periodStart: '2026-11',
      cost: 550,
      maxCost: 250_000,
    });
    const other = applyAnswer({
      contact: c,
      offerId: c.current[1]!,
      response: 'ACCEPTED',
      config,
      catalog,
      now: NOW,
    });
    expect(other.budget).toBeUndefined();
    const declined = applyAnswer({
      contact: c,
      offerId: 'annual-fee-waiver',
      response: 'DECLINED',
      config,
      catalog,
      now: NOW,
    });
    expect(declined.budget).toBeUndefined();
  });

  it('a budget without a cap is refused by the schema', async () => {
    const { OfferSchema } = await import('../../shared/schemas/config');
    const r = OfferSchema.safeParse({ ...config.offers[0], budget: { period: 'DAY' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['budget']);
  });
});

describe('validity windows in the live decision', () => {
  it('an offer that expired yesterday is not presented on a call today', () => {
    const expired = {
      ...config,
      offers: config.offers.map((o) =>
        o.offerId === 'annual-fee-waiver' ? { ...o, validUntil: '2026-11-22' } : o,
      ),
    };
    const c = verifiedPremiumContact('c-2');
    expect(presentOffers(c, compileCatalog(config), config, NOW).contact.current).toContain(
      'annual-fee-waiver',
    );
    expect(presentOffers(c, compileCatalog(expired), expired, NOW).contact.current).not.toContain(
      'annual-fee-waiver',
    );
  });
});
