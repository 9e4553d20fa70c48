import type { CallType, Offer } from '../../shared/schemas/config';
import type { Facts } from '../../shared/schemas/contact';

/**
 * The simulator's hidden model of how customers really answer. The engine never sees it: its priors
 * come from the catalog, and it learns only from answers. The odds follow what each incentive is
 * worth to this customer, from the account's own figures (never a segment's name): a fee waiver is
 * worth most to whoever pays a fee that their rewards do not cover; a rate cut to whoever carries a
 * balance; bonus points to whoever spends; a credit line to whoever is near the limit. Two customers
 * of one segment can answer very differently. The call type scales the odds (a customer set on
 * closing is harder to keep). Written before the feature learner (issue 14) and not tuned to it.
 */
const CALL_FACTOR: Partial<Record<CallType, number>> = {
  CLOSE_ACCOUNT: 0.85,
  COMPETITOR_OFFER: 0.9,
  FEE_COMPLAINT: 1.1,
  RATE_COMPLAINT: 1.1,
};

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const clamp01 = (x: number) => Math.max(0, Math.min(1, x));

/**
 * How much the fee weighs against the card's use: the fee over the fee plus 2 % of the year's spend
 * (0 with no fee; 0.57 for a 95 fee on 3,600 of spend, 0.23 on 16,000).
 */
export function feeBurden(f: Facts): number {
  return f.annualFee > 0 ? f.annualFee / (f.annualFee + 0.02 * f.annualSpend) : 0;
}

export function trueAcceptance(offer: Offer, facts: Facts, callType: CallType): number {
  const f = facts;
  const burden = feeBurden(f);
  const spend = clamp01(f.annualSpend / 40_000); // 0 … 1 at 40,000 a year
  const revolving = clamp01(f.revolvingBalance / 6_000);
  // How far card use has fallen: 0 when steady (last quarter as the nine months before), 1 at 60 %.
  const falling = clamp01((1 - f.spendTrend) / 0.4);
  // How close to the limit: 0 up to 60 % used, 1 at the limit.
  const nearLimit = clamp01((f.utilization - 0.6) / 0.4);
  const newCustomer = f.tenureMonths < 12 ? 1 : 0;
  // Spend where points pay most (travel and dining) over the usual 30 %: points appeal, a fee matters less.
  const pointsMix = f.travelShare + f.diningShare - 0.3;
  let z: number;
  switch (offer.type) {
    case 'FEE_WAIVER':
      // Worth most to whoever pays a fee the rewards do not cover, and is drifting away already.
      z = -2.8 + 3.0 * burden + 2.6 * falling - 1.0 * revolving - 3.0 * pointsMix;
      break;
    case 'STATEMENT_CREDIT':
      // A credit on the statement: valued by whoever carries a balance near the limit.
      z = -2.8 + 1.2 * burden + 3.0 * clamp01(f.utilization / 0.8) + 0.8 * falling;
      break;
    case 'APR_REDUCTION':
      z = -3.0 + 5.0 * revolving + 0.6 * nearLimit - 0.6 * spend;
      break;
    case 'BONUS_POINTS':
      // Points for spend: for whoever spends and keeps spending, with room on the card to do it.
      z = -1.0 + 1.6 * spend - 3.0 * falling - 2.2 * nearLimit + 0.8 * newCustomer + 5.0 * pointsMix;
      break;
    case 'PRODUCT_CHANGE':
      // The no-fee card: for light spenders who pay a fee; heavy spenders would lose their rewards.
      z = -1.2 + 2.4 * burden - 3.0 * clamp01(f.annualSpend / 8_000);
      break;
    case 'CREDIT_LINE_INCREASE':
      z =
        -2.6 +
        4.5 * nearLimit +
        1.0 * clamp01((f.utilization - 0.4) / 0.2) -
        0.8 * Math.min(3, f.latePayments);
      break;
    case 'LATE_FEE_REFUND':
      z =
        -1.0 +
        0.7 * Math.min(3, f.latePayments) +
        (callType === 'FEE_COMPLAINT' || callType === 'BILLING_DISPUTE' ? 1.4 : 0);
      break;
    default:
      z = -1.7;
  }
  return Math.max(0.02, Math.min(0.95, sigmoid(z) * (CALL_FACTOR[callType] ?? 1)));
}
