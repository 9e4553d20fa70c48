import { describe, expect, it } from 'vitest';
import {
  acrossSeeds,
  parseSeeds,
  type Result,
  regretChart,
  seedSummary,
  simulate,
  simulationChart,
  WINDOW,
} from '../bench/simulate';

describe('simulator', () => {
  const opts = { contacts: 4000, accounts: 1000, seed: 3, offers: 1 };
  const first = simulate(opts);
  const by = (name: string) => first.results.find((r) => r.name.startsWith(name))!;

  it('is deterministic: the same options give the same table', () => {
    expect(simulate(opts)).toEqual(first);
  });

  it('lists the feature learner first, then the segment learner, the priors, the static table, random, the oracle', () => {
    expect(first.results.map((r) => r.name)).toEqual([
      'feature learner (online)',
      'segment learner (Thompson, online)',
      'priors only (control)',
      'best static table',
      'random eligible',
      'oracle (knows the truth)',
    ]);
  });

  it.each(['feature learner', 'segment learner'])(
    'the %s beats the priors it starts from and a random choice, and ends close to the oracle',
    (name) => {
      expect(by(name).net).toBeGreaterThan(by('priors').net * 1.1);
      expect(by(name).net).toBeGreaterThan(by('random').net * 1.1);
      expect(by(name).net).toBeGreaterThan(by('oracle').net * 0.9);
      expect(by(name).expected).toBeGreaterThan(by('oracle').expected * 0.9);
    },
  );

  it('scores every policy as it stands after the run on new contacts: none beats the oracle, the learners keep what they learned', () => {
    const after = new Map(first.afterLearning.map((a) => [a.name.split(' (')[0]!, a.expected]));
    expect([...after.keys()]).toEqual(first.results.map((r) => r.name.split(' (')[0]));
    for (const [name, v] of after) expect(v, name).toBeLessThanOrEqual(after.get('oracle')! + 1e-9);
    // Frozen after 4,000 contacts, both learners are far from the priors they started at.
    expect(after.get('feature learner')!).toBeGreaterThan(after.get('priors only')! * 1.2);
    expect(after.get('segment learner')!).toBeGreaterThan(after.get('priors only')! * 1.2);
    // New contacts: not the run's own (its last 5,000 are another figure).
    expect(after.get('oracle')!).not.toBeCloseTo(by('oracle').expected / opts.contacts, 6);
  });

  it('regret is cumulative expected value lost to the oracle: 0 for the oracle, growing for the priors, ending at the totals', () => {
    for (const r of first.results) {
      expect(r.regret).toHaveLength(opts.contacts / WINDOW);
      expect(r.regret.at(-1)!).toBeCloseTo(by('oracle').expected - r.expected, 0);
    }
    expect(by('oracle').regret.every((x) => x === 0)).toBe(true);
    const priors = by('priors').regret;
    expect(priors.every((x, i) => i === 0 || x > priors[i - 1]!)).toBe(true);
    // A learner loses less per contact late than early: its regret curve bends flat.
    const f = by('feature learner').regret;
    const k = f.length / 2;
    expect(f.at(-1)! - f[k - 1]!).toBeLessThan(f[k - 1]!);
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

  it('the regret chart has its axes titled, a log scale of money, and a line per policy but the oracle', () => {
    const svg = regretChart(first.results, { contacts: opts.contacts, window: WINDOW, subtitle: 'test run' });
    expect(svg).toContain('Cumulative expected regret (USD, log scale)');
    expect(svg).toContain(`Contacts simulated (a point every ${WINDOW} contacts)`);
    for (const r of first.results)
      expect(svg.includes(`>${r.name}<`), r.name).toBe(!r.name.startsWith('oracle'));
  });

  it('the chart (ECharts SVG, no browser) has titled axes with units, scales, and the legend beside the plot, not over it', () => {
    const svg = simulationChart(first.results, {
      contacts: opts.contacts,
      window: WINDOW,
      subtitle: 'test run',
    });
    const texts = [
      ...svg.matchAll(
        /<text[^>]*?transform="(?:translate\(([\d.]+) ([\d.]+)\)|[^"]*)"[^>]*>([^<]*)<\/text>/g,
      ),
    ].map(([, x, y, text]) => ({ x: Number(x ?? Number.NaN), y: Number(y ?? Number.NaN), text: text! }));
    const named = (t: string) => texts.find((e) => e.text === t);
    expect(named('Net retained value per contact (USD)')).toBeDefined();
    expect(named(`Contacts simulated (each point: the mean over ${WINDOW} contacts)`)).toBeDefined();
    // Scales: money ticks on y, contact counts on x, up to the run's contacts.
    expect(texts.filter((e) => /^\$\d/.test(e.text)).length).toBeGreaterThanOrEqual(4);
    const xTicks = texts.filter((e) => /^\d{1,3}(,\d{3})*$/.test(e.text));
    expect(xTicks.map((e) => e.text)).toContain(opts.contacts.toLocaleString('en-US'));
    const plotRight = Math.max(...xTicks.map((e) => e.x));
    for (const r of first.results) {
      const entry = named(r.name);
      expect(entry, r.name).toBeDefined();
      expect(entry!.x, r.name).toBeGreaterThan(plotRight);
    }
  });
});

describe('simulator over several seeds', () => {
  it('reads seeds and ranges, once each, and refuses what is not one', () => {
    expect(parseSeeds('1-3,7, 2')).toEqual([1, 2, 3, 7]);
    expect(parseSeeds('5')).toEqual([5]);
    for (const bad of ['x', '3-1', '1-', '', '1.5', '-2', '1-5000'])
      expect(() => parseSeeds(bad), bad).toThrow(/seed/);
  });

  it("compares the feature learner after each seed's run with what that same run gives alone", () => {
    const o = { contacts: 2 * WINDOW, accounts: 500, offers: 1 };
    const rows = acrossSeeds(o, [4, 9]);
    expect(rows.map((r) => r.seed)).toEqual([4, 9]);
    for (const r of rows) {
      const alone = new Map(
        simulate({ ...o, seed: r.seed }).afterLearning.map((a) => [a.name.split(' (')[0]!, a.expected]),
      );
      expect(r.after['feature learner']).toBe(alone.get('feature learner'));
      expect(r.vsStatic).toBeCloseTo(
        (alone.get('feature learner')! / alone.get('best static table')! - 1) * 100,
        9,
      );
      expect(r.vsOracle).toBeLessThanOrEqual(1e-9);
    }
    expect(rows[0]!.after.oracle).not.toBe(rows[1]!.after.oracle);
  });

  it('summarises each comparison by its mean, worst and best seed, and how many seeds it is ahead on', () => {
    const row = (seed: number, vsStatic: number) => ({
      seed,
      after: {},
      vsSegment: 1,
      vsStatic,
      vsOracle: -1,
    });
    const [segment, fixed, oracle] = seedSummary([row(1, 0.5), row(2, -0.25), row(3, 1)]);
    expect(segment).toBe(
      'feature learner vs segment learner: mean +1.00 %, worst +1.00 %, best +1.00 %, ahead on 3 of 3 seeds',
    );
    expect(fixed).toBe(
      'feature learner vs best static table: mean +0.42 %, worst −0.25 %, best +1.00 %, ahead on 2 of 3 seeds',
    );
    expect(oracle).toContain('ahead on 0 of 3 seeds');
  });
});
