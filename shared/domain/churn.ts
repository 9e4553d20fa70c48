// The churn model at work: the features of an account, and the score of a trained model over them.
// Pure: no I/O. Training is in shared/domain/churn-training.ts.

import { createHash } from 'node:crypto';
import type { Account } from '../schemas/account';
import { type AccountChurn, CHURN_FEATURES, type ChurnModel } from '../schemas/churn';
import { contactsInLastYear, monthsBetween } from './calendar';
import type { OutboxEvent } from './outbox';

/**
 * What the model reads of an account: figures only (the import record without its identity, or the
 * stored account). `asOf` is the time the figures describe.
 */
export type ChurnSubject = Pick<
  Account,
  | 'openedOn'
  | 'creditLimit'
  | 'balance'
  | 'revolvingBalance'
  | 'monthlySpend'
  | 'payments'
  | 'riskScore'
  | 'productsHeld'
  | 'recentContacts'
  | 'contacts12m'
  | 'monthlyTransactions'
> & { product: Pick<Account['product'], 'annualFee' | 'apr' | 'rewardsRate'> };

const sum = (xs: readonly number[], from = 0, to = xs.length) => {
  let s = 0;
  for (let i = from; i < to; i++) s += xs[i]!;
  return s;
};
/** a / b, NaN when b is 0 (a missing figure, not an infinite one). */
const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);

/**
 * Service contacts in the 12 months before `asOf`: the issuer's count (`contacts12m`, from its CRM)
 * or Retention Desk's own contact dates, whichever is higher (the CRM's count may already hold ours).
 */
export function serviceContacts(s: ChurnSubject, asOf: string): number {
  return Math.max(s.contacts12m ?? 0, contactsInLastYear(s.recentContacts, asOf));
}

/** The model's inputs, in CHURN_FEATURES order. */
export function churnFeatures(s: ChurnSubject, asOf: string): Float64Array {
  const x = new Float64Array(CHURN_FEATURES.length);
  const spend = s.monthlySpend;
  const tx = s.monthlyTransactions;
  const annualSpend = sum(spend);
  const billed = s.payments.filter((p) => p !== 'NO_BALANCE').length;
  const tx12 = tx ? sum(tx) : Number.NaN;
  let i = 0;
  x[i++] = monthsBetween(s.openedOn, asOf); // tenureMonths
  x[i++] = s.creditLimit;
  x[i++] = s.balance;
  x[i++] = s.revolvingBalance;
  x[i++] = s.creditLimit > 0 ? Math.max(0, s.balance) / s.creditLimit : Number.NaN; // utilization
  x[i++] = annualSpend;
  x[i++] = ratio(sum(spend, 9) / 3, sum(spend, 0, 9) / 9); // spendTrend
  x[i++] = ratio(sum(spend, 9), sum(spend, 0, 3)); // spendQ4Q1
  x[i++] = tx12; // transactions12m
  x[i++] = tx ? ratio(sum(tx, 9) / 3, sum(tx, 0, 9) / 9) : Number.NaN; // transactionsTrend
  x[i++] = tx ? ratio(sum(tx, 9), sum(tx, 0, 3)) : Number.NaN; // transactionsQ4Q1
  x[i++] = tx ? ratio(annualSpend, tx12) : Number.NaN; // averageTicket
  x[i++] = (tx ?? spend).filter((v) => v === 0).length; // inactiveMonths
  x[i++] = serviceContacts(s, asOf); // contacts12m
  x[i++] = s.productsHeld.length;
  x[i++] = s.product.annualFee;
  x[i++] = s.product.apr;
  x[i++] = s.product.rewardsRate;
  x[i++] = s.riskScore;
  x[i++] = s.payments.filter((p) => p === 'LATE' || p === 'MISSED').length; // latePayments
  x[i++] = billed > 0 ? s.payments.filter((p) => p === 'FULL').length / billed : Number.NaN; // fullPayRatio
  return x;
}

/** A model ready to score: its trees flattened into typed arrays. */
export interface ChurnScorer {
  modelId: string;
  labelWindowMonths: number;
  /** The probability of closing within the label window, from the features. */
  scoreFeatures(x: Float64Array): number;
  /** The same, from the account as it is at `asOf`. */
  score(s: ChurnSubject, asOf: string): number;
}

const scorers = new WeakMap<ChurnModel, ChurnScorer>();

/** The scorer of a validated model document (memoised per document). */
export function compileChurnModel(m: ChurnModel): ChurnScorer {
  const held = scorers.get(m);
  if (held) return held;
  const total = m.trees.reduce((n, t) => n + t.length, 0);
  // Per node: feature (-1 for a leaf), threshold or leaf value, left, right, missing goes left.
  const feature = new Int32Array(total);
  const value = new Float64Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const missingLeft = new Uint8Array(total);
  const roots = new Int32Array(m.trees.length);
  let at = 0;
  m.trees.forEach((t, ti) => {
    roots[ti] = at;
    for (const n of t) {
      if (n.length === 1) {
        feature[at] = -1;
        value[at] = n[0];
      } else {
        const base = roots[ti]!;
        feature[at] = n[0];
        value[at] = n[1];
        left[at] = base + n[2];
        right[at] = base + n[3];
        missingLeft[at] = n[4];
      }
      at++;
    }
  });
  const base = m.baseScore;
  const scoreFeatures = (x: Float64Array) => {
    let z = base;
    for (let t = 0; t < roots.length; t++) {
      let n = roots[t]!;
      while (feature[n]! >= 0) {
        const v = x[feature[n]!]!;
        n = v < value[n]! || (missingLeft[n] === 1 && Number.isNaN(v)) ? left[n]! : right[n]!;
      }
      z += value[n]!;
    }
    return 1 / (1 + Math.exp(-z));
  };
  const scorer: ChurnScorer = {
    modelId: m.modelId,
    labelWindowMonths: m.labelWindowMonths,
    scoreFeatures,
    score: (s, asOf) => scoreFeatures(churnFeatures(s, asOf)),
  };
  scorers.set(m, scorer);
  return scorer;
}

/** A score as stored and shown: 4 decimals. */
export const roundRisk = (p: number) => Math.round(p * 10_000) / 10_000;

/**
 * The risk a decision uses: the account's score (its behaviour, over the label window) and what the
 * contact itself says (the call type's risk: a customer calling to close is leaving now, whatever a
 * quiet month scored), as two ways to leave: 1 − (1 − score)(1 − contact). With no score, the call
 * type's risk alone, as before there was a model.
 */
export function decisionChurnRisk(score: number | undefined, contactRisk: number): number {
  if (score === undefined) return contactRisk;
  return roundRisk(1 - (1 - score) * (1 - contactRisk));
}

/** A year's retention from a score over a window of `windowMonths`: (1 − p)^(12 / window). */
export function yearlyRetention(score: number, windowMonths: number): number {
  return Math.max(0, Math.min(1, (1 - score) ** (12 / windowMonths)));
}

/** The early-warning event's type on the bus (and in the outbox). */
export const CHURN_WARNING_EVENT = 'Churn Risk Raised';

/** The early-warning event of an account's crossing, its id the same for the same crossing. */
export function churnWarningEvent(
  accountId: string,
  churn: AccountChurn,
  w: { risk: number; previous?: number; warnAt: number },
  cause: string,
  heldAt?: string,
): OutboxEvent {
  // From the score that was read and the one written: two writers over the same read write one id
  // (the outbox Put's condition keeps one), and the score write itself is conditional on the read.
  const id = `cw-${createHash('sha256')
    .update(`${accountId}|${churn.modelId}|${heldAt ?? ''}|${churn.at}`)
    .digest('hex')
    .slice(0, 32)}`;
  return {
    id,
    type: CHURN_WARNING_EVENT,
    at: churn.at,
    detail: { accountId, modelId: churn.modelId, ...w, cause, at: churn.at },
  };
}

/**
 * The score to store after a change, and the early warning when it crossed `warnAt` upwards: only
 * what changed (no write for a score that is the same, from the same model). A score that falls back
 * below the threshold re-arms the warning.
 */
export function nextChurn(
  held: AccountChurn | undefined,
  risk: number,
  modelId: string,
  warnAt: number,
  at: string,
): { churn?: AccountChurn; warning?: { risk: number; previous?: number; warnAt: number } } {
  const above = risk >= warnAt;
  // Warned is what was recorded, not the held risk against today's threshold: a threshold lowered
  // under a held score still warns once.
  const warned = held?.warnedAt !== undefined;
  const warnedAt = above ? (warned ? held?.warnedAt : at) : undefined;
  if (held && held.risk === risk && held.modelId === modelId && held.warnedAt === warnedAt) return {};
  return {
    churn: { risk, modelId, at, ...(warnedAt ? { warnedAt } : {}) },
    ...(above && !warned ? { warning: { risk, warnAt, ...(held ? { previous: held.risk } : {}) } } : {}),
  };
}
