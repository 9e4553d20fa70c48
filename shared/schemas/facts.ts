import * as z from 'zod';
import { lazy } from './lazy';

/** The facts a decision may read: numbers, one string, one list. Computed from the account. */
export const NUMERIC_FACTS = [
  'tenureMonths',
  'annualSpend',
  'spendLast3m',
  'spendTrend',
  'fullPayRatio',
  'latePayments',
  'missedPayments',
  'revolvingBalance',
  'utilization',
  'creditLimit',
  'annualFee',
  'apr',
  'rewardsRate',
  'annualRevenue',
  'annualProfit',
  'expectedLoss',
  'lifetimeValue',
  'riskScore',
  'contactsLast12m',
  'travelShare',
  'diningShare',
  'groceriesShare',
  'fuelShare',
  'onlineShare',
  /** The active churn model's score of the account (0 with no model): shared/domain/churn.ts. */
  'churnRisk',
] as const;
export type NumericFact = (typeof NUMERIC_FACTS)[number];
export const NumericFactSchema = lazy(() => z.enum(NUMERIC_FACTS));
