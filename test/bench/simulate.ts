/**
 * `npm run simulate`: replays a deterministic stream of retention contacts over the synthetic
 * portfolio and compares offer policies against a hidden ground truth (./ground-truth.ts):
 *   feature   the feature learner (shared/domain/propensity.ts): per offer, acceptance learned online
 *             from each account's binned facts, the call type and the channel (Thompson share as
 *             configured);
 *   segment   the engine's learner today (shared/domain/learning.ts): acceptance counted online per
 *             offer × customer segment × call type (Thompson share as configured);
 *   priors    the engine on the catalog's priors only (the control group's policy);
 *   static    the best static rule table: per customer segment × card segment × call type, the one
 *             offer order with the highest true net value on average (built with the truth: an upper
 *             bound for any fixed table);
 *   random    a random order of the eligible offers;
 *   oracle    the eligible offers ranked by the true acceptance (the best any policy could do).
 * Each contact hears the policy's first offer (--offers N: up to N, in order, until one is accepted);
 * the customer answers each with the true probability. Every policy sees the same
 * contacts and the same customer draws. Prints a table and writes two SVG charts (drawn by ECharts'
 * server-side SVG renderer): net value per contact, and the cumulative regret against the oracle in
 * expected value (what each policy's offers were worth under the truth, not the draws' luck).
 * Flags: --contacts 20000 --accounts 5000 --seed 7 --offers 1 --out test/bench/results/simulation.svg
 *        --regret-out test/bench/results/regret.svg; --seeds 1-18 prints the learner's standing over
 *        several seeds instead; --help.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as echarts from 'echarts';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { compile } from '../../shared/domain/compiled';
import { computeFacts } from '../../shared/domain/facts';
import { acceptanceFor, type OfferStats, seededRandom, statsKey } from '../../shared/domain/learning';
import type { DecisionContext, RankedOffer } from '../../shared/domain/offers';
import {
  DEFAULT_PROPENSITY,
  learnAnswerInPlace,
  newPropensityState,
  type PropensitySettings,
  propensityFor,
} from '../../shared/domain/propensity';
import type { CallType } from '../../shared/schemas/config';
import { generatePortfolio } from '../fakes/portfolio';
import { trueAcceptance } from './ground-truth';

const config = DEFAULT_CONFIG;
const compiled = compile(config);
const asOf = '2026-11-23T12:00:00.000Z';

const CALL_MIX: Array<[CallType, number]> = [
  ['CLOSE_ACCOUNT', 0.45],
  ['FEE_COMPLAINT', 0.15],
  ['COMPETITOR_OFFER', 0.15],
  ['RATE_COMPLAINT', 0.1],
  ['REWARDS_DISSATISFACTION', 0.1],
  ['BILLING_DISPUTE', 0.05],
];

interface SimContact {
  ctx: DecisionContext;
  id: string;
  /** The customer's uniform draws, one per offer position: the same for every policy. */
  draws: number[];
}

export interface SimOptions {
  contacts: number;
  accounts: number;
  seed: number;
  /** Offers a caller hears before deciding: 1 makes the choice of the first offer everything. */
  offers: number;
  /** The feature learner's settings (absent: DEFAULT_PROPENSITY), to tune them on one seed. */
  propensity?: PropensitySettings;
}

/** The contacts of a run (`stream` "train"), or another stream over the same portfolio ("holdout"). */
function buildContacts(o: SimOptions, stream: 'train' | 'holdout' = 'train'): SimContact[] {
  const accounts = generatePortfolio({
    count: o.accounts,
    asOf: asOf.slice(0, 10),
    seed: o.seed,
    pepper: 'simulation: factor hashes unused',
  });
  const people = accounts.flatMap((a) => {
    const facts = computeFacts(a, asOf, config.value);
    const customerSegment = compiled.customerSegments.classify(facts).segment;
    const f = a.flags;
    // Those routed away (fraud, collections, ...) never reach an offer under any policy: left out.
    if (
      f.fraudHold ||
      f.collections ||
      f.bankruptcy ||
      f.deceased ||
      f.closed ||
      customerSegment === 'DELINQUENT'
    )
      return [];
    return [{ facts, customerSegment, cardSegment: compiled.cardSegments.classify(facts).segment }];
  });
  const rng = seededRandom(stream === 'train' ? `contacts:${o.seed}` : `holdout:${o.seed}`);
  return Array.from({ length: o.contacts }, (_, i) => {
    const p = people[Math.floor(rng() * people.length)]!;
    let u = rng();
    let callType: CallType = 'CLOSE_ACCOUNT';
    for (const [t, w] of CALL_MIX) {
      if (u < w) {
        callType = t;
        break;
      }
      u -= w;
    }
    return {
      ctx: { ...p, callType },
      id: `${stream === 'train' ? 'sim' : 'hold'}-${i}`,
      draws: Array.from({ length: o.offers }, () => rng()),
    };
  });
}

type Policy = (c: SimContact) => RankedOffer[];
/** Contacts per point of the curve: each point is the mean net value per contact over one window. */
export const WINDOW = 500;
export interface Result {
  name: string;
  net: number;
  spend: number;
  saves: number;
  closers: number;
  offered: number;
  curve: number[];
  /** Each accepted offer's incentive cost and the customer value it kept: what `spend` and `net` sum. */
  accepted: Array<{ cost: number; kept: number }>;
  /** Net value in expectation under the truth: the offers heard, each weighed by its true odds. */
  expected: number;
  /** Cumulative expected regret against the oracle after each window of contacts. */
  regret: number[];
  /** The expected net value each window of contacts summed. */
  perWindow: number[];
  /** Per contact, the expected net value (for the regret; dropped from the returned results). */
  perContact?: number[];
}

function run(
  name: string,
  contacts: SimContact[],
  maxOffers: number,
  policy: Policy,
  learn?: (c: SimContact, offerId: string, accepted: boolean) => void,
  policies?: Map<string, Policy>,
): Result {
  policies?.set(name, policy);
  const r: Result = {
    name,
    net: 0,
    spend: 0,
    saves: 0,
    closers: 0,
    offered: 0,
    curve: [],
    accepted: [],
    expected: 0,
    regret: [],
    perWindow: [],
    perContact: [],
  };
  let windowNet = 0;
  contacts.forEach((c, i) => {
    if (c.ctx.callType === 'CLOSE_ACCOUNT') r.closers++;
    const order = policy(c).slice(0, maxOffers);
    if (order.length) r.offered++;
    // In expectation: offer k is heard when every earlier one was declined.
    let reach = 1;
    let expected = 0;
    for (const o of order) {
      const p = trueAcceptance(o.offer, c.ctx.facts, c.ctx.callType);
      expected += reach * p * (o.economics.customerValue - o.economics.cost);
      reach *= 1 - p;
    }
    r.expected += expected;
    r.perContact!.push(expected);
    for (const [k, o] of order.entries()) {
      const accepted = c.draws[k]! < trueAcceptance(o.offer, c.ctx.facts, c.ctx.callType);
      learn?.(c, o.offer.offerId, accepted);
      if (accepted) {
        const net = o.economics.customerValue - o.economics.cost;
        r.net += net;
        windowNet += net;
        r.spend += o.economics.cost;
        r.accepted.push({ cost: o.economics.cost, kept: o.economics.customerValue });
        if (c.ctx.callType === 'CLOSE_ACCOUNT') r.saves++;
        break;
      }
    }
    if ((i + 1) % WINDOW === 0) {
      r.curve.push(windowNet / WINDOW);
      windowNet = 0;
    }
  });
  return r;
}

/** Runs every policy over the same contacts and customer draws. Deterministic for given options. */
export function simulate(o: SimOptions): {
  contacts: number;
  results: Result[];
  /**
   * Each policy as it stands after the run (the learners frozen, exploring as configured), on as
   * many new contacts of the same portfolio: the expected net value per contact.
   */
  afterLearning: Array<{ name: string; expected: number }>;
} {
  const contacts = buildContacts(o);
  const policies = new Map<string, Policy>();
  const engine =
    (acceptance?: (c: SimContact) => Parameters<typeof compiled.catalog.rank>[3]): Policy =>
    (c) =>
      compiled.catalog.rank('RETENTION', c.ctx, undefined, acceptance?.(c));

  // The feature learner online: each answer updates the offer's model the next decisions read.
  const offersById = new Map(config.offers.map((x) => [x.offerId, x]));
  const settings = o.propensity ?? DEFAULT_PROPENSITY;
  const model = newPropensityState();
  const feature = run(
    'feature learner (online)',
    contacts,
    o.offers,
    engine(
      (c) =>
        propensityFor({
          config,
          policy: 'LEARNING',
          state: model,
          input: { facts: c.ctx.facts, callType: c.ctx.callType },
          seed: c.id,
          settings,
        }).acceptance,
    ),
    (c, offerId, accepted) =>
      learnAnswerInPlace(
        model,
        offersById.get(offerId)!,
        { facts: c.ctx.facts, callType: c.ctx.callType },
        accepted,
        settings,
      ),
    policies,
  );

  // Learning online: the answers of earlier contacts update the counts the next decisions read.
  const stats = new Map<string, OfferStats>();
  const learning = run(
    'segment learner (Thompson, online)',
    contacts,
    o.offers,
    engine((c) =>
      acceptanceFor({
        config,
        policy: 'LEARNING',
        segment: c.ctx.customerSegment,
        callType: c.ctx.callType,
        stats,
        seed: c.id,
      }),
    ),
    (c, offerId, accepted) => {
      const key = statsKey(offerId, c.ctx.customerSegment, c.ctx.callType);
      const s = stats.get(key) ?? { accepts: 0, declines: 0 };
      stats.set(key, accepted ? { ...s, accepts: s.accepts + 1 } : { ...s, declines: s.declines + 1 });
    },
    policies,
  );
  const priors = run('priors only (control)', contacts, o.offers, engine(), undefined, policies);

  // The best static table: per cell, eligible offers ordered by their mean true net value over the cell.
  const cells = new Map<string, Map<string, { sum: number; n: number }>>();
  const cellOf = (c: SimContact) => `${c.ctx.customerSegment}|${c.ctx.cardSegment}|${c.ctx.callType}`;
  for (const c of contacts) {
    const cell = cells.get(cellOf(c)) ?? new Map();
    for (const o of compiled.catalog.rank('RETENTION', c.ctx)) {
      const p = trueAcceptance(o.offer, c.ctx.facts, c.ctx.callType);
      const e = cell.get(o.offer.offerId) ?? { sum: 0, n: 0 };
      cell.set(o.offer.offerId, {
        sum: e.sum + p * (o.economics.customerValue - o.economics.cost),
        n: e.n + 1,
      });
    }
    cells.set(cellOf(c), cell);
  }
  const staticOrder = new Map(
    [...cells].map(([k, m]) => [
      k,
      [...m].sort((a, b) => b[1].sum / b[1].n - a[1].sum / a[1].n).map(([id]) => id),
    ]),
  );
  const fixed = run(
    'best static table',
    contacts,
    o.offers,
    (c) => {
      const eligible = new Map(compiled.catalog.rank('RETENTION', c.ctx).map((o) => [o.offer.offerId, o]));
      return (staticOrder.get(cellOf(c)) ?? []).flatMap((id) =>
        eligible.has(id) ? [eligible.get(id)!] : [],
      );
    },
    undefined,
    policies,
  );
  const shuffle = seededRandom(`random:${o.seed}`);
  const random = run(
    'random eligible',
    contacts,
    o.offers,
    (c) =>
      compiled.catalog
        .rank('RETENTION', c.ctx)
        .map((o) => [shuffle(), o] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, o]) => o),
    undefined,
    policies,
  );
  const oracle = run(
    'oracle (knows the truth)',
    contacts,
    o.offers,
    (c) =>
      compiled.catalog.rank('RETENTION', c.ctx, undefined, (o) =>
        trueAcceptance(o, c.ctx.facts, c.ctx.callType),
      ),
    undefined,
    policies,
  );

  const results = [feature, learning, priors, fixed, random, oracle];
  const best = oracle.perContact!;
  for (const r of results) {
    let cumulative = 0;
    let window = 0;
    r.perContact!.forEach((v, i) => {
      cumulative += best[i]! - v;
      window += v;
      if ((i + 1) % WINDOW === 0) {
        r.regret.push(Math.round(cumulative * 100) / 100);
        r.perWindow.push(window);
        window = 0;
      }
    });
    delete r.perContact;
  }
  // The learners as they stand now, frozen (no answer learned), on new contacts; the others as they are.
  const holdout = buildContacts(o, 'holdout');
  const afterLearning = [...policies].map(([name, policy]) => ({
    name,
    expected: run(name, holdout, o.offers, policy).expected / holdout.length,
  }));
  return { contacts: contacts.length, results, afterLearning };
}

/** The ECharts colours of the policies, in the order simulate() returns them; the oracle dashed. */
const POLICY_COLORS = ['#7b3fc4', '#1f6feb', '#e8710a', '#2e9d4f', '#9aa5b1', '#c5362c'];

interface ChartMeta {
  contacts: number;
  window: number;
  subtitle: string;
  currency?: string;
  width?: number;
  height?: number;
}

/**
 * A line chart by ECharts' server-side SVG renderer (no browser, no DOM): one line per policy over
 * the contacts simulated, with titled axes, scales and units, and the legend beside the plot, never
 * over the lines.
 */
function lineChart(
  lines: ReadonlyArray<{ name: string; color: string; points: number[] }>,
  meta: ChartMeta,
  axes: { title: string; xName: string; yName: string; log?: boolean },
): string {
  const width = meta.width ?? 900;
  const height = meta.height ?? 440;
  const currency = meta.currency ?? 'USD';
  const money = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    maximumFractionDigits: 0,
    ...(axes.log ? { notation: 'compact' } : {}),
  });
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'sans-serif' },
    title: {
      text: axes.title,
      subtext: meta.subtitle,
      left: 12,
      top: 8,
      textStyle: { fontSize: 16 },
      subtextStyle: { fontSize: 12, color: '#5b6876' },
    },
    legend: {
      orient: 'vertical',
      right: 12,
      top: 'middle',
      itemGap: 12,
      textStyle: { fontSize: 12 },
      data: lines.map((l) => l.name),
    },
    grid: { left: 16, right: 250, top: 70, bottom: 12, outerBoundsMode: 'same', outerBoundsContain: 'all' },
    xAxis: {
      type: 'value',
      min: 0,
      max: meta.contacts,
      name: axes.xName,
      nameLocation: 'middle',
      nameGap: 28,
      axisLabel: { formatter: (v: number) => v.toLocaleString('en-US') },
    },
    yAxis: {
      type: axes.log ? 'log' : 'value',
      scale: true,
      name: axes.yName,
      nameLocation: 'middle',
      nameGap: 52,
      axisLabel: { formatter: (v: number) => money.format(v) },
    },
    series: lines.map((l) => ({
      name: l.name,
      type: 'line',
      showSymbol: false,
      color: l.color,
      lineStyle: { width: 2, ...(l.name.startsWith('oracle') ? { type: 'dashed' } : {}) },
      data: l.points.flatMap((v, i) =>
        // A log axis has no place for 0 or less (a policy level with the oracle so far).
        axes.log && v <= 0 ? [] : [[(i + 1) * meta.window, Math.round(v * 100) / 100]],
      ),
    })),
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

const colored = (results: readonly Result[], points: (r: Result) => number[]) =>
  results.map((r, k) => ({
    name: r.name,
    color: POLICY_COLORS[k % POLICY_COLORS.length]!,
    points: points(r),
  }));

/** Net retained value per contact over each window of contacts, one line per policy. */
export function simulationChart(results: readonly Result[], meta: ChartMeta): string {
  return lineChart(
    colored(results, (r) => r.curve),
    meta,
    {
      title: 'Net retained value per contact, by offer policy',
      xName: `Contacts simulated (each point: the mean over ${meta.window} contacts)`,
      yName: `Net retained value per contact (${meta.currency ?? 'USD'})`,
    },
  );
}

/**
 * Cumulative regret against the oracle, in expected value, one line per policy (the oracle's own is
 * 0 throughout, so it is left out): a log scale, so the learners' curves are not flattened by those
 * of the priors and of a random pick. A learner's curve bends flat as it stops losing to the oracle.
 */
export function regretChart(results: readonly Result[], meta: ChartMeta): string {
  return lineChart(
    colored(results, (r) => r.regret).filter((l) => !l.name.startsWith('oracle')),
    meta,
    {
      title: 'Cumulative regret against the oracle, by offer policy',
      xName: `Contacts simulated (a point every ${meta.window} contacts)`,
      yName: `Cumulative expected regret (${meta.currency ?? 'USD'}, log scale)`,
      log: true,
    },
  );
}

/** One seed's standing after the run (on new contacts) and over its last contacts, the learner against each. */
export interface SeedRow {
  seed: number;
  /** Expected net value per contact on new contacts after the run, per policy (by short name). */
  after: Record<string, number>;
  /** The feature learner against the segment learner, the best static table and the oracle, in %. */
  vsSegment: number;
  vsStatic: number;
  vsOracle: number;
}

const shortName = (name: string) => name.split(' (')[0]!;

/**
 * The same run over several seeds (each its own portfolio, contacts and customer draws): how far the
 * feature learner's standing after the run depends on the luck of what it happened to learn.
 */
export function acrossSeeds(o: Omit<SimOptions, 'seed'>, seeds: readonly number[]): SeedRow[] {
  return seeds.map((seed) => {
    const after = Object.fromEntries(
      simulate({ ...o, seed }).afterLearning.map((a) => [shortName(a.name), a.expected]),
    );
    const vs = (base: string) => (after['feature learner']! / after[base]! - 1) * 100;
    return {
      seed,
      after,
      vsSegment: vs('segment learner'),
      vsStatic: vs('best static table'),
      vsOracle: vs('oracle'),
    };
  });
}

const USAGE = `npm run simulate -- [options]
  --contacts N      contacts per run (default 20000)
  --accounts N      synthetic accounts (default 5000)
  --seed N          the portfolio's, the contacts' and the answers' seed (default 7)
  --seeds A,B,C-D   run every seed listed (ranges allowed) and print how the feature learner stands
                    after each run, against the segment learner, the best static table and the oracle
  --summary-seeds S after the run, the feature learner's standing over these seeds, as --seeds
                    summarises it (default 1-20; "none" skips it): one seed's figures are mostly luck
  --offers N        offers a caller hears before deciding (default 1)
  --out FILE        the net value chart (default test/bench/results/simulation.svg)
  --regret-out FILE the regret chart (default test/bench/results/regret.svg)`;

function fail(message: string): never {
  console.error(`simulate: ${message}\n\n${USAGE}`);
  process.exit(2);
}

function wholeNumber(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min)
    fail(`--${name} must be a whole number of at least ${min}, not "${text}"`);
  return n;
}

/** "1-3,7" → [1, 2, 3, 7]. */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`"${part}" is not a seed or a range of seeds (e.g. 1-10)`);
    const [a, b] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (b < a || b - a > 1000) throw new Error(`"${part}" is not an ascending range of at most 1,000 seeds`);
    for (let k = a; k <= b; k++) out.push(k);
  }
  return [...new Set(out)];
}

function printSeeds(o: Omit<SimOptions, 'seed'>, seeds: number[]) {
  const rows = acrossSeeds(o, seeds);
  console.log(
    `# Retention Desk simulation over ${seeds.length} seeds — ${o.contacts.toLocaleString('en-US')} contacts each, ${o.accounts} accounts, ${o.offers} offer(s) per contact, config ${config.version}`,
  );
  console.log(
    'Each policy as it stands after the run (the learners frozen, exploring as configured), on as many new contacts: expected net value per contact.',
  );
  console.log(
    '| seed | feature learner | segment learner | best static table | oracle | feature vs segment | feature vs static | feature vs oracle |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.seed} | ${r.after['feature learner']!.toFixed(2)} | ${r.after['segment learner']!.toFixed(2)} | ${r.after['best static table']!.toFixed(2)} | ${r.after.oracle!.toFixed(2)} | ${pct(r.vsSegment)} | ${pct(r.vsStatic)} | ${pct(r.vsOracle)} |`,
    );
  for (const line of seedSummary(rows)) console.log(line);
}

const pct = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)} %`;

/** Per comparison: the mean over the seeds, the worst and best seed, and on how many it is ahead. */
export function seedSummary(rows: readonly SeedRow[]): string[] {
  return (
    [
      ['segment learner', 'vsSegment'],
      ['best static table', 'vsStatic'],
      ['oracle', 'vsOracle'],
    ] as const
  ).map(([label, key]) => {
    const v = rows.map((r) => r[key]);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    return `feature learner vs ${label}: mean ${pct(mean)}, worst ${pct(Math.min(...v))}, best ${pct(Math.max(...v))}, ahead on ${v.filter((x) => x > 0).length} of ${v.length} seeds`;
  });
}

function main() {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        contacts: { type: 'string', default: '20000' },
        accounts: { type: 'string', default: '5000' },
        seed: { type: 'string', default: '7' },
        seeds: { type: 'string' },
        'summary-seeds': { type: 'string', default: '1-20' },
        offers: { type: 'string', default: '1' },
        out: { type: 'string', default: 'test/bench/results/simulation.svg' },
        'regret-out': { type: 'string', default: 'test/bench/results/regret.svg' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const opts = {
    contacts: wholeNumber('contacts', String(values.contacts), WINDOW),
    accounts: wholeNumber('accounts', String(values.accounts), 100),
    seed: wholeNumber('seed', String(values.seed), 0),
    offers: wholeNumber('offers', String(values.offers), 1),
  };
  const seedsOf = (flag: string, text: string) => {
    try {
      return parseSeeds(text);
    } catch (e) {
      fail(`--${flag}: ${(e as Error).message}`);
    }
  };
  if (values.seeds !== undefined) {
    printSeeds(opts, seedsOf('seeds', String(values.seeds)));
    return;
  }
  const summarySeeds =
    values['summary-seeds'] === 'none' ? [] : seedsOf('summary-seeds', String(values['summary-seeds']));
  const { contacts: n, results, afterLearning } = simulate(opts);
  const [feature, segment, , fixed, , oracle] = results as [Result, Result, Result, Result, Result, Result];
  const fmt = (x: number) => x.toFixed(2);
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
  console.log(
    `# Retention Desk simulation — ${n.toLocaleString('en-US')} contacts, ${opts.accounts} accounts, seed ${opts.seed}, ${opts.offers} offer(s) per contact, config ${config.version}`,
  );
  console.log(
    '| policy | save rate (closers) | incentive spend / contact | net retained value / contact | expected net value / contact | regret vs oracle / contact |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results)
    console.log(
      `| ${r.name} | ${((100 * r.saves) / r.closers).toFixed(1)} % | ${fmt(r.spend / n)} | ${fmt(r.net / n)} | ${fmt(r.expected / n)} | ${fmt((oracle.net - r.net) / n)} |`,
    );
  const late = (r: Result) => r.curve.slice(-10).reduce((a, b) => a + b, 0) / 10;
  // Where each policy stands once learned: the expected value per contact over the last 5,000
  // contacts (the oracle's, less the regret those contacts added), free of the draws' luck.
  const tail = Math.min(10, oracle.regret.length);
  const tailContacts = tail * WINDOW;
  const oracleTail = oracle.perWindow.slice(-tail).reduce((a, b) => a + b, 0) / tailContacts;
  const learned = (r: Result) =>
    oracleTail - (r.regret.at(-1)! - (r.regret.at(-1 - tail) ?? 0)) / tailContacts;
  console.log('');
  console.log(
    `after ${(n - tailContacts).toLocaleString('en-US')} contacts learned, expected net value per contact over the last ${tailContacts.toLocaleString('en-US')}: ${results.map((r) => `${r.name.split(' (')[0]} ${fmt(learned(r))}`).join('; ')}`,
  );
  const after = new Map(afterLearning.map((a) => [a.name, a.expected]));
  console.log(
    `after ${n.toLocaleString('en-US')} contacts, each policy as it stands (the learners frozen, exploring as configured) on ${n.toLocaleString('en-US')} new contacts, expected net value per contact: ${afterLearning.map((a) => `${a.name.split(' (')[0]} ${fmt(a.expected)}`).join('; ')}`,
  );
  for (const [label, base] of [
    ['segment learner', segment],
    ['best static table', fixed],
    ['oracle', oracle],
  ] as const)
    console.log(
      `after ${n.toLocaleString('en-US')} contacts, on new ones: feature learner vs ${label} ${pct((after.get(feature.name)! / after.get(base.name)! - 1) * 100)}`,
    );
  for (const [label, base] of [
    ['segment learner', segment],
    ['best static table', fixed],
    ['oracle', oracle],
  ] as const)
    console.log(
      `feature learner vs ${label}: last ${tailContacts.toLocaleString('en-US')} contacts ${pct((learned(feature) / learned(base) - 1) * 100)} in expected value; all ${n.toLocaleString('en-US')} (learning from the catalog priors included) ${pct((feature.expected / base.expected - 1) * 100)} in expected value, ${pct((feature.net / base.net - 1) * 100)} drawn`,
    );
  console.log(
    `segment learner vs best static table: last ${tailContacts.toLocaleString('en-US')} ${pct((learned(segment) / learned(fixed) - 1) * 100)}, all ${pct((segment.expected / fixed.expected - 1) * 100)}; vs oracle: last ${tailContacts.toLocaleString('en-US')} ${pct((learned(segment) / oracleTail - 1) * 100)}, all ${pct((segment.expected / oracle.expected - 1) * 100)}`,
  );
  console.log(
    `last ${tailContacts.toLocaleString('en-US')} contacts, drawn net value per contact: ${results.map((r) => `${r.name.split(' (')[0]} ${fmt(late(r))}`).join('; ')}`,
  );

  const meta = {
    contacts: n,
    window: WINDOW,
    subtitle: `${n.toLocaleString('en-US')} simulated contacts over ${opts.accounts.toLocaleString('en-US')} accounts, seed ${opts.seed}, ${opts.offers} offer(s) per contact, config ${config.version}`,
  };
  for (const [file, svg] of [
    [String(values.out), simulationChart(results, meta)],
    [String(values['regret-out']), regretChart(results, meta)],
  ] as const) {
    const out = resolve(file);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, svg);
    console.log(`chart: ${file}`);
  }
  if (summarySeeds.length) {
    const { seed: _, ...rest } = opts;
    console.log(
      `\nthe same run over seeds ${String(values['summary-seeds'])} (each its own portfolio, contacts and answers), after ${n.toLocaleString('en-US')} contacts, on as many new ones (npm run simulate -- --seeds ${String(values['summary-seeds'])} for each seed's figures):`,
    );
    for (const line of seedSummary(acrossSeeds(rest, summarySeeds))) console.log(line);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
