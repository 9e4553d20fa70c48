import type { CallType, DecisionConfig, Offer } from '../schemas/config';

/**
 * Acceptance learned from the offer log: for each offer × customer segment × call type, a Beta
 * posterior whose prior is the catalog's acceptProbability worth `priorStrength` observations (so a
 * new offer starts sensibly). Most contacts are decided on the posterior mean; an `explorationShare`
 * of them samples from the posterior (Thompson sampling), which keeps exploration bounded. A sticky
 * `controlShare` of accounts is decided on the catalog priors alone (the champion), to measure lift.
 * All randomness comes from a seeded generator, so a decision can be replayed.
 */
export interface OfferStats {
  accepts: number;
  declines: number;
}

export const DEFAULT_LEARNING = { priorStrength: 20, explorationShare: 0.2, controlShare: 0.1 } as const;
export type LearningPolicy = 'LEARNING' | 'CONTROL';

/** An offer's stats as a decision looks them up (a lookup key, not a storage key). */
export const statsKey = (offerId: string, segment: string, callType: CallType) =>
  `${offerId}@${segment}@${callType}`;

export function posterior(prior: number, strength: number, s: OfferStats | undefined) {
  const alpha = prior * strength + (s?.accepts ?? 0);
  const beta = (1 - prior) * strength + (s?.declines ?? 0);
  return { alpha, beta, mean: alpha / (alpha + beta) };
}

/** FNV-1a of a string (32 bits): a fast non-cryptographic hash, for buckets and keys. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The hash as a number in [0, 1). */
export const unitHash = (text: string): number => fnv1a(text) / 4294967296;

/** mulberry32 seeded from a string: the same seed, the same draws. */
export function seededRandom(seed: string): () => number {
  let a = Math.floor(unitHash(seed) * 4294967296);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box–Muller). */
export function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** Gamma(shape, 1) by Marsaglia–Tsang (shape < 1 boosted). */
function gamma(shape: number, rng: () => number): number {
  if (shape < 1) return gamma(shape + 1, rng) * Math.max(rng(), 1e-12) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function sampleBeta(alpha: number, beta: number, rng: () => number): number {
  const x = gamma(alpha, rng);
  return x / (x + gamma(beta, rng));
}

export function learningSettings(config: DecisionConfig) {
  return config.learning ?? DEFAULT_LEARNING;
}

/** Sticky per account: the same account is always in the same group for a configuration's shares. */
export function policyFor(accountId: string, config: DecisionConfig): LearningPolicy {
  return unitHash(`control:${accountId}`) < learningSettings(config).controlShare ? 'CONTROL' : 'LEARNING';
}

/**
 * The acceptance probability each offer is ranked with, for one decision: the prior (control), the
 * posterior mean, or a posterior sample when this decision explores.
 */
export function acceptanceFor(args: {
  config: DecisionConfig;
  policy: LearningPolicy;
  segment: string;
  callType: CallType;
  stats: ReadonlyMap<string, OfferStats>;
  /** Seeds the decision's draws (e.g. contact id and turn). */
  seed: string;
}): (offer: Offer) => number {
  const { priorStrength, explorationShare } = learningSettings(args.config);
  if (args.policy === 'CONTROL') return (o) => o.acceptProbability;
  const explore = unitHash(`explore:${args.seed}`) < explorationShare;
  const rng = seededRandom(args.seed);
  return (o) => {
    const p = posterior(
      o.acceptProbability,
      priorStrength,
      args.stats.get(statsKey(o.offerId, args.segment, args.callType)),
    );
    return explore ? sampleBeta(p.alpha, p.beta, rng) : p.mean;
  };
}
