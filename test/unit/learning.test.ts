import { describe, expect, it } from 'vitest';
import {
  acceptanceFor,
  DEFAULT_LEARNING,
  policyFor,
  posterior,
  sampleBeta,
  seededRandom,
  statsKey,
  unitHash,
} from '../../shared/domain/learning';
import { config } from '../fakes/accounts';

const offer = config.offers.find((o) => o.offerId === 'annual-fee-waiver')!;

describe('learning acceptance', () => {
  it('the prior is the catalog probability worth priorStrength observations; answers move it', () => {
    expect(posterior(0.55, 20, undefined)).toEqual({ alpha: 11, beta: 9, mean: 0.55 });
    expect(posterior(0.55, 20, { accepts: 0, declines: 80 }).mean).toBeCloseTo(11 / 100, 10);
    expect(posterior(0.55, 20, { accepts: 80, declines: 0 }).mean).toBeCloseTo(91 / 100, 10);
  });

  it('Beta samples average to the posterior mean and stay in (0, 1)', () => {
    const rng = seededRandom('beta-test');
    for (const [a, b] of [
      [11, 9],
      [0.5, 0.5],
      [200, 800],
    ] as const) {
      let sum = 0;
      for (let i = 0; i < 20_000; i++) {
        const x = sampleBeta(a, b, rng);
        expect(x).toBeGreaterThan(0);
        expect(x).toBeLessThan(1);
        sum += x;
      }
      expect(sum / 20_000).toBeCloseTo(a / (a + b), 2);
    }
  });

  it('the same seed gives the same draws; hashes spread evenly', () => {
    const a = seededRandom('x');
    const b = seededRandom('x');
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    const hs = Array.from({ length: 10_000 }, (_, i) => unitHash(`k${i}`));
    expect(hs.filter((h) => h < 0.1).length / hs.length).toBeCloseTo(0.1, 1);
  });

  it('the control group is sticky per account and about controlShare of accounts', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `ACC-${i}`);
    const control = ids.filter((id) => policyFor(id, config) === 'CONTROL');
    expect(control.length / ids.length).toBeCloseTo(DEFAULT_LEARNING.controlShare, 1);
    expect(ids.map((id) => policyFor(id, config))).toEqual(ids.map((id) => policyFor(id, config)));
  });

  it('control decides on priors; learning on the posterior mean, except an explorationShare of decisions that sample', () => {
    const stats = new Map([
      [statsKey(offer.offerId, 'TRANSACTOR', 'CLOSE_ACCOUNT'), { accepts: 5, declines: 95 }],
    ]);
    const base = { config, segment: 'TRANSACTOR', callType: 'CLOSE_ACCOUNT' as const, stats };
    expect(acceptanceFor({ ...base, policy: 'CONTROL', seed: 's' })(offer)).toBe(0.55);
    const mean = posterior(0.55, 20, stats.values().next().value).mean;
    const values = Array.from({ length: 2000 }, (_, i) =>
      acceptanceFor({ ...base, policy: 'LEARNING', seed: `c${i}` })(offer),
    );
    const exploring = values.filter((v) => v !== mean).length / values.length;
    expect(exploring).toBeCloseTo(DEFAULT_LEARNING.explorationShare, 1);
    // Another segment has no answers yet: its mean is the prior.
    expect(acceptanceFor({ ...base, segment: 'NEW', policy: 'LEARNING', seed: 'c1' })(offer)).toBeCloseTo(
      0.55,
      10,
    );
  });
});
