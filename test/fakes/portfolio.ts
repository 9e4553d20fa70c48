import {
  CARD_PRODUCTS,
  FOREIGN_TRANSACTION_FEE,
  INTERCHANGE_RATE,
  LATE_FEE,
} from '../../infra/local/card-products';
import { hashFactor } from '../../shared/domain/verification';
import {
  type Account,
  type AccountFlags,
  type CardProduct,
  HELD_PRODUCTS,
  type HeldProduct,
  type PaymentStatus,
  SPEND_CATEGORIES,
  type SpendByCategory,
} from '../../shared/schemas/account';
import { type Archetype, BLOCK, type MixProfile, PORTFOLIO_MODEL } from './portfolio-model';

/**
 * A deterministic synthetic card portfolio for the local stack (`npm start` seeds it), tests and
 * benchmarks. It lives with the test fakes because it is fake data, out of infra/, which holds the
 * code that runs the stack.
 *
 * Every account is drawn from an archetype (premium traveller, profitable revolver, dormant, …)
 * that lands it in one customer segment of DEFAULT_CONFIG. The archetypes are data,
 * `data/portfolio-archetypes.json` (schema: ./portfolio-model.ts): weights, products, spend, payment
 * and risk ranges, products held, spend mixes. Each names its `shape`, the code below that draws an
 * account from those numbers. The order in which a shape reads the PRNG is part of what keeps an
 * account the same for a seed, so a new archetype of an existing shape is a data edit, a new shape
 * is code.
 *
 * Archetypes are dealt in blocks of 100 accounts: each block holds every archetype exactly `weight`
 * times, in an order shuffled by the seed, so any portfolio of 200 accounts or more covers every
 * segment. Each account's own figures come from a PRNG seeded by (seed, index), so account i is the
 * same whatever `count` is. Indexes are 0-based: index 0 is `ACC-0000001`, `CUS-0000001`, `+15552000000`.
 */

export const DEFAULT_PORTFOLIO_SEED = 42;
/** Portfolio phones are `+1555` then 7 digits from this number up: `+15552000000`, … */
export const PORTFOLIO_PHONE_BASE = 2_000_000;
/** Above this, phones would reach the persona range `+155555501NN`. */
export const MAX_PORTFOLIO_COUNT = 1_000_000;

export const ARCHETYPES: readonly Archetype[] = PORTFOLIO_MODEL.archetypes;
export type ArchetypeId = Archetype['id'];
const MODEL = PORTFOLIO_MODEL;
const archetypeById = new Map(ARCHETYPES.map((a) => [a.id, a]));
type Category = (typeof SPEND_CATEGORIES)[number];

// ---------------------------------------------------------------------------------------------
// PRNG: mulberry32, seeded per (seed, stream, index) through a murmur3 finaliser.

export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const STREAM = { block: 1, account: 2, secrets: 3, drift: 4 } as const;

function rngFor(seed: number, stream: number, index: number): Rng {
  const h = fmix32(fmix32(fmix32((seed >>> 0) ^ 0x9e3779b9) ^ Math.imul(stream, 0x27d4eb2f)) ^ (index >>> 0));
  return mulberry32(h);
}

const uniform = (r: Rng, lo: number, hi: number) => lo + (hi - lo) * r();
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const chance = (r: Rng, p: number) => r() < p;
function weighted<T>(r: Rng, items: ReadonlyArray<readonly [T, number]>): T {
  const total = items.reduce((a, [, w]) => a + w, 0);
  let x = r() * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return items[items.length - 1]![0];
}
const round2 = (n: number) => Math.round(n * 100) / 100;
const round4 = (n: number) => Math.round(n * 10000) / 10000;
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
const roundUpTo = (n: number, step: number) => Math.max(step, Math.ceil(n / step) * step);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const countOf = <T>(xs: readonly T[], x: T) => xs.filter((y) => y === x).length;

// ---------------------------------------------------------------------------------------------
// Archetypes in blocks.

const SLOTS: readonly ArchetypeId[] = ARCHETYPES.flatMap((a) => Array.from({ length: a.weight }, () => a.id));

function blockOrder(seed: number, block: number): ArchetypeId[] {
  const r = rngFor(seed, STREAM.block, block);
  const order = [...SLOTS];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The archetype of the account at `index` (0-based). */
export function archetypeOf(index: number, seed = DEFAULT_PORTFOLIO_SEED): ArchetypeId {
  return blockOrder(seed, Math.floor(index / BLOCK))[index % BLOCK]!;
}

// ---------------------------------------------------------------------------------------------
// Verification secrets.

/**
 * The clear knowledge factors of the account at `index` (0-based; index 0 is ACC-0000001).
 * Only their salted hashes are stored; tests and demos compute them here.
 */
export function portfolioSecrets(
  index: number,
  seed = DEFAULT_PORTFOLIO_SEED,
): { last4: string; zip: string; dob: string; pin: string } {
  return secretsFor(index, seed, archetypeOf(index, seed));
}

function secretsFor(index: number, seed: number, archetype: ArchetypeId) {
  const r = rngFor(seed, STREAM.secrets, index);
  const [fromYear, toYear] = archetypeById.get(archetype)!.birthYears ?? MODEL.birthYears;
  return {
    last4: pad(int(r, 0, 9999), 4),
    zip: pad(int(r, 1001, 99950), 5),
    dob: `${int(r, fromYear, toYear)}-${pad(int(r, 1, 12), 2)}-${pad(int(r, 1, 28), 2)}`,
    pin: pad(int(r, 0, 9999), 4),
  };
}

function saltFrom(r: Rng): string {
  let s = '';
  for (let i = 0; i < 4; i++)
    s += Math.floor(r() * 4294967296)
      .toString(16)
      .padStart(8, '0');
  return s;
}

// ---------------------------------------------------------------------------------------------
// Dates.

interface Ymd {
  y: number;
  m: number;
  d: number;
}

function parseAsOf(asOf: string): Ymd {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(asOf);
  if (!m || Number.isNaN(Date.parse(asOf.slice(0, 10))))
    throw new Error(`asOf must be a YYYY-MM-DD date, not ${asOf}`);
  return { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
}

/**
 * The date `months` whole months before `asOf`, on `day` (at most the 28th and at most asOf's
 * day, so the tenure computed from it is exactly `months`).
 */
export function monthsBefore(asOf: string, months: number, day = 28): string {
  const a = parseAsOf(asOf);
  const total = a.y * 12 + (a.m - 1) - months;
  const y = Math.floor(total / 12);
  const m = (total % 12) + 1;
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(Math.max(1, Math.min(day, 28, a.d)), 2)}`;
}

// ---------------------------------------------------------------------------------------------
// Spend.

type Shares = Record<Category, number>;

function drawShares(r: Rng, profile: MixProfile): Shares {
  const w = MODEL.spendMixes[profile];
  const lead = MODEL.leadingShares[profile];
  const leadShare = lead ? uniform(r, lead.share[0], lead.share[1]) : 0;
  const raw = SPEND_CATEGORIES.map((c) => (lead && c === lead.category ? 0 : w[c] * uniform(r, 0.6, 1.4)));
  const rawTotal = sum(raw);
  const out = {} as Shares;
  SPEND_CATEGORIES.forEach((c, i) => {
    out[c] = lead && c === lead.category ? leadShare : ((raw[i] ?? 0) / rawTotal) * (1 - leadShare);
  });
  return out;
}

function categoryAmounts(total: number, shares: Shares): SpendByCategory {
  const out = {} as SpendByCategory;
  let allocated = 0;
  for (const c of SPEND_CATEGORIES) {
    if (c === 'other') continue;
    out[c] = round2(total * shares[c]);
    allocated += out[c];
  }
  out.other = Math.max(0, round2(total - allocated));
  return out;
}

/** `annual` spread over the active months (weights 0.7–1.3), to the cent; inactive months are 0. */
/**
 * The year's spend over its months: each active month a weight of 0.7–1.3, scaled to `annual`. A
 * drifting account (`drift` < 1, only when all 12 months are active) spends its last quarter at
 * `drift` times its usual weight: the same year's total, falling away at the end.
 */
function spendSeries(r: Rng, annual: number, active: readonly boolean[], drift = 1): number[] {
  const whole = active.every(Boolean);
  const weights = active.map((a, i) => (a ? uniform(r, 0.7, 1.3) * (whole && i >= 9 ? drift : 1) : 0));
  const total = sum(weights);
  if (total === 0 || annual <= 0) return active.map(() => 0);
  const series = weights.map((w) => round2((annual * w) / total));
  const last = active.lastIndexOf(true);
  series[last] = Math.max(0, round2(annual - (sum(series) - series[last]!)));
  return series;
}

const allMonths = (): boolean[] => Array.from({ length: 12 }, () => true);

function drawMix(r: Rng, mix: Archetype['mix']): MixProfile {
  if ('profile' in mix) return mix.profile;
  if ('odds' in mix) return weighted(r, mix.odds);
  const { travelHeavy, groceryHeavy } = mix;
  return weighted<MixProfile>(r, [
    ['TRAVEL', travelHeavy],
    ['GROCERY', groceryHeavy],
    ['DINING', 0.12],
    ['ONLINE', 0.15],
    ['FUEL', 0.08],
    ['BALANCED', 1 - travelHeavy - groceryHeavy - 0.35],
  ]);
}

// ---------------------------------------------------------------------------------------------
// Products, tenure, payments.

const byCode = (code: string): CardProduct => CARD_PRODUCTS.find((c) => c.code === code)!;
const productOdds = new Map(
  ARCHETYPES.map((a) => [a.id, a.products.map(([code, w]) => [byCode(code), w] as const)]),
);

function drawProduct(r: Rng, a: Archetype): CardProduct {
  const odds = productOdds.get(a.id)!;
  return odds.length === 1 ? odds[0]![0] : weighted(r, odds);
}

function drawLimit(r: Rng, product: CardProduct): number {
  const [lo, hi] = MODEL.creditLimits[product.family];
  return roundUpTo(
    uniform(r, lo, hi),
    product.family === 'SECURED' || product.family === 'STUDENT' ? 50 : 500,
  );
}

function drawHeld(r: Rng, product: CardProduct, odds: Archetype['held']): HeldProduct[] {
  const held: HeldProduct[] = [];
  for (const h of HELD_PRODUCTS) {
    const p = odds[h] ?? MODEL.productsHeld[h] ?? 0;
    if (!chance(r, p)) continue;
    // The card itself is not held a second time.
    if (h === 'TRAVEL_CARD' && product.family === 'PREMIUM_TRAVEL') continue;
    if (h === 'CASHBACK_CARD' && product.family === 'CASHBACK') continue;
    held.push(h);
  }
  return held;
}

function drawTenure(r: Rng, tenure: Archetype['tenure']): number {
  if ('between' in tenure) return int(r, tenure.between[0], tenure.between[1]);
  let from = tenure.longFrom;
  const buckets = MODEL.longTenure.map(({ upTo, weight }) => {
    const bucket = [int(r, from, upTo), weight] as const;
    from = upTo + 1;
    return bucket;
  });
  return weighted(r, buckets);
}

/** Statement statuses of a customer who pays in full: NO_BALANCE after a month with no spend. */
function paidInFull(spend: readonly number[], revolving = false): PaymentStatus[] {
  return spend.map((s) => (s > 0 || revolving ? 'FULL' : 'NO_BALANCE'));
}

/** Put `status` at `n` distinct billed positions (those not NO_BALANCE), preferring recent ones if asked. */
function sprinkle(
  r: Rng,
  payments: PaymentStatus[],
  status: PaymentStatus,
  n: number,
  avoid: PaymentStatus[] = [],
) {
  const candidates = payments
    .map((p, i) => [p, i] as const)
    .filter(([p]) => p !== 'NO_BALANCE' && p !== status && !avoid.includes(p))
    .map(([, i]) => i);
  for (let k = 0; k < n && candidates.length > 0; k++) {
    const j = Math.floor(r() * candidates.length);
    payments[candidates[j]!] = status;
    candidates.splice(j, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Shapes: what an archetype decides; `buildAccount` derives the money figures and risk from it.

interface Draft {
  product: CardProduct;
  tenureMonths: number;
  monthlySpend: number[];
  mix: MixProfile;
  payments: PaymentStatus[];
  creditLimit: number;
  balance: number;
  revolvingBalance: number;
  /** Average interest-bearing balance over the last 12 months (defaults to the revolving balance). */
  interestBase?: number;
  /** Risk range of the archetype: behaviour moves the score inside it. */
  risk: readonly [number, number];
  held: HeldProduct[];
  flags?: Partial<AccountFlags>;
}

type Shapes = {
  [S in Archetype['shape']]: (r: Rng, a: Extract<Archetype, { shape: S }>, drift: number) => Draft;
};

const SHAPES: Shapes = {
  premiumTraveller(r, a, drift) {
    const product = drawProduct(r, a);
    const monthlySpend = spendSeries(r, round2(uniform(r, ...a.annualSpend)), allMonths(), drift);
    const creditLimit = Math.max(
      drawLimit(r, product),
      roundUpTo(Math.max(...monthlySpend) * a.peakMonthHeadroom, 500),
    );
    return {
      product,
      tenureMonths: drawTenure(r, a.tenure),
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments: paidInFull(monthlySpend),
      creditLimit,
      balance: monthlySpend[11]!,
      revolvingBalance: 0,
      risk: a.risk,
      held: drawHeld(r, product, a.held),
    };
  },
  transactor(r, a, drift) {
    const product = drawProduct(r, a);
    const annual = round2(uniform(r, ...a.annualSpend));
    const light = a.lightSpender;
    // Light users skip a month now and then, but never the latest one.
    const active = light
      ? allMonths().map((_, i) => i === 11 || annual > light.upTo || chance(r, light.activeMonthChance))
      : allMonths();
    const monthlySpend = spendSeries(r, annual, active, drift);
    const payments = paidInFull(monthlySpend);
    const partial = a.partialPayment;
    if (
      partial &&
      (partial.ifFullAtLeast === undefined || countOf(payments, 'FULL') >= partial.ifFullAtLeast) &&
      chance(r, partial.chance)
    )
      sprinkle(r, payments, 'PARTIAL', 1);
    return {
      product,
      tenureMonths: drawTenure(r, a.tenure),
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments,
      creditLimit: Math.max(
        drawLimit(r, product),
        roundUpTo(Math.max(...monthlySpend) * a.peakMonthHeadroom, 500),
      ),
      balance: monthlySpend[11]!,
      revolvingBalance: 0,
      risk: a.risk,
      held: drawHeld(r, product, a.held),
    };
  },
  revolver(r, a, drift) {
    const product = drawProduct(r, a);
    const monthlySpend = spendSeries(r, round2(uniform(r, ...a.annualSpend)), allMonths(), drift);
    const revolvingBalance = round2(uniform(r, ...a.revolvingBalance));
    const balance = round2(revolvingBalance + monthlySpend[11]!);
    const payments = monthlySpend.map(() => weighted(r, MODEL.revolvingPayments));
    // Not too many in full, or the customer would be a transactor.
    const most = a.fullPaymentsAtMost;
    if (most && countOf(payments, 'FULL') > most.count)
      sprinkle(r, payments, 'PARTIAL', most.otherwisePartial, ['MINIMUM']);
    if (chance(r, a.lateChance)) sprinkle(r, payments, 'LATE', 1);
    const limit = a.limit;
    return {
      product,
      tenureMonths: drawTenure(r, a.tenure),
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments,
      creditLimit:
        'utilization' in limit
          ? roundUpTo(balance / uniform(r, ...limit.utilization), 500)
          : Math.max(drawLimit(r, product), roundUpTo(balance / limit.utilizationAtMost, 500)),
      balance,
      revolvingBalance,
      risk: a.risk,
      held: drawHeld(r, product, a.held),
    };
  },
  standard(r, a, drift) {
    const product = drawProduct(r, a);
    const monthlySpend = spendSeries(r, round2(uniform(r, ...a.annualSpend)), allMonths(), drift);
    const payments: PaymentStatus[] = monthlySpend.map(() => 'FULL');
    const partials = int(r, ...a.partialMonths);
    for (let i = 0; i < partials; i++) payments[i] = chance(r, a.partialChance) ? 'PARTIAL' : 'MINIMUM';
    if (chance(r, a.lateChance)) sprinkle(r, payments, 'LATE', 1);
    const pastRevolving = uniform(r, ...a.pastRevolvingBalance);
    return {
      product,
      tenureMonths: drawTenure(r, a.tenure),
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments,
      creditLimit: Math.max(drawLimit(r, product), roundUpTo(monthlySpend[11]! * a.lastMonthHeadroom, 500)),
      balance: monthlySpend[11]!,
      revolvingBalance: 0,
      interestBase: (pastRevolving * partials) / 12,
      risk: a.risk,
      held: drawHeld(r, product, a.held),
    };
  },
  newCustomer(r, a, drift) {
    const product = drawProduct(r, a);
    const tenureMonths = drawTenure(r, a.tenure);
    const open = tenureMonths + 1;
    const active = allMonths().map((_, i) => i >= 12 - open);
    const monthlyRate =
      product.family === 'PREMIUM_TRAVEL'
        ? uniform(r, ...a.premiumMonthlySpend)
        : uniform(r, ...a.monthlySpend);
    const monthlySpend = spendSeries(r, round2(monthlyRate * open), active, drift);
    // Statements so far: one per whole month open.
    const revolves = chance(r, a.revolveChance);
    const payments: PaymentStatus[] = monthlySpend.map((_, i) =>
      i < 12 - tenureMonths ? 'NO_BALANCE' : revolves ? weighted(r, MODEL.revolvingPayments) : 'FULL',
    );
    const revolvingBalance = revolves && tenureMonths > 0 ? round2(uniform(r, ...a.revolvingBalance)) : 0;
    const balance = round2(revolvingBalance + monthlySpend[11]!);
    return {
      product,
      tenureMonths,
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments,
      creditLimit: Math.max(drawLimit(r, product), roundUpTo(balance / a.limit.utilizationAtMost, 500)),
      balance,
      revolvingBalance,
      interestBase: (revolvingBalance * Math.max(0, tenureMonths - 1)) / 12,
      risk: a.risk,
      held: drawHeld(r, product, a.held),
    };
  },
  dormant(r, a, drift) {
    const product = drawProduct(r, a);
    const quiet = weighted(
      r,
      a.quietMonths.map(({ months: [lo, hi], weight }) => [lo === hi ? lo : int(r, lo, hi), weight] as const),
    );
    const active = allMonths().map((_, i) => i < 12 - quiet);
    const monthlySpend = spendSeries(
      r,
      quiet >= 12 ? 0 : round2(uniform(r, ...a.monthlySpendWhileActive) * (12 - quiet)),
      active,
      drift,
    );
    const lastSpend = active.lastIndexOf(true);
    // The statement after the last purchase is paid in full; nothing is billed after that.
    const payments: PaymentStatus[] = monthlySpend.map((_, i) =>
      i <= lastSpend + 1 && lastSpend >= 0 ? 'FULL' : 'NO_BALANCE',
    );
    return {
      product,
      tenureMonths: drawTenure(r, a.tenure),
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments,
      creditLimit: drawLimit(r, product),
      balance: 0,
      revolvingBalance: 0,
      risk: a.risk,
      held: drawHeld(r, product, a.held),
      flags: { closed: chance(r, a.closedChance) },
    };
  },
  highRisk(r, a, drift) {
    const product = drawProduct(r, a);
    const monthlySpend = spendSeries(r, round2(uniform(r, ...a.annualSpend)), allMonths(), drift);
    const creditLimit = drawLimit(r, product);
    const balance = round2(Math.max(creditLimit * uniform(r, ...a.utilization), monthlySpend[11]! + 50));
    const payments: PaymentStatus[] = monthlySpend.map(() =>
      chance(r, a.minimumChance) ? 'MINIMUM' : 'PARTIAL',
    );
    // At most one missed and two late-or-missed: worse would be delinquent.
    if (chance(r, a.missedChance)) sprinkle(r, payments, 'MISSED', 1);
    if (chance(r, a.lateChance)) sprinkle(r, payments, 'LATE', 1);
    return {
      product,
      tenureMonths: drawTenure(r, a.tenure),
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments,
      creditLimit: Math.max(creditLimit, roundUpTo(balance, 50)),
      balance,
      revolvingBalance: round2(Math.max(0, balance - monthlySpend[11]!)),
      risk: a.risk,
      held: drawHeld(r, product, a.held),
      flags: { bankruptcy: chance(r, a.bankruptcyChance) },
    };
  },
  delinquent(r, a, drift) {
    const product = drawProduct(r, a);
    const annual = round2(uniform(r, ...a.annualSpend));
    // Spending stops once payments stop: the last months are missed.
    const missed = int(r, ...a.missedMonths);
    const late = missed >= 2 ? int(r, ...a.lateMonths) : int(r, ...a.lateMonthsIfOneMissed);
    const active = allMonths().map((_, i) => i < 12 - missed || chance(r, a.spendAfterMissedChance));
    if (!active.includes(true)) active[0] = true;
    const monthlySpend = spendSeries(r, annual, active, drift);
    const payments: PaymentStatus[] = monthlySpend.map((_, i) => (i >= 12 - missed ? 'MISSED' : 'MINIMUM'));
    sprinkle(r, payments, 'LATE', late, ['MISSED']);
    const creditLimit = drawLimit(r, product);
    const balance = round2(creditLimit * uniform(r, ...a.utilization));
    return {
      product,
      tenureMonths: drawTenure(r, a.tenure),
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments,
      creditLimit,
      balance,
      revolvingBalance: round2(Math.max(0, balance - monthlySpend[11]!)),
      risk: a.risk,
      held: drawHeld(r, product, a.held),
      flags: { collections: chance(r, a.collectionsChance), bankruptcy: chance(r, a.bankruptcyChance) },
    };
  },
  securedBuilder(r, a, drift) {
    const product = drawProduct(r, a);
    const monthlySpend = spendSeries(r, round2(uniform(r, ...a.annualSpend)), allMonths(), drift);
    const creditLimit = Math.max(
      drawLimit(r, product),
      roundUpTo(Math.max(...monthlySpend) * a.peakMonthHeadroom, 50),
    );
    const revolves = chance(r, a.revolveChance);
    const rb = a.revolvingBalance;
    const revolvingBalance = revolves
      ? round2(uniform(r, rb.from, Math.max(rb.toAtLeast, creditLimit * rb.toLimitShare)))
      : 0;
    const payments = revolves
      ? monthlySpend.map((): PaymentStatus => (chance(r, a.partialChance) ? 'PARTIAL' : 'MINIMUM'))
      : paidInFull(monthlySpend);
    return {
      product,
      tenureMonths: drawTenure(r, a.tenure),
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments,
      creditLimit: Math.max(creditLimit, roundUpTo(revolvingBalance + monthlySpend[11]!, 50)),
      balance: round2(revolvingBalance + monthlySpend[11]!),
      revolvingBalance,
      risk: a.risk,
      held: drawHeld(r, product, a.held),
    };
  },
  student(r, a, drift) {
    const product = drawProduct(r, a);
    const monthlySpend = spendSeries(r, round2(uniform(r, ...a.annualSpend)), allMonths(), drift);
    const revolves = chance(r, a.revolveChance);
    const revolvingBalance = revolves ? round2(uniform(r, ...a.revolvingBalance)) : 0;
    const payments = revolves
      ? monthlySpend.map((): PaymentStatus => (chance(r, a.partialChance) ? 'PARTIAL' : 'MINIMUM'))
      : paidInFull(monthlySpend);
    const balance = round2(revolvingBalance + monthlySpend[11]!);
    return {
      product,
      tenureMonths: drawTenure(r, a.tenure),
      monthlySpend,
      mix: drawMix(r, a.mix),
      payments,
      creditLimit: Math.max(drawLimit(r, product), roundUpTo(balance / a.limit.utilizationAtMost, 50)),
      balance,
      revolvingBalance,
      risk: a.risk,
      held: drawHeld(r, product, a.held),
    };
  },
};

const draft = (r: Rng, a: Archetype, drift: number): Draft =>
  (SHAPES[a.shape] as (r: Rng, a: Archetype, drift: number) => Draft)(r, a, drift);

/**
 * How the account's last quarter compares with its usual month (1: steady), from a stream of its
 * own so that an account's other figures are the same drifting or not.
 */
function driftOf(seed: number, index: number): number {
  const r = rngFor(seed, STREAM.drift, index);
  return chance(r, MODEL.drift.share) ? round4(uniform(r, ...MODEL.drift.lastQuarter)) : 1;
}

// ---------------------------------------------------------------------------------------------
// Accounts.

/**
 * Probability of default from payment behaviour: a base inside the archetype's range, plus late
 * and missed payments, high utilisation and partial payment; kept inside the range.
 */
function riskScore(r: Rng, d: Draft): number {
  const billed = d.payments.filter((p) => p !== 'NO_BALANCE');
  const full = billed.filter((p) => p === 'FULL').length;
  const late = d.payments.filter((p) => p === 'LATE').length;
  const missed = d.payments.filter((p) => p === 'MISSED').length;
  const utilization = d.creditLimit > 0 ? Math.max(0, d.balance) / d.creditLimit : 0;
  const [lo, hi] = d.risk;
  const raw =
    uniform(r, lo, (lo + hi) / 2) +
    0.035 * late +
    0.09 * missed +
    0.06 * Math.max(0, utilization - 0.5) +
    0.03 * (billed.length > 0 ? 1 - full / billed.length : 0);
  return round4(clamp(raw, lo, hi));
}

function buildAccount(
  index: number,
  seed: number,
  asOf: string,
  archetype: ArchetypeId,
  pepper: string,
): Account {
  const r = rngFor(seed, STREAM.account, index);
  const d = draft(r, archetypeById.get(archetype)!, driftOf(seed, index));
  const p = d.product;
  const annualSpend = sum(d.monthlySpend);
  const spendByCategory = categoryAmounts(round2(annualSpend), drawShares(r, d.mix));
  const late = d.payments.filter((s) => s === 'LATE' || s === 'MISSED').length;
  const interchangeRate = clamp(INTERCHANGE_RATE[p.family] * uniform(r, 0.98, 1.02), 0.015, 0.02);
  const interestBase = d.interestBase ?? d.revolvingBalance * uniform(r, 0.9, 1.1);
  const foreignFees =
    p.family === 'PREMIUM_TRAVEL' ? 0 : spendByCategory.travel * 0.3 * FOREIGN_TRANSACTION_FEE;
  const riskLevel = riskScore(r, d);
  const flags: AccountFlags = {
    fraudHold: chance(r, MODEL.flagRates.fraudHold),
    collections: d.flags?.collections ?? false,
    bankruptcy: d.flags?.bankruptcy ?? false,
    deceased: chance(r, MODEL.flagRates.deceased),
    closed: d.flags?.closed ?? false,
  };
  const salt = saltFrom(r);
  const s = secretsFor(index, seed, archetype);
  const n = index + 1;
  return {
    accountId: `ACC-${pad(n, 7)}`,
    customerId: `CUS-${pad(n, 7)}`,
    phone: `+1555${PORTFOLIO_PHONE_BASE + index}`,
    openedOn: monthsBefore(asOf, d.tenureMonths, int(r, 1, 28)),
    product: { ...p },
    creditLimit: d.creditLimit,
    balance: round2(d.balance),
    revolvingBalance: round2(d.revolvingBalance),
    monthlySpend: d.monthlySpend,
    spendByCategory,
    payments: d.payments,
    revenue12m: {
      interchange: round2(annualSpend * interchangeRate),
      interest: round2(interestBase * p.apr),
      fees: round2(p.annualFee + LATE_FEE * late + foreignFees),
    },
    cost12m: {
      rewards: round2(annualSpend * p.rewardsRate * uniform(r, 0.9, 1)),
      servicing: round2(p.family === 'PREMIUM_TRAVEL' ? uniform(r, 40, 60) : uniform(r, 20, 50)),
    },
    riskScore: riskLevel,
    flags,
    productsHeld: d.held,
    verification: {
      salt,
      last4Hash: hashFactor(pepper, salt, 'last4', s.last4),
      zipHash: hashFactor(pepper, salt, 'zip', s.zip),
      dobHash: hashFactor(pepper, salt, 'dob', s.dob),
      pinHash: hashFactor(pepper, salt, 'pin', s.pin),
      failures: 0,
    },
  };
}

/**
 * `count` synthetic accounts as of `asOf` (YYYY-MM-DD), the same for the same seed. Account i
 * does not depend on `count`. Valid per AccountSchema; no clear verification factor is stored.
 */
export function generatePortfolio(opts: {
  count: number;
  seed?: number;
  asOf: string;
  /** The factor pepper the hashes are keyed with. */
  pepper: string;
}): Account[] {
  const { count, seed = DEFAULT_PORTFOLIO_SEED, asOf, pepper } = opts;
  if (!Number.isInteger(count) || count < 0 || count > MAX_PORTFOLIO_COUNT) {
    throw new Error(`count must be an integer from 0 to ${MAX_PORTFOLIO_COUNT}, not ${count}`);
  }
  parseAsOf(asOf);
  const out: Account[] = new Array(count);
  let order: ArchetypeId[] = [];
  for (let i = 0; i < count; i++) {
    if (i % BLOCK === 0) order = blockOrder(seed, i / BLOCK);
    out[i] = buildAccount(i, seed, asOf, order[i % BLOCK]!, pepper);
  }
  return out;
}
