import { seededRandom } from '../../shared/domain/learning';
import type { HeldProduct, PaymentStatus } from '../../shared/schemas/account';
import { HELD_PRODUCTS, SPEND_CATEGORIES } from '../../shared/schemas/account';
import { CARD_PRODUCTS } from './card-products';

/**
 * Labelled card accounts with a KNOWN HIDDEN TRUTH, for training and testing the churn model
 * (`npm run churn -- generate N`). Shaped like the public BankChurners data (10,127 card accounts,
 * 16 % attrited): 12 months of transaction counts and amounts, the last quarter against the first,
 * inactive months, service contacts in 12 months, products held, revolving balance, utilisation,
 * credit limit, tenure. An account closes with the probability `closureProbability(record)`, a
 * function of those behaviours the trainer never reads (it sees only records and labels), so a
 * test can compare the model's AUC with the oracle's on the same accounts.
 */

const AS_OF = '2026-11-20T06:00:00Z';

/** The record as generated, in the training format (identity fields included: training drops them). */
export type GeneratedRecord = Record<string, unknown> & {
  accountId: string;
  monthlyTransactions?: number[];
  monthlySpend: number[];
  contacts12m: number;
  productsHeld: HeldProduct[];
  revolvingBalance: number;
  creditLimit: number;
  openedOn: string;
  label: { closed: boolean };
};

const sum = (xs: readonly number[], from = 0, to = xs.length) =>
  xs.slice(from, to).reduce((a, b) => a + b, 0);

/** The behaviours the hidden truth reads, from the record's own figures. */
export function behaviours(r: {
  monthlyTransactions: number[];
  contacts12m: number;
  productsHeld: readonly unknown[];
  revolvingBalance: number;
  creditLimit: number;
  openedOn: string;
}) {
  const tx = r.monthlyTransactions;
  const first = sum(tx, 0, 3);
  return {
    transactions12m: sum(tx),
    /** Last quarter's transactions over the first quarter's (BankChurners' Total_Ct_Chng_Q4_Q1). */
    q4q1: first > 0 ? sum(tx, 9) / first : 1,
    inactiveMonths: tx.filter((v) => v === 0).length,
    contacts: r.contacts12m,
    products: r.productsHeld.length,
    revolving: r.revolvingBalance,
    utilization: r.creditLimit > 0 ? r.revolvingBalance / r.creditLimit : 0,
    tenureMonths: (Date.parse(AS_OF) - Date.parse(r.openedOn)) / (30.44 * 86_400_000),
  };
}

/**
 * THE HIDDEN TRUTH: the probability that the account closes in the 12 months after `asOf`.
 * Churners trade less and less (a falling last quarter), call service more, sit inactive for
 * months, hold fewer products and carry no revolving balance; with interactions and thresholds
 * (a young account that keeps calling; a steep fall matters only past a point) so a linear score
 * does not reach it. The intercept puts about 16 % of accounts closed.
 */
export function closureProbability(r: Parameters<typeof behaviours>[0]): number {
  const b = behaviours(r);
  let z = -3.0;
  z += -0.045 * (b.transactions12m - 60); // fewer transactions
  z += 3.2 * Math.max(0, 0.75 - b.q4q1); // a falling last quarter, past a point
  z += 0.45 * (b.contacts - 2); // more service contacts
  z += 0.35 * b.inactiveMonths;
  z += -0.4 * (b.products - 2); // fewer products held
  z += b.revolving === 0 ? 1.0 : (-0.6 * Math.min(b.revolving, 2000)) / 1000; // no revolving balance
  if (b.tenureMonths < 24 && b.contacts >= 4) z += 0.8;
  if (b.utilization > 0.7) z -= 0.4;
  return 1 / (1 + Math.exp(-Math.max(-30, Math.min(30, z))));
}

function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
function poisson(rng: () => number, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rng)));
  const l = Math.exp(-mean);
  let k = 0;
  let p = rng();
  while (p > l) {
    k++;
    p *= rng();
  }
  return k;
}
const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
const money = (x: number) => Math.round(x * 100) / 100;
const digits = (rng: () => number, n: number) =>
  Array.from({ length: n }, () => Math.floor(rng() * 10)).join('');

export interface GeneratedAccount {
  record: GeneratedRecord;
  /** The hidden truth's closure probability for this account (the label was drawn from it). */
  probability: number;
}

/** Account `i` of a generated file (deterministic in seed and i). */
export function generateChurnAccount(seed: number, i: number): GeneratedAccount {
  const rng = seededRandom(`churn-data:${seed}:${i}`);
  // A latent disengagement (0 engaged … 1 leaving), which shapes the behaviours; the truth reads
  // the behaviours only.
  const d = rng() < 0.25 ? 0.3 + 0.7 * rng() : 0.25 * rng();
  const tenure = 13 + Math.floor(rng() * 48);
  const openedOn = new Date(Date.parse(AS_OF) - tenure * 30.44 * 86_400_000).toISOString().slice(0, 10);
  const creditLimit =
    Math.round(Math.min(35_000, Math.max(1_400, Math.exp(8.6 + 0.8 * normal(rng)))) / 100) * 100;
  const perMonth = Math.max(1, Math.exp(Math.log(6.5) + 0.45 * normal(rng)) * (1 - 0.35 * d));
  const fall = d * (0.3 + 0.7 * rng()); // how much of the activity is gone by the last month
  const ticket = Math.exp(Math.log(55) + 0.4 * normal(rng));
  const monthlyTransactions: number[] = [];
  const monthlySpend: number[] = [];
  for (let m = 0; m < 12; m++) {
    const inactive = rng() < 0.03 + 0.25 * d * (m / 11);
    const tx = inactive ? 0 : poisson(rng, perMonth * (1 - fall * (m / 11)));
    monthlyTransactions.push(tx);
    monthlySpend.push(money(tx * ticket * (0.8 + 0.4 * rng())));
  }
  const contacts12m = Math.min(6, poisson(rng, 1.6 + 2.2 * d));
  const products = Math.min(6, Math.max(0, Math.round(3 - 1.5 * d + 1.4 * normal(rng))));
  const shuffled = [...HELD_PRODUCTS];
  for (let k = shuffled.length - 1; k > 0; k--) {
    const j = Math.floor(rng() * (k + 1));
    [shuffled[k], shuffled[j]] = [shuffled[j]!, shuffled[k]!];
  }
  const productsHeld = shuffled.slice(0, products).sort();
  const revolvingBalance =
    rng() < 0.2 + 0.45 * d ? 0 : money(Math.min(creditLimit, Math.min(2_517, 300 + 2_200 * rng())));
  const lastSpend = monthlySpend[11]!;
  const balance = money(revolvingBalance + lastSpend);
  const payments: PaymentStatus[] = Array.from({ length: 12 }, (_, m) => {
    if (monthlySpend[m] === 0 && revolvingBalance === 0) return 'NO_BALANCE';
    if (rng() < 0.03) return 'LATE';
    if (revolvingBalance === 0) return 'FULL';
    return pick(rng, ['PARTIAL', 'MINIMUM', 'FULL'] as const);
  });
  const annualSpend = sum(monthlySpend);
  const product = pick(rng, CARD_PRODUCTS);
  const share = SPEND_CATEGORIES.map(() => rng());
  const total = sum(share);
  const core = {
    monthlyTransactions,
    contacts12m,
    productsHeld,
    revolvingBalance,
    creditLimit,
    openedOn,
  };
  const probability = closureProbability(core);
  const closed = rng() < probability;
  const accountId = `CHN-${String(i + 1).padStart(6, '0')}`;
  const record: GeneratedRecord = {
    accountId,
    customerId: `CUS-${accountId}`,
    // Identity fields, as an issuer's export has them: the training format allows them and drops them.
    phones: [`+1555${digits(rng, 7)}`],
    verification: { last4: digits(rng, 4), zip: `${digits(rng, 5)}`, dob: '1980-01-01' },
    product,
    openedOn,
    creditLimit,
    balance,
    revolvingBalance,
    monthlySpend,
    spendByCategory: Object.fromEntries(
      SPEND_CATEGORIES.map((c, k) => [c, money((annualSpend * share[k]!) / total)]),
    ),
    // Some issuers do not send transaction counts: the model routes the missing figure.
    ...(rng() < 0.05 ? {} : { monthlyTransactions }),
    contacts12m,
    payments,
    revenue12m: {
      interchange: money(annualSpend * 0.018),
      interest: money(revolvingBalance * 0.2),
      fees: product.annualFee,
    },
    cost12m: { rewards: money(annualSpend * product.rewardsRate), servicing: 10 * contacts12m },
    riskScore: Math.round(Math.min(0.6, Math.max(0.005, 0.05 * Math.exp(0.8 * normal(rng)))) * 1000) / 1000,
    flags: { fraudHold: false, collections: false, bankruptcy: false, deceased: false, closed: false },
    productsHeld,
    asOf: AS_OF,
    label: { closed },
  };
  return { record, probability };
}

/** `n` accounts of seed `seed`, in order. */
export function* generateChurnData(n: number, seed: number): Generator<GeneratedAccount> {
  for (let i = 0; i < n; i++) yield generateChurnAccount(seed, i);
}
