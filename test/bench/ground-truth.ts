import type { CallType, Offer } from '../../shared/schemas/config';
import type { Facts } from '../../shared/schemas/contact';

/**
 * The simulator's hidden model of how customers really answer. The engine never sees it: its priors
 * come from the catalog, and it learns only from answers. It differs from the priors on purpose, the
 * way a real portfolio differs from a product owner's guesses: some offers work far better for some
 * segments than assumed, some far worse, and some depend on how the customer uses the card.
 */
const BY_TYPE_AND_SEGMENT: Record<string, Record<string, number>> = {
  FEE_WAIVER: {
    PREMIUM_TRANSACTOR: 0.8,
    TRANSACTOR: 0.5,
    NEW: 0.35,
    REVOLVER: 0.3,
    PROFITABLE_REVOLVER: 0.25,
  },
  STATEMENT_CREDIT: { PREMIUM_TRANSACTOR: 0.2, TRANSACTOR: 0.3, DORMANT: 0.12, NEW: 0.3 },
  APR_REDUCTION: { PROFITABLE_REVOLVER: 0.75, REVOLVER: 0.6 },
  BONUS_POINTS: { PREMIUM_TRANSACTOR: 0.15, TRANSACTOR: 0.35, NEW: 0.65 },
  PRODUCT_CHANGE: {},
  CREDIT_LINE_INCREASE: {},
  LATE_FEE_REFUND: {},
  NEW_PRODUCT: {},
};
const CALL_FACTOR: Partial<Record<CallType, number>> = {
  CLOSE_ACCOUNT: 0.85,
  COMPETITOR_OFFER: 0.9,
  FEE_COMPLAINT: 1.1,
  RATE_COMPLAINT: 1.1,
};

export function trueAcceptance(offer: Offer, facts: Facts, segment: string, callType: CallType): number {
  let p: number;
  switch (offer.type) {
    case 'PRODUCT_CHANGE':
      // Light spenders want the no-fee card; heavy spenders lose rewards by switching.
      p = facts.annualSpend < 4000 ? 0.75 : 0.2;
      break;
    case 'CREDIT_LINE_INCREASE':
      p = facts.utilization > 0.7 ? 0.65 : 0.1;
      break;
    case 'LATE_FEE_REFUND':
      p = callType === 'FEE_COMPLAINT' || callType === 'BILLING_DISPUTE' ? 0.85 : 0.35;
      break;
    case 'NEW_PRODUCT':
      p = 0.15;
      break;
    default:
      p = BY_TYPE_AND_SEGMENT[offer.type]?.[segment] ?? 0.25;
  }
  return Math.min(0.95, p * (CALL_FACTOR[callType] ?? 1));
}
