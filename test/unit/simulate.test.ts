import { describe, expect, it } from 'vitest';
import { type Result, simulate, simulationChart, WINDOW } from '../bench/simulate';

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
