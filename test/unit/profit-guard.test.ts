import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/domain/learning';
import { compileCatalog } from '../../shared/domain/offers';
import { CALL_TYPES, type DecisionConfig, DecisionConfigSchema } from '../../shared/schemas/config';
import { catalogOf, contexts } from '../bench/catalog';
import { config, NOW } from '../fakes/accounts';

/**
 * Property: whatever the catalog's costs and priors and whatever the account, no offer is ever
 * shown whose cost is not below the value it keeps (the issuer's profit guard), and the ranking is
 * by expected net value. 40 random catalogs × 300 accounts × every call type.
 */
describe('profit guard (property, seeded random catalogs)', () => {
  const ctxs = contexts(300, NOW);
  it('never shows an offer with non-positive net value, under any catalog', () => {
    const rng = seededRandom('profit-guard');
    let shown = 0;
    for (let k = 0; k < 40; k++) {
      const base = catalogOf(60);
      const cfg: DecisionConfig = DecisionConfigSchema.parse({
        ...base,
        version: `random-${k}`,
        offers: base.offers.map((o) => ({
          ...o,
          cost: { fixed: rng() * 800, annualFeeShare: rng(), interestShare: rng(), spendShare: rng() * 0.05 },
          acceptProbability: 0.01 + rng() * 0.98,
        })),
      });
      const catalog = compileCatalog(cfg);
      for (const base of ctxs)
        for (const callType of CALL_TYPES) {
          const ranked = catalog.rank('RETENTION', { ...base, callType });
          for (const [i, r] of ranked.entries()) {
            expect(r.economics.customerValue - r.economics.cost).toBeGreaterThan(0);
            expect(r.economics.expectedNetValue).toBeGreaterThan(0);
            if (i > 0)
              expect(ranked[i - 1]!.economics.expectedNetValue).toBeGreaterThanOrEqual(
                r.economics.expectedNetValue,
              );
          }
          shown += ranked.length;
        }
    }
    expect(shown).toBeGreaterThan(1000);
  });

  it('an offer outside its validity window is not shown, and the trace says why', () => {
    const expired: DecisionConfig = {
      ...config,
      offers: config.offers.map((o) =>
        o.offerId === 'annual-fee-waiver' ? { ...o, validUntil: '2026-11-22' } : o,
      ),
    };
    const catalog = compileCatalog(expired);
    const ctx = contexts(300, NOW).find((c) =>
      compileCatalog(config)
        .rank('RETENTION', c)
        .some((r) => r.offer.offerId === 'annual-fee-waiver'),
    )!;
    expect(catalog.rank('RETENTION', { ...ctx, today: NOW }).map((r) => r.offer.offerId)).not.toContain(
      'annual-fee-waiver',
    );
    expect(
      catalog.rank('RETENTION', { ...ctx, today: '2026-11-22T23:00:00Z' }).map((r) => r.offer.offerId),
    ).toContain('annual-fee-waiver');
    const t = catalog
      .trace('RETENTION', { ...ctx, today: NOW })
      .find((x) => x.offerId === 'annual-fee-waiver');
    expect(t).toMatchObject({ shown: false, reason: expect.stringContaining('not on 2026-11-23') });
  });
});
