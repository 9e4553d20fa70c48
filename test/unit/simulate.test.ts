import { describe, expect, it } from 'vitest';
import { type Result, simulate } from '../bench/simulate';

describe('simulator', () => {
  const opts = { contacts: 4000, accounts: 1000, seed: 3, offers: 1 };
  const first = simulate(opts);
  const by = (name: string) => first.results.find((r) => r.name.startsWith(name))!;

  it('is deterministic: the same options give the same table', () => {
    expect(simulate(opts)).toEqual(first);
  });

  it('learning from answers beats the priors it starts from and a random choice, and ends close to the oracle', () => {
    expect(by('learning').net).toBeGreaterThan(by('priors').net * 1.1);
    expect(by('learning').net).toBeGreaterThan(by('random').net * 1.1);
    expect(by('learning').net).toBeGreaterThan(by('oracle').net * 0.9);
  });

  it('every policy spends only on accepted offers that kept more than they cost', () => {
    for (const r of first.results) {
      expect(r.accepted.length, r.name).toBeGreaterThan(0);
      for (const a of r.accepted) expect(a.kept, r.name).toBeGreaterThan(a.cost);
      // Spend is the accepted offers' costs and nothing else; net is what they kept beyond it.
      const sum = (f: (a: Result['accepted'][number]) => number) => r.accepted.reduce((s, a) => s + f(a), 0);
      expect(r.spend).toBeCloseTo(
        sum((a) => a.cost),
        6,
      );
      expect(r.net).toBeCloseTo(
        sum((a) => a.kept - a.cost),
        6,
      );
      expect(r.net).toBeGreaterThan(0);
      expect(r.saves).toBeLessThanOrEqual(r.closers);
      expect(r.curve).toHaveLength(opts.contacts / 500);
    }
  });
});
