import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { compile } from '../../shared/domain/compiled';
import { computeFacts } from '../../shared/domain/facts';
import type { DecisionContext } from '../../shared/domain/offers';
import type { CallType, Condition, DecisionConfig, Offer } from '../../shared/schemas/config';
import { generatePortfolio } from '../fakes/portfolio';

/**
 * A catalog of `n` retention offers for benchmarks: the default offers repeated, each copy with
 * its thresholds moved a little (so rules differ) and its own id.
 */
export function catalogOf(n: number): DecisionConfig {
  const base = DEFAULT_CONFIG.offers.filter((o) => o.kind === 'RETENTION');
  const offers: Offer[] = Array.from({ length: n }, (_, i) => {
    const b = base[i % base.length]!;
    const scale = 1 + ((i % 5) - 2) * 0.1;
    const conditions = b.conditions.map(
      (c): Condition =>
        c.fact === 'cardFamily' || c.fact === 'productsHeld' || c.value === 0
          ? c
          : { ...c, value: c.value * scale },
    );
    return {
      ...b,
      offerId: `o${i}-${b.offerId}`.slice(0, 48),
      conditions,
      acceptProbability: 0.2 + (i % 7) * 0.05,
    };
  });
  // Its offers are all new: the default strategies, which name the default offers, are left out.
  const { strategies: _s, ...rest } = DEFAULT_CONFIG;
  return { ...rest, version: `bench-${n}`, offers };
}

const SALES_CALLS = (Object.keys(DEFAULT_CONFIG.callTypes) as CallType[]).filter(
  (t) => DEFAULT_CONFIG.callTypes[t].salesAllowed,
);

/** Decision contexts (facts, segments, call type) for `count` synthetic accounts. */
export function contexts(count: number, asOf = new Date().toISOString()): DecisionContext[] {
  const c = compile(DEFAULT_CONFIG);
  return generatePortfolio({ count, asOf: asOf.slice(0, 10), pepper: 'bench: factor hashes unused' }).map(
    (a, i) => {
      const facts = computeFacts(a, asOf, DEFAULT_CONFIG.value);
      return {
        facts,
        customerSegment: c.customerSegments.classify(facts).segment,
        cardSegment: c.cardSegments.classify(facts).segment,
        callType: SALES_CALLS[i % SALES_CALLS.length]!,
      };
    },
  );
}
