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
import { CARD_PRODUCTS, FOREIGN_TRANSACTION_FEE, INTERCHANGE_RATE, LATE_FEE } from './card-products';

/**
 * A deterministic synthetic card portfolio for the local stack, tests and benchmarks.
 *
 * Every account is drawn from an archetype (premium traveller, profitable revolver, dormant, …)
 * that lands it in one customer segment of DEFAULT_CONFIG. Archetypes are dealt in blocks of
 * 100 accounts: each block holds every archetype exactly `weight` times, in an order shuffled by
 * the seed, so any portfolio of 200 accounts or more covers every segment. Each account's own
 * figures come from a PRNG seeded by (seed, index), so account i is the same whatever `count` is.
 *
 * Indexes are 0-based: index 0 is `ACC-0000001`, `CUS-0000001`, `+15552000000`.
 */

export const DEFAULT_PORTFOLIO_SEED = 42;
/** Portfolio phones are `+1555` then 7 digits from this number up: `+15552000000`, … */
export const PORTFOLIO_PHONE_BASE = 2_000_000;
/** Above this, phones would reach the persona range `+155555501NN`. */
export const MAX_PORTFOLIO_COUNT = 1_000_000;

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

const STREAM = { block: 1, account: 2, secrets: 3 } as const;

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

// ---------------------------------------------------------------------------------------------
// Archetypes.

export const ARCHETYPES = [
  // id, weight per 100 accounts, the DEFAULT_CONFIG customer segment(s) it lands in
  { id: 'PREMIUM_TRAVELLER', weight: 6, segments: ['PREMIUM_TRANSACTOR'] },
  { id: 'PREMIUM_SPENDER', weight: 4, segments: ['PREMIUM_TRANSACTOR'] },
  { id: 'PROFITABLE_REVOLVER', weight: 12, segments: ['PROFITABLE_REVOLVER'] },
  { id: 'TRANSACTOR', weight: 20, segments: ['TRANSACTOR'] },
  { id: 'REVOLVER', weight: 15, segments: ['REVOLVER'] },
  { id: 'STANDARD', weight: 8, segments: ['STANDARD'] },
  { id: 'NEW', weight: 8, segments: ['NEW'] },
  { id: 'DORMANT', weight: 6, segments: ['DORMANT'] },
  { id: 'HIGH_RISK', weight: 6, segments: ['HIGH_RISK'] },
  { id: 'DELINQUENT', weight: 6, segments: ['DELINQUENT'] },
  { id: 'SECURED_BUILDER', weight: 4, segments: ['TRANSACTOR', 'REVOLVER'] },
  { id: 'STUDENT', weight: 5, segments: ['TRANSACTOR', 'REVOLVER'] },
] as const;
export type ArchetypeId = (typeof ARCHETYPES)[number]['id'];

const BLOCK = 100;
const SLOTS: readonly ArchetypeId[] = ARCHETYPES.flatMap((a) => Array.from({ length: a.weight }, () => a.id));
if (SLOTS.length !== BLOCK) throw new Error(`archetype weights must add up to ${BLOCK}, not ${SLOTS.length}`);

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
  const [fromYear, toYear] = archetype === 'STUDENT' ? [2003, 2007] : [1941, 2002];
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

type Category = (typeof SPEND_CATEGORIES)[number];
type Shares = Record<Category, number>;
type MixProfile = 'BALANCED' | 'TRAVEL' | 'GROCERY' | 'DINING' | 'ONLINE' | 'FUEL';

const MIX_WEIGHTS: Record<MixProfile, Shares> = {
  BALANCED: { travel: 0.08, dining: 0.15, groceries: 0.22, fuel: 0.1, online: 0.2, other: 0.25 },
  TRAVEL: { travel: 0, dining: 0.3, groceries: 0.15, fuel: 0.05, online: 0.2, other: 0.3 },
  GROCERY: { travel: 0.05, dining: 0.12, groceries: 0, fuel: 0.18, online: 0.25, other: 0.4 },
  DINING: { travel: 0.08, dining: 0.32, groceries: 0.18, fuel: 0.07, online: 0.15, other: 0.2 },
  ONLINE: { travel: 0.06, dining: 0.1, groceries: 0.14, fuel: 0.05, online: 0.42, other: 0.23 },
  FUEL: { travel: 0.04, dining: 0.1, groceries: 0.2, fuel: 0.3, online: 0.12, other: 0.24 },
};
/** Profiles whose one category is fixed first (travel ≥ 27 %, groceries ≥ 32 %), the rest shared out. */
const FIXED_SHARE: Partial<Record<MixProfile, readonly [Category, number, number]>> = {
  TRAVEL: ['travel', 0.27, 0.48],
  GROCERY: ['groceries', 0.32, 0.55],
};

function drawShares(r: Rng, profile: MixProfile): Shares {
  const w = MIX_WEIGHTS[profile];
  const fixed = FIXED_SHARE[profile];
  const fixedShare = fixed ? uniform(r, fixed[1], fixed[2]) : 0;
  const raw = SPEND_CATEGORIES.map((c) => (fixed && c === fixed[0] ? 0 : w[c] * uniform(r, 0.6, 1.4)));
  const rawTotal = sum(raw);
  const out = {} as Shares;
  SPEND_CATEGORIES.forEach((c, i) => {
    out[c] = fixed && c === fixed[0] ? fixedShare : ((raw[i] ?? 0) / rawTotal) * (1 - fixedShare);
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
function spendSeries(r: Rng, annual: number, active: readonly boolean[]): number[] {
  const weights = active.map((a) => (a ? uniform(r, 0.7, 1.3) : 0));
  const total = sum(weights);
  if (total === 0 || annual <= 0) return active.map(() => 0);
  const series = weights.map((w) => round2((annual * w) / total));
  const last = active.lastIndexOf(true);
  series[last] = Math.max(0, round2(annual - (sum(series) - series[last]!)));
  return series;
}

const allMonths = (): boolean[] => Array.from({ length: 12 }, () => true);

// ---------------------------------------------------------------------------------------------
// Products.

const byCode = (code: string): CardProduct => {
  const p = CARD_PRODUCTS.find((c) => c.code === code);
  if (!p) throw new Error(`card-products.ts has no ${code}`);
  return p;
};
const PRODUCTS = {
  premium: byCode('VOYAGER_PREMIUM'),
  rewards: byCode('SUMMIT_REWARDS'),
  cashback: byCode('HARVEST_CASHBACK'),
  cashbackPlus: byCode('HARVEST_CASHBACK_PLUS'),
  classic: byCode('CLASSIC'),
  student: byCode('CAMPUS_STUDENT'),
  secured: byCode('BUILDER_SECURED'),
};

const LIMIT_RANGE: Record<CardProduct['family'], readonly [number, number]> = {
  PREMIUM_TRAVEL: [15_000, 60_000],
  REWARDS: [5_000, 25_000],
  CASHBACK: [3_000, 20_000],
  CLASSIC: [1_500, 15_000],
  STUDENT: [500, 2_500],
  SECURED: [300, 2_500],
};

function drawLimit(r: Rng, product: CardProduct): number {
  const [lo, hi] = LIMIT_RANGE[product.family];
  return roundUpTo(
    uniform(r, lo, hi),
    product.family === 'SECURED' || product.family === 'STUDENT' ? 50 : 500,
  );
}

type HeldOdds = Partial<Record<HeldProduct, number>>;
const BASE_HELD: HeldOdds = {
  CHECKING: 0.55,
  SAVINGS: 0.3,
  MORTGAGE: 0.1,
  AUTO_LOAN: 0.1,
  PERSONAL_LOAN: 0.06,
  TRAVEL_CARD: 0.04,
  CASHBACK_CARD: 0.05,
  BALANCE_TRANSFER: 0.04,
};

function drawHeld(r: Rng, product: CardProduct, odds: HeldOdds = {}): HeldProduct[] {
  const held: HeldProduct[] = [];
  for (const h of HELD_PRODUCTS) {
    const p = odds[h] ?? BASE_HELD[h] ?? 0;
    if (!chance(r, p)) continue;
    // The card itself is not held a second time.
    if (h === 'TRAVEL_CARD' && product.family === 'PREMIUM_TRAVEL') continue;
    if (h === 'CASHBACK_CARD' && product.family === 'CASHBACK') continue;
    held.push(h);
  }
  return held;
}

// ---------------------------------------------------------------------------------------------
// Drafts: what an archetype decides; `finish` derives the money figures and risk from it.

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

const PAYMENT_MIX_REVOLVING: ReadonlyArray<readonly [PaymentStatus, number]> = [
  ['MINIMUM', 0.45],
  ['PARTIAL', 0.45],
  ['FULL', 0.1],
];

/** Spend profile common to active archetypes: mostly balanced, some travel-, grocery-, dining-heavy. */
function drawMix(r: Rng, travelHeavy = 0.08, groceryHeavy = 0.15): MixProfile {
  return weighted<MixProfile>(r, [
    ['TRAVEL', travelHeavy],
    ['GROCERY', groceryHeavy],
    ['DINING', 0.12],
    ['ONLINE', 0.15],
    ['FUEL', 0.08],
    ['BALANCED', 1 - travelHeavy - groceryHeavy - 0.35],
  ]);
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

function longTenure(r: Rng, min = 6): number {
  return weighted(r, [
    [int(r, min, 24), 0.35],
    [int(r, 25, 84), 0.45],
    [int(r, 85, 240), 0.2],
  ]);
}

const BUILDERS: Record<ArchetypeId, (r: Rng) => Draft> = {
  PREMIUM_TRAVELLER(r) {
    const product = chance(r, 0.85) ? PRODUCTS.premium : PRODUCTS.rewards;
    const annual = round2(uniform(r, 35_000, 150_000));
    const monthlySpend = spendSeries(r, annual, allMonths());
    const creditLimit = Math.max(drawLimit(r, product), roundUpTo(Math.max(...monthlySpend) * 1.6, 500));
    return {
      product,
      tenureMonths: longTenure(r, 12),
      monthlySpend,
      mix: 'TRAVEL',
      payments: paidInFull(monthlySpend),
      creditLimit,
      balance: monthlySpend[11]!,
      revolvingBalance: 0,
      risk: [0.003, 0.03],
      held: drawHeld(r, product, { CHECKING: 0.8, SAVINGS: 0.6, MORTGAGE: 0.35, TRAVEL_CARD: 0.1 }),
    };
  },
  PREMIUM_SPENDER(r) {
    const product = weighted(r, [
      [PRODUCTS.rewards, 0.4],
      [PRODUCTS.cashbackPlus, 0.3],
      [PRODUCTS.premium, 0.2],
      [PRODUCTS.cashback, 0.1],
    ]);
    const annual = round2(uniform(r, 30_500, 85_000));
    const monthlySpend = spendSeries(r, annual, allMonths());
    const payments = paidInFull(monthlySpend);
    if (chance(r, 0.3)) sprinkle(r, payments, 'PARTIAL', 1);
    return {
      product,
      tenureMonths: longTenure(r, 12),
      monthlySpend,
      mix: drawMix(r, 0.15, 0.25),
      payments,
      creditLimit: Math.max(drawLimit(r, product), roundUpTo(Math.max(...monthlySpend) * 1.6, 500)),
      balance: monthlySpend[11]!,
      revolvingBalance: 0,
      risk: [0.005, 0.04],
      held: drawHeld(r, product, { CHECKING: 0.75, SAVINGS: 0.5, MORTGAGE: 0.3 }),
    };
  },
  PROFITABLE_REVOLVER(r) {
    const product = weighted(r, [
      [PRODUCTS.rewards, 0.3],
      [PRODUCTS.cashback, 0.25],
      [PRODUCTS.cashbackPlus, 0.1],
      [PRODUCTS.classic, 0.3],
      [PRODUCTS.premium, 0.05],
    ]);
    const annual = round2(uniform(r, 4_000, 28_000));
    const monthlySpend = spendSeries(r, annual, allMonths());
    const revolvingBalance = round2(uniform(r, 3_500, 10_000));
    const balance = round2(revolvingBalance + monthlySpend[11]!);
    const payments = monthlySpend.map(() => weighted(r, PAYMENT_MIX_REVOLVING));
    if (chance(r, 0.25)) sprinkle(r, payments, 'LATE', 1);
    return {
      product,
      tenureMonths: longTenure(r),
      monthlySpend,
      mix: drawMix(r, 0.05, 0.2),
      payments,
      creditLimit: roundUpTo(balance / uniform(r, 0.4, 0.85), 500),
      balance,
      revolvingBalance,
      risk: [0.02, 0.07],
      held: drawHeld(r, product, { PERSONAL_LOAN: 0.12, AUTO_LOAN: 0.18, BALANCE_TRANSFER: 0.06 }),
    };
  },
  TRANSACTOR(r) {
    const product = weighted(r, [
      [PRODUCTS.rewards, 0.25],
      [PRODUCTS.cashback, 0.3],
      [PRODUCTS.cashbackPlus, 0.1],
      [PRODUCTS.classic, 0.3],
      [PRODUCTS.premium, 0.05],
    ]);
    const annual = round2(uniform(r, 1_500, 28_000));
    // Light users skip a month now and then, but never the latest one.
    const active = allMonths().map((_, i) => i === 11 || annual > 6_000 || chance(r, 0.8));
    const monthlySpend = spendSeries(r, annual, active);
    const payments = paidInFull(monthlySpend);
    if (payments.filter((p) => p === 'FULL').length >= 10 && chance(r, 0.2))
      sprinkle(r, payments, 'PARTIAL', 1);
    return {
      product,
      tenureMonths: longTenure(r),
      monthlySpend,
      mix: drawMix(r),
      payments,
      creditLimit: Math.max(drawLimit(r, product), roundUpTo(Math.max(...monthlySpend) * 1.5, 500)),
      balance: monthlySpend[11]!,
      revolvingBalance: 0,
      risk: [0.005, 0.06],
      held: drawHeld(r, product),
    };
  },
  REVOLVER(r) {
    const product = weighted(r, [
      [PRODUCTS.classic, 0.4],
      [PRODUCTS.cashback, 0.35],
      [PRODUCTS.rewards, 0.15],
      [PRODUCTS.cashbackPlus, 0.1],
    ]);
    const annual = round2(uniform(r, 1_500, 15_000));
    const monthlySpend = spendSeries(r, annual, allMonths());
    const revolvingBalance = round2(uniform(r, 150, 990));
    const balance = round2(revolvingBalance + monthlySpend[11]!);
    const payments = monthlySpend.map(() => weighted(r, PAYMENT_MIX_REVOLVING));
    // Fewer than 80 % in full, or the customer would be a transactor.
    if (payments.filter((p) => p === 'FULL').length > 9) sprinkle(r, payments, 'PARTIAL', 3, ['MINIMUM']);
    if (chance(r, 0.2)) sprinkle(r, payments, 'LATE', 1);
    return {
      product,
      tenureMonths: longTenure(r),
      monthlySpend,
      mix: drawMix(r),
      payments,
      creditLimit: Math.max(drawLimit(r, product), roundUpTo(balance / 0.9, 500)),
      balance,
      revolvingBalance,
      risk: [0.03, 0.15],
      held: drawHeld(r, product, { PERSONAL_LOAN: 0.1 }),
    };
  },
  STANDARD(r) {
    // Paid in part for part of the year, now paid off: no revolving balance, not a transactor.
    const product = weighted(r, [
      [PRODUCTS.classic, 0.4],
      [PRODUCTS.cashback, 0.3],
      [PRODUCTS.rewards, 0.2],
      [PRODUCTS.cashbackPlus, 0.1],
    ]);
    const annual = round2(uniform(r, 2_000, 18_000));
    const monthlySpend = spendSeries(r, annual, allMonths());
    const payments: PaymentStatus[] = monthlySpend.map(() => 'FULL');
    const partials = int(r, 3, 6);
    for (let i = 0; i < partials; i++) payments[i] = chance(r, 0.6) ? 'PARTIAL' : 'MINIMUM';
    if (chance(r, 0.25)) sprinkle(r, payments, 'LATE', 1);
    const pastRevolving = uniform(r, 300, 2_500);
    return {
      product,
      tenureMonths: longTenure(r),
      monthlySpend,
      mix: drawMix(r),
      payments,
      creditLimit: Math.max(drawLimit(r, product), roundUpTo(monthlySpend[11]! * 2, 500)),
      balance: monthlySpend[11]!,
      revolvingBalance: 0,
      interestBase: (pastRevolving * partials) / 12,
      risk: [0.03, 0.14],
      held: drawHeld(r, product),
    };
  },
  NEW(r) {
    const product = weighted(r, [
      [PRODUCTS.cashback, 0.3],
      [PRODUCTS.rewards, 0.25],
      [PRODUCTS.classic, 0.2],
      [PRODUCTS.cashbackPlus, 0.1],
      [PRODUCTS.premium, 0.08],
      [PRODUCTS.student, 0.07],
    ]);
    const tenureMonths = int(r, 0, 5);
    const open = tenureMonths + 1;
    const active = allMonths().map((_, i) => i >= 12 - open);
    const monthlyRate =
      product.family === 'PREMIUM_TRAVEL' ? uniform(r, 1_500, 6_000) : uniform(r, 150, 1_800);
    const monthlySpend = spendSeries(r, round2(monthlyRate * open), active);
    // Statements so far: one per whole month open.
    const revolves = chance(r, 0.35);
    const payments: PaymentStatus[] = monthlySpend.map((_, i) =>
      i < 12 - tenureMonths ? 'NO_BALANCE' : revolves ? weighted(r, PAYMENT_MIX_REVOLVING) : 'FULL',
    );
    const revolvingBalance = revolves && tenureMonths > 0 ? round2(uniform(r, 100, 1_500)) : 0;
    const balance = round2(revolvingBalance + monthlySpend[11]!);
    return {
      product,
      tenureMonths,
      monthlySpend,
      mix: drawMix(r, 0.1, 0.15),
      payments,
      creditLimit: Math.max(drawLimit(r, product), roundUpTo(balance / 0.8, 500)),
      balance,
      revolvingBalance,
      interestBase: (revolvingBalance * Math.max(0, tenureMonths - 1)) / 12,
      risk: [0.02, 0.15],
      held: drawHeld(r, product, { CHECKING: 0.45, SAVINGS: 0.2, MORTGAGE: 0.05 }),
    };
  },
  DORMANT(r) {
    const product = weighted(r, [
      [PRODUCTS.rewards, 0.3],
      [PRODUCTS.cashbackPlus, 0.15],
      [PRODUCTS.premium, 0.1],
      [PRODUCTS.cashback, 0.2],
      [PRODUCTS.classic, 0.25],
    ]);
    const quiet = weighted(r, [
      [int(r, 3, 6), 0.5],
      [int(r, 7, 11), 0.3],
      [12, 0.2],
    ]);
    const active = allMonths().map((_, i) => i < 12 - quiet);
    const monthlySpend = spendSeries(
      r,
      quiet === 12 ? 0 : round2(uniform(r, 100, 800) * (12 - quiet)),
      active,
    );
    const lastSpend = active.lastIndexOf(true);
    // The statement after the last purchase is paid in full; nothing is billed after that.
    const payments: PaymentStatus[] = monthlySpend.map((_, i) =>
      i <= lastSpend + 1 && lastSpend >= 0 ? 'FULL' : 'NO_BALANCE',
    );
    return {
      product,
      tenureMonths: longTenure(r, 12),
      monthlySpend,
      mix: drawMix(r),
      payments,
      creditLimit: drawLimit(r, product),
      balance: 0,
      revolvingBalance: 0,
      risk: [0.01, 0.08],
      held: drawHeld(r, product, { CHECKING: 0.4, SAVINGS: 0.2 }),
      flags: { closed: chance(r, 0.25) },
    };
  },
  HIGH_RISK(r) {
    const product = weighted(r, [
      [PRODUCTS.secured, 0.3],
      [PRODUCTS.classic, 0.35],
      [PRODUCTS.cashback, 0.2],
      [PRODUCTS.student, 0.15],
    ]);
    const annual = round2(uniform(r, 800, 9_000));
    const monthlySpend = spendSeries(r, annual, allMonths());
    const creditLimit = drawLimit(r, product);
    const balance = round2(Math.max(creditLimit * uniform(r, 0.8, 0.98), monthlySpend[11]! + 50));
    const payments: PaymentStatus[] = monthlySpend.map(() => (chance(r, 0.8) ? 'MINIMUM' : 'PARTIAL'));
    // At most one missed and two late-or-missed: worse would be delinquent.
    if (chance(r, 0.6)) sprinkle(r, payments, 'MISSED', 1);
    if (chance(r, 0.6)) sprinkle(r, payments, 'LATE', 1);
    return {
      product,
      tenureMonths: longTenure(r),
      monthlySpend,
      mix: drawMix(r, 0.03, 0.25),
      payments,
      creditLimit: Math.max(creditLimit, roundUpTo(balance, 50)),
      balance,
      revolvingBalance: round2(Math.max(0, balance - monthlySpend[11]!)),
      risk: [0.2, 0.45],
      held: drawHeld(r, product, { CHECKING: 0.35, SAVINGS: 0.08, MORTGAGE: 0.03, PERSONAL_LOAN: 0.15 }),
      flags: { bankruptcy: chance(r, 0.05) },
    };
  },
  DELINQUENT(r) {
    const product = weighted(r, [
      [PRODUCTS.classic, 0.4],
      [PRODUCTS.cashback, 0.25],
      [PRODUCTS.rewards, 0.15],
      [PRODUCTS.secured, 0.1],
      [PRODUCTS.student, 0.1],
    ]);
    const annual = round2(uniform(r, 500, 8_000));
    // Spending stops once payments stop: the last months are missed.
    const missed = int(r, 1, 4);
    const late = missed >= 2 ? int(r, 0, 2) : int(r, 2, 4);
    const active = allMonths().map((_, i) => i < 12 - missed || chance(r, 0.2));
    if (!active.includes(true)) active[0] = true;
    const monthlySpend = spendSeries(r, annual, active);
    const payments: PaymentStatus[] = monthlySpend.map((_, i) => (i >= 12 - missed ? 'MISSED' : 'MINIMUM'));
    sprinkle(r, payments, 'LATE', late, ['MISSED']);
    const creditLimit = drawLimit(r, product);
    const balance = round2(creditLimit * uniform(r, 0.85, 1.08));
    return {
      product,
      tenureMonths: longTenure(r),
      monthlySpend,
      mix: drawMix(r, 0.03, 0.25),
      payments,
      creditLimit,
      balance,
      revolvingBalance: round2(Math.max(0, balance - monthlySpend[11]!)),
      risk: [0.25, 0.75],
      held: drawHeld(r, product, { CHECKING: 0.3, SAVINGS: 0.05, PERSONAL_LOAN: 0.15 }),
      flags: { collections: chance(r, 0.5), bankruptcy: chance(r, 0.12) },
    };
  },
  SECURED_BUILDER(r) {
    const product = PRODUCTS.secured;
    const annual = round2(uniform(r, 600, 4_000));
    const monthlySpend = spendSeries(r, annual, allMonths());
    const creditLimit = Math.max(drawLimit(r, product), roundUpTo(Math.max(...monthlySpend) * 1.3, 50));
    const revolves = chance(r, 0.4);
    const revolvingBalance = revolves ? round2(uniform(r, 50, Math.max(60, creditLimit * 0.5))) : 0;
    const payments = revolves
      ? monthlySpend.map((): PaymentStatus => (chance(r, 0.5) ? 'PARTIAL' : 'MINIMUM'))
      : paidInFull(monthlySpend);
    return {
      product,
      tenureMonths: longTenure(r),
      monthlySpend,
      mix: drawMix(r, 0.02, 0.3),
      payments,
      creditLimit: Math.max(creditLimit, roundUpTo(revolvingBalance + monthlySpend[11]!, 50)),
      balance: round2(revolvingBalance + monthlySpend[11]!),
      revolvingBalance,
      risk: [0.05, 0.18],
      held: drawHeld(r, product, { CHECKING: 0.5, SAVINGS: 0.1, MORTGAGE: 0.02 }),
    };
  },
  STUDENT(r) {
    const product = PRODUCTS.student;
    const annual = round2(uniform(r, 800, 6_000));
    const monthlySpend = spendSeries(r, annual, allMonths());
    const revolves = chance(r, 0.35);
    const revolvingBalance = revolves ? round2(uniform(r, 50, 600)) : 0;
    const payments = revolves
      ? monthlySpend.map((): PaymentStatus => (chance(r, 0.6) ? 'PARTIAL' : 'MINIMUM'))
      : paidInFull(monthlySpend);
    const balance = round2(revolvingBalance + monthlySpend[11]!);
    return {
      product,
      tenureMonths: int(r, 6, 48),
      monthlySpend,
      mix: weighted<MixProfile>(r, [
        ['DINING', 0.35],
        ['ONLINE', 0.35],
        ['GROCERY', 0.15],
        ['TRAVEL', 0.05],
        ['BALANCED', 0.1],
      ]),
      payments,
      creditLimit: Math.max(drawLimit(r, product), roundUpTo(balance / 0.9, 50)),
      balance,
      revolvingBalance,
      risk: [0.03, 0.15],
      held: drawHeld(r, product, {
        CHECKING: 0.7,
        SAVINGS: 0.25,
        MORTGAGE: 0,
        AUTO_LOAN: 0.03,
        PERSONAL_LOAN: 0.02,
      }),
    };
  },
};

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
  const d = BUILDERS[archetype](r);
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
    fraudHold: chance(r, 0.02),
    collections: d.flags?.collections ?? false,
    bankruptcy: d.flags?.bankruptcy ?? false,
    deceased: chance(r, 0.006),
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
