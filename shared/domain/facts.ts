import type { Account } from '../schemas/account';
import type { DecisionConfig } from '../schemas/config';
import type { Facts } from '../schemas/contact';
import { contactsInLastYear, monthsBetween } from './calendar';
import { type ChurnScorer, roundRisk, yearlyRetention } from './churn';

export { contactsInLastYear, monthsBetween } from './calendar';

const round2 = (n: number) => Math.round(n * 100) / 100;
const round4 = (n: number) => Math.round(n * 10000) / 10000;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/**
 * How likely the customer is to stay another year, from the configured base rate: lower when card
 * use is falling (last quarter's spend against the nine months before), higher with tenure.
 */
export function retentionRate(
  base: number,
  spendTrend: number,
  tenureMonths: number,
  contactsLast12m = 0,
): number {
  const usage = spendTrend < 0.5 ? 0.85 : spendTrend < 0.9 ? 0.95 : 1;
  const loyalty = tenureMonths < 12 ? 0.95 : tenureMonths >= 60 ? 1.05 : 1;
  // A customer who keeps calling is less settled than one who never needs to.
  const friction = contactsLast12m >= 3 ? 0.95 : 1;
  return Math.min(0.98, round4(base * usage * loyalty * friction));
}

/** Servicing cost of a contact when the configuration gives none. */
export const DEFAULT_CONTACT_COST = 8;

/**
 * Customer value, every figure with its parts: annual profit = interchange + interest + fees −
 * rewards − servicing − expected loss (PD × exposure × LGD); lifetime value = that profit kept over
 * `horizonYears` with this customer's yearly retention rate (usage trend, tenure), discounted.
 */
export function customerValue(
  account: Account,
  value: DecisionConfig['value'],
  usage: {
    spendTrend: number;
    tenureMonths: number;
    contactsLast12m?: number;
    /** The churn model's score and its window: the retention curve is the model's, not the rule of thumb. */
    churn?: { score: number; windowMonths: number; modelId: string };
  } = {
    spendTrend: 1,
    tenureMonths: 12,
  },
) {
  const { interchange, interest, fees } = account.revenue12m;
  const annualRevenue = interchange + interest + fees;
  const exposure = Math.max(0, account.balance);
  const expectedLoss = account.riskScore * exposure * value.lossGivenDefault;
  const contacts = usage.contactsLast12m ?? 0;
  const contactCost = contacts * (value.contactCost ?? DEFAULT_CONTACT_COST);
  const annualProfit =
    annualRevenue - account.cost12m.rewards - account.cost12m.servicing - contactCost - expectedLoss;
  const rate = usage.churn
    ? Math.min(0.98, round4(yearlyRetention(usage.churn.score, usage.churn.windowMonths)))
    : retentionRate(value.retentionRate, usage.spendTrend, usage.tenureMonths, contacts);
  return {
    annualRevenue: round2(annualRevenue),
    expectedLoss: round2(expectedLoss),
    annualProfit: round2(annualProfit),
    lifetimeValue: round2(annualProfit * annuityFactor({ ...value, retentionRate: rate })),
    parts: {
      revenue: { interchange, interest, fees },
      cost: {
        rewards: account.cost12m.rewards,
        servicing: account.cost12m.servicing,
        contacts: { last12Months: contacts, cost: round2(contactCost) },
      },
      expectedLoss: {
        probabilityOfDefault: account.riskScore,
        exposure: round2(exposure),
        lossGivenDefault: value.lossGivenDefault,
      },
      lifetime: {
        horizonYears: value.horizonYears,
        discountRate: value.discountRate,
        retentionRate: rate,
        baseRetentionRate: value.retentionRate,
        spendTrend: usage.spendTrend,
        tenureMonths: usage.tenureMonths,
        contactsLast12m: contacts,
        ...(usage.churn ? { churnScore: usage.churn.score, churnModelId: usage.churn.modelId } : {}),
      },
    },
  };
}

/** Present value of 1 a year kept over the horizon: Σ r^(t−1) / (1+d)^t. */
export function annuityFactor(value: DecisionConfig['value']): number {
  let f = 0;
  for (let t = 1; t <= value.horizonYears; t++)
    f += value.retentionRate ** (t - 1) / (1 + value.discountRate) ** t;
  return f;
}

/**
 * Everything a decision may read of an account, as figures. `asOf` is the turn's clock. With the
 * active churn model, the account is scored as it is at `asOf` (its contact dates included).
 */
export function computeFacts(
  account: Account,
  asOf: string,
  value: DecisionConfig['value'],
  churn?: ChurnScorer,
): Facts {
  const annualSpend = sum(account.monthlySpend);
  const last3 = sum(account.monthlySpend.slice(9));
  const prior9 = sum(account.monthlySpend.slice(0, 9));
  const billed = account.payments.filter((p) => p !== 'NO_BALANCE').length;
  const full = account.payments.filter((p) => p === 'FULL').length;
  const late = account.payments.filter((p) => p === 'LATE').length;
  const missed = account.payments.filter((p) => p === 'MISSED').length;
  const cats = account.spendByCategory;
  const catTotal = sum(Object.values(cats));
  const share = (n: number) => (catTotal > 0 ? round4(n / catTotal) : 0);
  const tenureMonths = monthsBetween(account.openedOn, asOf);
  const spendTrend = prior9 > 0 ? round4(last3 / 3 / (prior9 / 9)) : last3 > 0 ? 1 : 0;
  const contactsLast12m = contactsInLastYear(account.recentContacts, asOf);
  const score = churn ? roundRisk(churn.score(account, asOf)) : undefined;
  const v = customerValue(account, value, {
    spendTrend,
    tenureMonths,
    contactsLast12m,
    ...(churn && score !== undefined
      ? { churn: { score, windowMonths: churn.labelWindowMonths, modelId: churn.modelId } }
      : {}),
  });
  return {
    tenureMonths,
    annualSpend: round2(annualSpend),
    spendLast3m: round2(last3),
    // Last quarter's monthly average over the previous nine months' (1 = steady, 0 = stopped).
    spendTrend,
    fullPayRatio: billed > 0 ? round4(full / billed) : 1,
    latePayments: late + missed,
    missedPayments: missed,
    revolvingBalance: account.revolvingBalance,
    utilization: account.creditLimit > 0 ? round4(Math.max(0, account.balance) / account.creditLimit) : 0,
    creditLimit: account.creditLimit,
    annualFee: account.product.annualFee,
    apr: account.product.apr,
    rewardsRate: account.product.rewardsRate,
    annualRevenue: v.annualRevenue,
    annualProfit: v.annualProfit,
    expectedLoss: v.expectedLoss,
    lifetimeValue: v.lifetimeValue,
    riskScore: account.riskScore,
    contactsLast12m,
    travelShare: share(cats.travel),
    diningShare: share(cats.dining),
    groceriesShare: share(cats.groceries),
    fuelShare: share(cats.fuel),
    onlineShare: share(cats.online),
    churnRisk: score ?? 0,
    cardFamily: account.product.family,
    productsHeld: [...account.productsHeld],
    tags: [...(account.tags ?? [])],
  };
}
