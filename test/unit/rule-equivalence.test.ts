import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../shared/domain/offers';
import { catalogOf, contexts } from '../bench/catalog';
import { handWritten, jsonRulesEngine } from '../bench/rule-engines';

/**
 * Our compiled eligibility, json-rules-engine and plain predicates must agree on every contact:
 * the benchmark compares their speed only because they compute the same thing.
 */
describe('eligibility: compiled closures = json-rules-engine = hand-written predicates', () => {
  const config = catalogOf(200);
  const ours = compileCatalog(config);
  const jre = jsonRulesEngine(config, 'RETENTION');
  const plain = handWritten(config, 'RETENTION');
  const sample = contexts(400, '2026-11-23T12:00:00.000Z');

  it('agree on 400 synthetic contacts over a 200-offer catalog, and the sample is not trivial', async () => {
    let eligible = 0;
    for (const ctx of sample) {
      const a = ours.eligible('RETENTION', ctx).map((o) => o.offerId);
      expect(await jre(ctx)).toEqual(a);
      expect(plain(ctx)).toEqual(a);
      eligible += a.length;
    }
    expect(eligible).toBeGreaterThan(sample.length);
    expect(eligible).toBeLessThan(sample.length * 200);
  });
});
