import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { compile } from '../../shared/domain/compiled';
import { computeFacts } from '../../shared/domain/facts';
import { seededRandom } from '../../shared/domain/learning';
import {
  encode,
  explain,
  FEATURES,
  learnAnswer,
  learnAnswerInPlace,
  modelView,
  newPropensityState,
  type PropensityInput,
  type PropensityState,
  predict,
  propensityCopy,
  propensityFor,
  propensityReasons,
  propensityStateProblem,
} from '../../shared/domain/propensity';
import type { CallType, Offer } from '../../shared/schemas/config';
import { ContactSchema } from '../../shared/schemas/contact';
import { trueAcceptance } from '../bench/ground-truth';
import { generatePortfolio } from '../fakes/portfolio';

const config = DEFAULT_CONFIG;
const compiled = compile(config);
const asOf = '2026-11-23T12:00:00.000Z';
const offer = (id: string) => config.offers.find((o) => o.offerId === id)!;
const lineIncrease = offer('credit-line-increase');
const feeWaiver = offer('annual-fee-waiver');

const accounts = generatePortfolio({
  count: 1500,
  asOf: asOf.slice(0, 10),
  seed: 5,
  pepper: 'propensity test',
});
const facts = accounts.map((a) => computeFacts(a, asOf, config.value));
const CALLS: CallType[] = ['CLOSE_ACCOUNT', 'FEE_COMPLAINT', 'COMPETITOR_OFFER', 'RATE_COMPLAINT'];

/** Answers drawn from the simulator's hidden truth: the customers the model learns from. */
function learned(offers: Offer[], answers: number, seed = 'answers'): PropensityState {
  const state = newPropensityState();
  const rng = seededRandom(seed);
  for (let i = 0; i < answers; i++) {
    const f = facts[Math.floor(rng() * facts.length)]!;
    const callType = CALLS[Math.floor(rng() * CALLS.length)]!;
    for (const o of offers)
      learnAnswerInPlace(state, o, { facts: f, callType }, rng() < trueAcceptance(o, f, callType));
  }
  return state;
}

describe('propensity over the account’s facts', () => {
  it('two accounts of one segment get different odds for the reason their facts differ', () => {
    const state = learned([lineIncrease], 6000);
    const segmentOf = (f: (typeof facts)[number]) => compiled.customerSegments.classify(f).segment;
    // A transactor with room on the card, and the same account near its limit.
    const low = facts.find(
      (f) => segmentOf(f) === 'TRANSACTOR' && f.utilization < 0.1 && f.latePayments === 0,
    )!;
    expect(low).toBeDefined();
    const high = { ...low, utilization: 0.95 };
    expect(segmentOf(high)).toBe('TRANSACTOR');
    const a: PropensityInput = { facts: low, callType: 'CLOSE_ACCOUNT' };
    const b: PropensityInput = { facts: high, callType: 'CLOSE_ACCOUNT' };
    // The truth says the one near the limit is far likelier to take a line increase; so does the model.
    expect(trueAcceptance(lineIncrease, high, 'CLOSE_ACCOUNT')).toBeGreaterThan(
      trueAcceptance(lineIncrease, low, 'CLOSE_ACCOUNT') + 0.3,
    );
    // (Below the truth's 0.78: the small prior variance and the correlated revolving balance shrink it.)
    expect(predict(state, lineIncrease, b)).toBeGreaterThan(predict(state, lineIncrease, a) + 0.1);
    // The explanation names the fact that differs, in the direction it moved the odds.
    const top = explain(state, lineIncrease, b, 1)[0]!;
    expect(top.feature).toBe('utilization');
    expect(top.terms).toEqual(['utilization (line 0–1)', 'utilization ≥ 0.8']);
    expect(top.text).toMatch(/^utilization ≥ 0\.8 raised the odds \(\+\d/);
    // Every other fact moved both accounts' odds alike: only utilisation's effect differs.
    const effects = (i: PropensityInput) =>
      new Map(explain(state, lineIncrease, i, 99).map((c) => [c.feature, c.weight]));
    const [ea, eb] = [effects(a), effects(b)];
    const differ = [...new Set([...ea.keys(), ...eb.keys()])].filter(
      (f) => Math.abs((ea.get(f) ?? 0) - (eb.get(f) ?? 0)) > 1e-12,
    );
    expect(differ).toEqual(['utilization']);
    expect(eb.get('utilization')!).toBeGreaterThan((ea.get('utilization') ?? 0) + 0.5);
    // The segment learner could not tell them apart: same segment, same call type, same counts.
    const view = modelView(state, lineIncrease, b);
    expect(view).toMatchObject({ offerId: 'credit-line-increase', prior: 0.35, answers: 6000 });
    expect(view.contributions[0]).toBe(top.text);
  });

  it('a new model predicts exactly the catalog prior for every account, offer and call type', () => {
    const state = newPropensityState();
    for (const o of config.offers)
      for (const f of facts.slice(0, 200))
        for (const callType of CALLS) {
          const input = { facts: f, callType };
          expect(predict(state, o, input)).toBeCloseTo(o.acceptProbability, 12);
          const d = propensityFor({ config, policy: 'LEARNING', state, input, seed: `s-${f.annualSpend}` });
          if (d.mode === 'MEAN') expect(d.acceptance(o)).toBeCloseTo(o.acceptProbability, 12);
        }
    expect(explain(state, feeWaiver, { facts: facts[0]!, callType: 'CLOSE_ACCOUNT' })).toEqual([]);
  });

  it('every account activates one bin per group (the intercept, the bins, the call type, the channel) and each fact’s line', () => {
    const groups = new Set(FEATURES.map((f) => f.split(' ')[0]));
    for (const f of facts.slice(0, 300)) {
      const { index, value } = encode({ facts: f, callType: 'FEE_COMPLAINT', channel: 'chat' });
      const bins = index.filter((i) => !FEATURES[i]!.includes('(line '));
      expect(bins).toHaveLength(groups.size);
      expect(new Set(bins.map((i) => FEATURES[i]!.split(' ')[0])).size).toBe(groups.size);
      // A line is there when its figure is above its range's start, scaled into (0, 1].
      index.forEach((i, k) => {
        if (FEATURES[i]!.includes('(line ')) {
          expect(value[k]!).toBeGreaterThan(0);
          expect(value[k]!).toBeLessThanOrEqual(1);
        } else expect(value[k]).toBe(1);
      });
    }
    const line = (f: (typeof facts)[number]) => {
      const e = encode({ facts: f, callType: 'CLOSE_ACCOUNT' });
      const k = e.index.indexOf(FEATURES.indexOf('utilization (line 0–1)'));
      return k < 0 ? 0 : e.value[k]!;
    };
    expect(line({ ...facts[0]!, utilization: 0.25 })).toBeCloseTo(0.25, 12);
    expect(line({ ...facts[0]!, utilization: 1.7 })).toBe(1);
    expect(line({ ...facts[0]!, utilization: 0 })).toBe(0);
  });

  it('learning moves the odds toward the observed rate; a few answers leave them near the prior', () => {
    const input: PropensityInput = { facts: facts[3]!, callType: 'CLOSE_ACCOUNT', channel: 'voice' };
    // 4 accepts in 5, against a prior of 0.55.
    const answer = (i: number) => i % 5 !== 0;
    let state = newPropensityState();
    const after: number[] = [];
    for (let i = 0; i < 2000; i++) {
      state = learnAnswer(state, feeWaiver, input, answer(i));
      after.push(predict(state, feeWaiver, input));
    }
    // One answer moves it, but not to 0 or 1 as a bare count would: the prior is worth a few answers.
    const once = (accepted: boolean) =>
      predict(learnAnswer(newPropensityState(), feeWaiver, input, accepted), feeWaiver, input);
    expect(once(false)).toBeGreaterThan(0.35);
    expect(once(false)).toBeLessThan(0.55);
    expect(once(true)).toBeLessThan(0.75);
    expect(once(true)).toBeGreaterThan(0.55);
    // Another account shares only some of the bins: it moves less.
    const other: PropensityInput = {
      facts: facts.find((f) => f.utilization > 0.6 && f.annualFee > 0)!,
      callType: 'FEE_COMPLAINT',
    };
    const moved = (i: PropensityInput) =>
      Math.abs(predict(learnAnswer(newPropensityState(), feeWaiver, input, false), feeWaiver, i) - 0.55);
    expect(moved(other)).toBeLessThan(moved(input));
    expect(after[1999]).toBeCloseTo(0.8, 1);
    expect(Math.abs(after[1999]! - 0.8)).toBeLessThan(Math.abs(after[99]! - 0.8) + 0.01);
    // Declines only push it down, below the prior.
    let down = newPropensityState();
    for (let i = 0; i < 300; i++) down = learnAnswer(down, feeWaiver, input, false);
    expect(predict(down, feeWaiver, input)).toBeLessThan(0.1);
    expect(state.offers[feeWaiver.offerId]!.n).toBe(2000);
  });

  it('learnAnswer leaves the state it was given untouched, and in place gives the same model', () => {
    const input: PropensityInput = { facts: facts[9]!, callType: 'RATE_COMPLAINT' };
    const before = newPropensityState();
    const copy = JSON.parse(JSON.stringify(before));
    const after = learnAnswer(before, feeWaiver, input, true);
    expect(before).toEqual(copy);
    const inPlace = newPropensityState();
    learnAnswerInPlace(inPlace, feeWaiver, input, true);
    expect(inPlace).toEqual(after);
    // Not idempotent, by design: the same answer twice counts twice (exactly-once is the updater's).
    expect(learnAnswer(after, feeWaiver, input, true).offers[feeWaiver.offerId]!.n).toBe(2);
  });

  it('a learned state is valid and survives JSON; a broken one is refused and the priors decide, saying so', () => {
    const state = learned([feeWaiver, lineIncrease], 500);
    expect(propensityStateProblem(state)).toBeUndefined();
    expect(propensityStateProblem(JSON.parse(JSON.stringify(state)))).toBeUndefined();
    const broken = (edit: (s: PropensityState) => void) => {
      const s = JSON.parse(JSON.stringify(state)) as PropensityState;
      edit(s);
      return s;
    };
    const id = feeWaiver.offerId;
    const cases: Array<[unknown, RegExp]> = [
      [
        broken((s) => {
          s.offers[id]!.mean[4] = Number.NaN;
        }),
        /mean\[4\].*NaN/,
      ],
      [
        broken((s) => {
          s.offers[id]!.variance.pop();
        }),
        /variance does not have/,
      ],
      [
        broken((s) => {
          s.offers[id]!.variance[0] = -0.1;
        }),
        /variance\[0\]/,
      ],
      [
        broken((s) => {
          s.offers[id]!.mean[2] = Number.POSITIVE_INFINITY;
        }),
        /mean\[2\]/,
      ],
      [
        broken((s) => {
          s.offers[id]!.mean[1] = 400;
        }),
        /mean\[1\]/,
      ],
      [
        broken((s) => {
          s.offers[id]!.n = -1;
        }),
        /n is not a count/,
      ],
      [
        broken((s) => {
          s.features = [...s.features].reverse();
        }),
        /features/,
      ],
      [{ ...state, version: 2 }, /version/],
      [null, /not an object/],
    ];
    const input: PropensityInput = { facts: facts[1]!, callType: 'CLOSE_ACCOUNT' };
    for (const [s, problem] of cases) {
      expect(propensityStateProblem(s)).toMatch(problem);
      const d = propensityFor({ config, policy: 'LEARNING', state: s, input, seed: 'c-1' });
      expect(d.mode).toBe('PRIORS');
      expect(d.reason).toMatch(/^propensity model state refused \(.+\): the catalog priors decide$/);
      expect(d.reason).toMatch(problem);
      expect(d.acceptance(feeWaiver)).toBe(feeWaiver.acceptProbability);
    }
    // The valid state decides on what it learned (not the prior).
    const ok = propensityFor({ config, policy: 'LEARNING', state, input, seed: 'c-1' });
    expect(ok.mode).not.toBe('PRIORS');
    expect(ok.acceptance(feeWaiver)).not.toBeCloseTo(feeWaiver.acceptProbability, 3);
  });

  it('decisions are deterministic per seed; exploration is a bounded share; the control group keeps the priors', () => {
    const state = learned([feeWaiver, lineIncrease], 300);
    const input: PropensityInput = { facts: facts[7]!, callType: 'COMPETITOR_OFFER' };
    const decide = (seed: string) => propensityFor({ config, policy: 'LEARNING', state, input, seed });
    const seeds = Array.from({ length: 2000 }, (_, i) => `contact-${i}`);
    const picks = (seed: string) => {
      const d = decide(seed);
      return [d.mode, d.acceptance(feeWaiver), d.acceptance(lineIncrease)];
    };
    expect(seeds.map(picks)).toEqual(seeds.map(picks));
    const explored = seeds.filter((s) => decide(s).mode === 'EXPLORE');
    const share = config.learning?.explorationShare ?? 0.2;
    expect(explored.length / seeds.length).toBeGreaterThan(share - 0.04);
    expect(explored.length / seeds.length).toBeLessThan(share + 0.04);
    // Exploring samples the weights: draws differ between contacts, and centre on the mean.
    const mean = predict(state, feeWaiver, input);
    const draws = explored.map((s) => decide(s).acceptance(feeWaiver));
    expect(new Set(draws).size).toBeGreaterThan(draws.length * 0.9);
    expect(Math.abs(draws.reduce((a, b) => a + b, 0) / draws.length - mean)).toBeLessThan(0.05);
    expect(decide(seeds.find((s) => decide(s).mode === 'MEAN')!).acceptance(feeWaiver)).toBe(mean);
    const control = propensityFor({ config, policy: 'CONTROL', state, input, seed: 'x' });
    expect(control.mode).toBe('CONTROL');
    expect(control.acceptance(feeWaiver)).toBe(feeWaiver.acceptProbability);
  });
});

describe("the contact's copy of the odds", () => {
  const state = learned([lineIncrease, feeWaiver], 3000, 'copy');
  const input: PropensityInput = { facts: { ...facts[7]!, utilization: 0.95 }, callType: 'FEE_COMPLAINT' };
  const args = { config, policy: 'LEARNING' as const, state, input, seed: 'contact-1' };
  // Seeds that decide at the posterior mean, and one that explores.
  const seedFor = (mode: string) =>
    Array.from({ length: 200 }, (_, k) => `contact-${k}`).find(
      (seed) => propensityFor({ ...args, seed }).mode === mode,
    )!;

  it('keeps numbers, not sentences, and renders the very sentences the model explains with', () => {
    const seed = seedFor('MEAN');
    const copy = propensityCopy({ ...args, seed, offers: [lineIncrease, feeWaiver] });
    expect(copy.mode).toBe('MEAN');
    expect(
      Object.values(copy.offers!)
        .flat()
        .every((x) => typeof x === 'number'),
    ).toBe(true);
    for (const o of [lineIncrease, feeWaiver]) {
      const odds = predict(state, o, input);
      expect(copy.offers![o.offerId]![0]).toBeCloseTo(odds, 4);
      expect(propensityReasons(copy, o)).toEqual([
        `odds ${odds.toFixed(2)} (learned from 3000 answers; prior ${o.acceptProbability.toFixed(2)})`,
        ...explain(state, o, input, 2).map((c) => c.text),
      ]);
    }
    expect(propensityReasons(copy, lineIncrease)[1]).toMatch(/^utilization ≥ 0\.8 raised the odds/);
    // An offer that was not eligible at the start has no odds there, so no reasons of the model's.
    expect(propensityReasons(copy, offer('bonus-points-3k'))).toEqual([]);
  });

  it('says an explored draw, a model with no answers yet, the control group and a refused state', () => {
    const explored = propensityCopy({ ...args, seed: seedFor('EXPLORE'), offers: [lineIncrease] });
    expect(propensityReasons(explored, lineIncrease)[0]).toMatch(
      /^odds 0\.\d\d \(explored from 3000 answers;/,
    );
    const fresh = propensityCopy({ ...args, seed: seedFor('MEAN'), offers: [offer('bonus-points-3k')] });
    expect(propensityReasons(fresh, offer('bonus-points-3k'))).toEqual([
      `odds ${offer('bonus-points-3k').acceptProbability.toFixed(2)}: the catalog prior (no answers learned yet)`,
    ]);
    const control = propensityCopy({ ...args, policy: 'CONTROL', offers: [lineIncrease] });
    expect(control).toEqual({ mode: 'CONTROL' });
    expect(propensityReasons(control, lineIncrease)).toEqual([
      `odds ${lineIncrease.acceptProbability.toFixed(2)}: control group: the catalog priors`,
    ]);
    const refused = propensityCopy({ ...args, state: { version: 99 }, offers: [lineIncrease] });
    expect(propensityReasons(refused, lineIncrease)).toEqual([
      `odds ${lineIncrease.acceptProbability.toFixed(2)}: propensity model state refused (version 99 is not 1): the catalog priors decide`,
    ]);
  });

  it('reads a contact in flight from the release that kept sentences; refuses odds out of 0 … 1', () => {
    const legacy = { mode: 'MEAN' as const, reason: 'r', odds: { x: 0.3 }, why: { x: ['odds 0.30 (…)'] } };
    expect(propensityReasons(legacy, { offerId: 'x', acceptProbability: 0.5 })).toEqual(['odds 0.30 (…)']);
    const propensitySchema = ContactSchema.shape.propensity;
    expect(propensitySchema.safeParse(legacy).success).toBe(true);
    const bad = propensitySchema.safeParse({ mode: 'MEAN', offers: { x: [1.5, 3] } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['offers', 'x']);
  });
});
