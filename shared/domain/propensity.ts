import type { CallType, DecisionConfig, Offer } from '../schemas/config';
import type { Channel, Facts } from '../schemas/contact';
import { type LearningPolicy, learningSettings, normal, seededRandom, unitHash } from './learning';

/**
 * Acceptance learned per offer from the account's own figures (issue 14), where ./learning.ts counts
 * answers per offer × segment × call type and so cannot tell two customers of one segment apart.
 *
 * Design, small on purpose so that every weight can be read:
 * - Features: each numeric fact falls in one of a few bins with fixed cut points (as decision hubs'
 *   adaptive models bin predictors), plus the call type and the channel one-hot and an intercept.
 *   Every account activates exactly one bin per group, so a model's odds are a sum of a few weights.
 * - Learning: online logistic regression with a diagonal Gaussian over the weights, updated by a
 *   Laplace approximation after each answer (Chapelle & Li 2011, "An Empirical Evaluation of
 *   Thompson Sampling", algorithm 3, one observation at a time). The mean's step solves the one
 *   observation's MAP exactly (a one-dimensional Newton solve), so a surprising answer cannot
 *   overshoot; each active weight's precision grows by p(1 − p).
 * - Prior: the intercept's mean is the logit of the catalog's acceptProbability and every other
 *   weight's mean is 0, so a new offer predicts exactly its prior for every account, and few answers
 *   (each moving the odds by at most its variance) keep it near there.
 * - Decision: the probability at the posterior mean of the weights; an exploration share of
 *   decisions samples the weights instead (Thompson), seeded per contact; the control group keeps the
 *   catalog priors. A state that fails validation is never used: the priors decide, and say why.
 * Updates are NOT idempotent: applying one answer twice counts it twice. Exactly-once belongs to
 * whatever feeds them (the updater's checkpoint over the offer log, not this module).
 */

export const PROPENSITY_VERSION = 1;

/**
 * A numeric predictor: a fact (or a figure derived from the facts), its bins' cut points, and the
 * range of its straight-line term.
 */
interface Binned {
  name: string;
  value: (f: Facts) => number;
  /** Ascending; bin k holds cuts[k−1] ≤ x < cuts[k]. */
  cuts: readonly number[];
  /**
   * The straight-line term: the figure scaled to 0 … 1 over this range (clamped), so that a trend
   * that runs across bins is learned once for all of them; the bins then learn what bends it.
   */
  range: readonly [number, number];
}

/**
 * The cut points: round numbers near the synthetic portfolio's quintiles (its spread, not the
 * simulator's hidden truth), so that each bin holds enough accounts to learn from.
 */
export const BINNED: readonly Binned[] = [
  { name: 'utilization', value: (f) => f.utilization, cuts: [0.1, 0.3, 0.6, 0.8], range: [0, 1] },
  {
    name: 'revolvingBalance',
    value: (f) => f.revolvingBalance,
    cuts: [1, 1000, 3000, 6000],
    range: [0, 10_000],
  },
  {
    name: 'annualSpend',
    value: (f) => f.annualSpend,
    cuts: [3000, 6000, 12_000, 25_000, 50_000],
    range: [0, 60_000],
  },
  { name: 'spendTrend', value: (f) => f.spendTrend, cuts: [0.6, 0.85, 0.95, 1.05, 1.2], range: [0, 1.5] },
  { name: 'spendLast3m', value: (f) => f.spendLast3m, cuts: [750, 1500, 3000, 6000], range: [0, 15_000] },
  { name: 'travelShare', value: (f) => f.travelShare, cuts: [0.05, 0.1, 0.2], range: [0, 0.5] },
  { name: 'diningShare', value: (f) => f.diningShare, cuts: [0.08, 0.15, 0.25], range: [0, 0.5] },
  { name: 'groceriesShare', value: (f) => f.groceriesShare, cuts: [0.15, 0.25], range: [0, 0.5] },
  { name: 'onlineShare', value: (f) => f.onlineShare, cuts: [0.15, 0.25], range: [0, 0.5] },
  { name: 'fuelShare', value: (f) => f.fuelShare, cuts: [0.05, 0.1], range: [0, 0.5] },
  { name: 'annualFee', value: (f) => f.annualFee, cuts: [1, 100, 300], range: [0, 700] },
  // What the fee weighs against the card's use (a fee with no spend weighs the most).
  {
    name: 'feeToSpend',
    value: (f) => (f.annualFee <= 0 ? 0 : f.annualSpend > 0 ? f.annualFee / f.annualSpend : 1),
    cuts: [0.001, 0.005, 0.01, 0.02, 0.04],
    range: [0, 0.1],
  },
  { name: 'tenureMonths', value: (f) => f.tenureMonths, cuts: [12, 24, 60, 120], range: [0, 240] },
  { name: 'productsHeld', value: (f) => f.productsHeld.length, cuts: [1, 2, 3], range: [0, 5] },
  { name: 'churnRisk', value: (f) => f.churnRisk, cuts: [0.1, 0.3, 0.6], range: [0, 1] },
  { name: 'latePayments', value: (f) => f.latePayments, cuts: [1, 2, 3], range: [0, 6] },
];

// Records, so that the compiler says when a call type or a channel is added and not encoded here.
const CALL_TYPES: readonly CallType[] = Object.keys({
  CLOSE_ACCOUNT: 1,
  FEE_COMPLAINT: 1,
  RATE_COMPLAINT: 1,
  COMPETITOR_OFFER: 1,
  REWARDS_DISSATISFACTION: 1,
  LOST_OR_STOLEN: 1,
  FRAUD_REPORT: 1,
  BILLING_DISPUTE: 1,
  GENERAL_INQUIRY: 1,
} satisfies Record<CallType, 1>) as CallType[];
const CHANNELS: readonly Channel[] = Object.keys({ voice: 1, chat: 1, agent: 1 } satisfies Record<
  Channel,
  1
>) as Channel[];

const fmt = (x: number) => String(Number(x.toPrecision(4)));
function binLabels(b: Binned): string[] {
  const c = b.cuts;
  return [
    `${b.name} < ${fmt(c[0]!)}`,
    ...c.slice(1).map((hi, k) => `${b.name} ${fmt(c[k]!)}–${fmt(hi)}`),
    `${b.name} ≥ ${fmt(c.at(-1)!)}`,
  ];
}

const lineLabel = (b: Binned) => `${b.name} (line ${fmt(b.range[0])}–${fmt(b.range[1])})`;

/** The features, in the order of every weight vector: what a stored state must list, as it is. */
export const FEATURES: readonly string[] = [
  'intercept',
  ...BINNED.flatMap((b) => [lineLabel(b), ...binLabels(b)]),
  ...CALL_TYPES.map((t) => `callType ${t}`),
  ...CHANNELS.map((c) => `channel ${c}`),
  'channel unknown',
];
/**
 * A fingerprint of PROPENSITY_VERSION and FEATURES, stored beside each model: a model stored for
 * other features (a release that changed the bins) is refused, never read against the wrong weights.
 */
export const FEATURE_SET: string = (() => {
  let h = 0x811c9dc5;
  for (const ch of FEATURES.join('\n')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${PROPENSITY_VERSION}:${FEATURES.length}:${h.toString(16).padStart(8, '0')}`;
})();
const INTERCEPT = 0;
const BIN_START: number[] = [];
{
  let at = 1;
  for (const b of BINNED) {
    BIN_START.push(at);
    at += b.cuts.length + 2;
  }
}
const CALL_START = FEATURES.indexOf(`callType ${CALL_TYPES[0]}`);
const CHANNEL_START = FEATURES.indexOf(`channel ${CHANNELS[0]}`);

/** What the model reads of one decision: the account's facts, the call type, the channel if known. */
export interface PropensityInput {
  facts: Facts;
  callType: CallType;
  channel?: Channel;
}

function binOf(x: number, cuts: readonly number[]): number {
  // A figure that is not a number falls in the lowest bin rather than failing the decision.
  let k = 0;
  while (k < cuts.length && x >= cuts[k]!) k++;
  return k;
}

/**
 * One decision's features: `index` into FEATURES and each one's `value`. The intercept, per numeric
 * fact its straight line (0 … 1) and its one bin (1), the call type and the channel (1 each).
 */
export interface Encoded {
  index: number[];
  value: number[];
}

/**
 * The figures the model reads of an account, by name (BINNED): what the offer log records with each
 * answer, so that the learner encodes the very inputs the decision saw.
 */
export type PropensityFigures = Record<string, number>;
export const FIGURE_NAMES: readonly string[] = BINNED.map((b) => b.name);

export function propensityFigures(facts: Facts): PropensityFigures {
  const out: PropensityFigures = {};
  for (const b of BINNED) {
    const x = b.value(facts);
    out[b.name] = Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : 0;
  }
  return out;
}

export function encode(input: PropensityInput): Encoded {
  return encodeFigures(propensityFigures(input.facts), input.callType, input.channel);
}

/** The features of recorded figures (a figure missing counts as 0), the call type and the channel. */
export function encodeFigures(figures: PropensityFigures, callType: CallType, channel?: Channel): Encoded {
  const index = [INTERCEPT];
  const value = [1];
  BINNED.forEach((b, g) => {
    const x = figures[b.name] ?? 0;
    const [lo, hi] = b.range;
    const line = Number.isFinite(x) ? Math.max(0, Math.min(1, (x - lo) / (hi - lo))) : 0;
    if (line > 0) {
      index.push(BIN_START[g]!);
      value.push(line);
    }
    index.push(BIN_START[g]! + 1 + binOf(x, b.cuts));
    value.push(1);
  });
  index.push(CALL_START + Math.max(0, CALL_TYPES.indexOf(callType)));
  value.push(1);
  index.push(channel ? CHANNEL_START + CHANNELS.indexOf(channel) : FEATURES.length - 1);
  value.push(1);
  return { index, value };
}

/** One offer's posterior: a mean and a variance per feature, and the answers it has learned from. */
export interface OfferModel {
  n: number;
  mean: number[];
  variance: number[];
}
export interface PropensityState {
  version: typeof PROPENSITY_VERSION;
  features: string[];
  offers: Record<string, OfferModel>;
}

export interface PropensitySettings {
  /** The prior variance of the intercept (log-odds): how far answers may move an offer's base rate. */
  interceptVariance: number;
  /** The prior variance of every other weight: how far one bin may move the log-odds. */
  priorVariance: number;
  /** The prior variance of a straight-line term (absent: priorVariance). */
  lineVariance?: number;
  /** Added to each active weight's variance per update, so old answers fade (0: none). */
  forgetting: number;
  /**
   * The posterior's spread when an exploring decision samples the weights, as a share of its
   * standard deviation: below 1 explores less widely (Chapelle & Li 2011 found 0.25–0.5 better than 1).
   */
  sampleScale?: number;
}
/** Chosen on the simulator's seed 7, checked on seed 11 and over seeds 1–30 (README, "Simulator"). */
export const DEFAULT_PROPENSITY: PropensitySettings = {
  interceptVariance: 0.3,
  priorVariance: 0.05,
  forgetting: 0,
  sampleScale: 0.5,
};

export const newPropensityState = (): PropensityState => ({
  version: PROPENSITY_VERSION,
  features: [...FEATURES],
  offers: {},
});

const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The model an offer starts from: its catalog prior in the intercept, no opinion elsewhere. */
export function priorModel(prior: number, s: PropensitySettings = DEFAULT_PROPENSITY): OfferModel {
  const mean = FEATURES.map(() => 0);
  mean[INTERCEPT] = logit(Math.min(0.999, Math.max(0.001, prior)));
  const variance = FEATURES.map((f) =>
    f.includes('(line ') ? (s.lineVariance ?? s.priorVariance) : s.priorVariance,
  );
  variance[INTERCEPT] = s.interceptVariance;
  return { n: 0, mean, variance };
}

/** A weight beyond this (log-odds) means a broken state, not a learned one. */
export const MAX_WEIGHT = 30;

/**
 * Checks a state read from storage, without zod (the domain runs no schema): the version, the very
 * feature list this code encodes, and per offer a whole count and finite weights with positive
 * variances, one per feature. Returns the first problem found, or undefined.
 */
export function propensityStateProblem(state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null) return 'not an object';
  const s = state as Partial<PropensityState>;
  if (s.version !== PROPENSITY_VERSION) return `version ${String(s.version)} is not ${PROPENSITY_VERSION}`;
  if (
    !Array.isArray(s.features) ||
    s.features.length !== FEATURES.length ||
    s.features.some((f, i) => f !== FEATURES[i])
  )
    return 'its features are not the ones this code encodes';
  if (typeof s.offers !== 'object' || s.offers === null || Array.isArray(s.offers)) return 'no offers';
  for (const [id, m] of Object.entries(s.offers)) {
    if (typeof m !== 'object' || m === null) return `offer ${id}: not an object`;
    if (!Number.isInteger(m.n) || m.n < 0) return `offer ${id}: n is not a count`;
    for (const key of ['mean', 'variance'] as const) {
      const v = m[key];
      if (!Array.isArray(v) || v.length !== FEATURES.length)
        return `offer ${id}: ${key} does not have ${FEATURES.length} entries`;
      const bad = v.findIndex(
        (x) =>
          typeof x !== 'number' ||
          !Number.isFinite(x) ||
          (key === 'mean' ? Math.abs(x) > MAX_WEIGHT : x <= 0 || x > 1000),
      );
      if (bad >= 0) return `offer ${id}: ${key}[${bad}] (${FEATURES[bad]}) is ${String(v[bad])}`;
    }
  }
  return undefined;
}

const modelOf = (
  state: PropensityState,
  offer: Pick<Offer, 'offerId' | 'acceptProbability'>,
  s: PropensitySettings,
) => state.offers[offer.offerId] ?? priorModel(offer.acceptProbability, s);

function score(m: OfferModel, e: Encoded): number {
  let z = 0;
  for (let k = 0; k < e.index.length; k++) z += m.mean[e.index[k]!]! * e.value[k]!;
  return z;
}

/** The probability at the posterior mean of the weights. */
export function predict(
  state: PropensityState,
  offer: Offer,
  input: PropensityInput,
  s: PropensitySettings = DEFAULT_PROPENSITY,
): number {
  return sigmoid(score(modelOf(state, offer, s), encode(input)));
}

/**
 * One observation's Laplace step over the active weights (features x): the log-odds z at the new
 * mode solves z = s + V·(y − σ(z)) (s the current score, V = Σ variance·x²); each active mean moves
 * by its variance × x × (y − σ(z)) and each precision grows by x²·σ(z)(1 − σ(z)).
 */
function updated(m: OfferModel, e: Encoded, y: 0 | 1, s: PropensitySettings): OfferModel {
  const s0 = score(m, e);
  let V = 0;
  for (let k = 0; k < e.index.length; k++) V += m.variance[e.index[k]!]! * e.value[k]! ** 2;
  let z = s0;
  for (let k = 0; k < 30; k++) {
    const p = sigmoid(z);
    const step = (z - s0 - V * (y - p)) / (1 + V * p * (1 - p));
    z -= step;
    if (Math.abs(step) < 1e-12) break;
  }
  const p = sigmoid(z);
  const mean = [...m.mean];
  const variance = [...m.variance];
  e.index.forEach((i, k) => {
    const x = e.value[k]!;
    mean[i] = mean[i]! + variance[i]! * x * (y - p);
    variance[i] = 1 / (1 / variance[i]! + x * x * p * (1 - p)) + s.forgetting;
  });
  return { n: m.n + 1, mean, variance };
}

/**
 * Learns one answer (pure: returns a new state, the old one untouched).
 * NOT idempotent: apply it once per answer.
 */
export function learnAnswer(
  state: PropensityState,
  offer: Offer,
  input: PropensityInput,
  accepted: boolean,
  s: PropensitySettings = DEFAULT_PROPENSITY,
): PropensityState {
  const m = updated(modelOf(state, offer, s), encode(input), accepted ? 1 : 0, s);
  return { ...state, offers: { ...state.offers, [offer.offerId]: m } };
}

/** What the offer log records of one answer, for the learner: see OfferLogEvent.learning. */
export interface LoggedAnswer {
  offerId: string;
  /** The offer's catalog prior when answered: where a model it has none yet starts. */
  prior: number;
  figures: PropensityFigures;
  callType: CallType;
  channel?: Channel;
  accepted: boolean;
}

/** Learns a run of logged answers in order (pure: a new state, the old one untouched). NOT idempotent. */
export function learnLogged(
  state: PropensityState,
  answers: readonly LoggedAnswer[],
  s: PropensitySettings = DEFAULT_PROPENSITY,
): PropensityState {
  const offers = { ...state.offers };
  for (const a of answers) {
    const m = offers[a.offerId] ?? priorModel(a.prior, s);
    offers[a.offerId] = updated(m, encodeFigures(a.figures, a.callType, a.channel), a.accepted ? 1 : 0, s);
  }
  return { ...state, offers };
}

/**
 * The same, in place: for the simulator's loop of thousands of answers, where copying the state's
 * map per answer costs time and buys nothing.
 */
export function learnAnswerInPlace(
  state: PropensityState,
  offer: Offer,
  input: PropensityInput,
  accepted: boolean,
  s: PropensitySettings = DEFAULT_PROPENSITY,
): void {
  state.offers[offer.offerId] = updated(modelOf(state, offer, s), encode(input), accepted ? 1 : 0, s);
}

export interface PropensityDecision {
  /** The acceptance each offer is ranked with. */
  acceptance: (offer: Offer) => number;
  /** CONTROL: the catalog priors (the control group); MEAN / EXPLORE: the model; PRIORS: a refused state. */
  mode: 'CONTROL' | 'MEAN' | 'EXPLORE' | 'PRIORS';
  reason: string;
}

/**
 * The acceptance each offer is ranked with, for one decision: the catalog priors for the control
 * group or when the state fails validation (the reason says which), else the model's probability at
 * the posterior mean, or, for an exploration share of decisions, at weights drawn from the posterior.
 */
export function propensityFor(args: {
  config: DecisionConfig;
  policy: LearningPolicy;
  state: unknown;
  input: PropensityInput;
  /** Seeds the decision's draws (e.g. contact id and turn). */
  seed: string;
  settings?: PropensitySettings;
}): PropensityDecision {
  const priors = (o: Offer) => o.acceptProbability;
  if (args.policy === 'CONTROL') return { acceptance: priors, mode: 'CONTROL', reason: MODE_REASON.CONTROL };
  const problem = propensityStateProblem(args.state);
  if (problem)
    return {
      acceptance: priors,
      mode: 'PRIORS',
      reason: `propensity model state refused (${problem}): the catalog priors decide`,
    };
  const state = args.state as PropensityState;
  const s = args.settings ?? DEFAULT_PROPENSITY;
  const active = encode(args.input);
  const explore = unitHash(`explore:${args.seed}`) < learningSettings(args.config).explorationShare;
  if (!explore)
    return {
      acceptance: (o) => sigmoid(score(modelOf(state, o, s), active)),
      mode: 'MEAN',
      reason: MODE_REASON.MEAN,
    };
  const rng = seededRandom(args.seed);
  return {
    acceptance: (o) => {
      const m = modelOf(state, o, s);
      const k = s.sampleScale ?? 1;
      let z = 0;
      active.index.forEach((i, j) => {
        z += (m.mean[i]! + k * Math.sqrt(m.variance[i]!) * normal(rng)) * active.value[j]!;
      });
      return sigmoid(z);
    },
    mode: 'EXPLORE',
    reason: MODE_REASON.EXPLORE,
  };
}

/**
 * What a contact's start decides for all its turns (kept on the contact): the mode and, per offer
 * eligible at the start, the acceptance it ranks with, the answers its model had learned from and
 * the facts that moved it. Offers without odds (the control group, a refused state, an offer not
 * eligible at the start) rank with their prior.
 * Kept as numbers, not sentences (`propensityReasons` renders them when an offer is shown): the
 * contact is written on every turn, and the sentences of every eligible offer cost more write units
 * than the rest of the copy (README, "Cost").
 */
export interface PropensityCopy {
  mode: PropensityDecision['mode'];
  /** PRIORS: why the model state was refused. */
  refused?: string;
  /**
   * Per offer: [odds, answers learned from, then per fact that moved them: its label's index in
   * FEATURES (a bin, a call type, a channel, else the fact's line), the log-odds it added, the
   * probability it moved].
   */
  offers?: Record<string, number[]>;
  /** Written by the release before `offers` (a contact in flight across a deploy): read as it is. */
  reason?: string;
  odds?: Record<string, number>;
  why?: Record<string, string[]>;
}

const MODE_REASON: Record<PropensityDecision['mode'], string> = {
  CONTROL: 'control group: the catalog priors',
  MEAN: 'propensity model: the posterior mean',
  EXPLORE: 'propensity model: weights sampled from the posterior (exploration)',
  PRIORS: 'propensity model state refused: the catalog priors decide',
};

export function propensityCopy(args: {
  config: DecisionConfig;
  policy: LearningPolicy;
  state: unknown;
  input: PropensityInput;
  seed: string;
  offers: readonly Offer[];
  settings?: PropensitySettings;
}): PropensityCopy {
  const d = propensityFor(args);
  // The control group and a refused state: the catalog's odds, the reason said on every offer shown.
  if (d.mode === 'CONTROL') return { mode: d.mode };
  if (d.mode === 'PRIORS') return { mode: d.mode, refused: d.reason };
  const state = args.state as PropensityState;
  const offers: Record<string, number[]> = {};
  for (const o of args.offers) {
    const n = state.offers[o.offerId]?.n ?? 0;
    offers[o.offerId] = [
      round(d.acceptance(o), 4),
      n,
      ...(n === 0
        ? []
        : explain(state, o, args.input, 2, args.settings).flatMap((c) => [
            c.label,
            round(c.weight, 4),
            round(c.points, 6),
          ])),
    ];
  }
  return { mode: d.mode, ...(Object.keys(offers).length ? { offers } : {}) };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The odds a contact's copy ranks an offer with, if it has any (else the offer's prior applies). */
export function copiedOdds(copy: PropensityCopy | undefined, offerId: string): number | undefined {
  return copy?.offers?.[offerId]?.[0] ?? copy?.odds?.[offerId];
}

/**
 * The reasons a contact's copy gives for one offer's odds: where they come from (the model, with
 * how many answers and the prior, or the catalog and why), then the facts that moved them. None for
 * an offer the copy has no odds for (not eligible at the start: it ranks with its prior).
 */
export function propensityReasons(
  copy: PropensityCopy,
  offer: Pick<Offer, 'offerId' | 'acceptProbability'>,
): string[] {
  const id = offer.offerId;
  if (copy.why) return copy.why[id] ?? [];
  if (copy.mode === 'CONTROL' || copy.mode === 'PRIORS')
    return [`odds ${offer.acceptProbability.toFixed(2)}: ${copy.refused ?? MODE_REASON[copy.mode]}`];
  const m = copy.offers?.[id];
  if (!m) return [];
  const [odds, n] = [m[0]!, m[1] ?? 0];
  if (n === 0) return [`odds ${odds.toFixed(2)}: the catalog prior (no answers learned yet)`];
  const facts: string[] = [];
  for (let k = 2; k + 2 < m.length; k += 3) facts.push(contributionText(m[k]!, m[k + 1]!, m[k + 2]!));
  return [
    `odds ${odds.toFixed(2)} (${copy.mode === 'EXPLORE' ? 'explored' : 'learned'} from ${n} answers; prior ${offer.acceptProbability.toFixed(2)})`,
    ...facts,
  ];
}

const signed = (x: number) => (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(2);

/** One fact's sentence: its label (a bin, a call type, a channel, or the fact for a line alone). */
function contributionText(label: number, weight: number, points: number): string {
  const name = FEATURES[label] ?? 'a fact';
  const shown = name.includes('(line ') ? name.split(' ')[0]! : name;
  return `${shown} ${weight >= 0 ? 'raised' : 'lowered'} the odds (${signed(weight)} log-odds, ${signed(100 * points)} points)`;
}

export interface Contribution {
  /** The fact (or `callType`, `channel`): its straight line and its bin together. */
  feature: string;
  /** The features it activated, e.g. `utilization ≥ 0.8` and the line. */
  terms: string[];
  /** What they add to the log-odds. */
  weight: number;
  /** The probability with them against the same account without them (their weights at 0). */
  points: number;
  /** The FEATURES index its sentence is named by: its bin (or call type, channel), else its line. */
  label: number;
  text: string;
}

/**
 * The facts that moved this account's odds for this offer: per fact, its straight line and its bin
 * (and the call type, the channel), largest effect on the probability first. Every weight starts at
 * 0, so each effect is what the answers taught about that fact.
 */
export function explain(
  state: PropensityState,
  offer: Offer,
  input: PropensityInput,
  top = 3,
  s: PropensitySettings = DEFAULT_PROPENSITY,
): Contribution[] {
  const m = modelOf(state, offer, s);
  const active = encode(input);
  const z = score(m, active);
  const groups = new Map<string, { terms: string[]; weight: number; label: number }>();
  active.index.forEach((i, k) => {
    if (i === INTERCEPT || m.mean[i] === 0) return;
    const name = FEATURES[i]!;
    const fact = name.split(' ')[0]!;
    const g = groups.get(fact) ?? { terms: [], weight: 0, label: i };
    g.terms.push(name);
    g.weight += m.mean[i]! * active.value[k]!;
    if (!name.includes('(line ')) g.label = i;
    groups.set(fact, g);
  });
  return [...groups]
    .map(([feature, g]) => {
      const points = sigmoid(z) - sigmoid(z - g.weight);
      return {
        feature,
        terms: g.terms,
        weight: g.weight,
        points,
        label: g.label,
        text: contributionText(g.label, g.weight, points),
      };
    })
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || a.feature.localeCompare(b.feature))
    .slice(0, top);
}

/** The model's view of one offer for one account, for a dry-run: where it started, where it is, why. */
export function modelView(
  state: PropensityState,
  offer: Offer,
  input: PropensityInput,
  s: PropensitySettings = DEFAULT_PROPENSITY,
) {
  return {
    offerId: offer.offerId,
    prior: offer.acceptProbability,
    probability: Math.round(predict(state, offer, input, s) * 10_000) / 10_000,
    answers: state.offers[offer.offerId]?.n ?? 0,
    contributions: explain(state, offer, input, 3, s).map((c) => c.text),
  };
}
