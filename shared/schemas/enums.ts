import * as z from 'zod';
import { lazy } from './lazy';

/**
 * The closed vocabularies of the contract: call types, queues, stages, offer types, verification
 * states. Apart from ./config (which re-exports them) so that a function that only names them
 * (the channels, the contact and API schemas) loads neither the configuration's schemas nor the
 * expression language (CEL) they check expressions with.
 */
export const CALL_TYPES = [
  'CLOSE_ACCOUNT',
  'FEE_COMPLAINT',
  'RATE_COMPLAINT',
  'COMPETITOR_OFFER',
  'REWARDS_DISSATISFACTION',
  'LOST_OR_STOLEN',
  'FRAUD_REPORT',
  'BILLING_DISPUTE',
  'GENERAL_INQUIRY',
] as const;
export const CallTypeSchema = lazy(() => z.enum(CALL_TYPES));
export type CallType = z.infer<typeof CallTypeSchema>;

export const QUEUES = [
  'RETENTION_SPECIALIST',
  'VIP_RETENTION',
  'FRAUD',
  'COLLECTIONS',
  'SECURITY',
  'GENERAL_SERVICE',
] as const;
export const QueueSchema = lazy(() => z.enum(QUEUES));
export type Queue = z.infer<typeof QueueSchema>;

export const OFFER_TYPES = [
  'FEE_WAIVER',
  'STATEMENT_CREDIT',
  'APR_REDUCTION',
  'BONUS_POINTS',
  'CREDIT_LINE_INCREASE',
  'PRODUCT_CHANGE',
  'LATE_FEE_REFUND',
  'NEW_PRODUCT',
] as const;

export const STAGES = [
  'VERIFY',
  'OFFER',
  'RETAINED',
  'RESOLVED',
  'CROSS_SELL',
  'CROSS_SOLD',
  'CLOSED',
  'UNIDENTIFIED',
  'LOCKED',
  'ROUTED',
] as const;
export const StageSchema = lazy(() => z.enum(STAGES));
export type Stage = z.infer<typeof StageSchema>;

export const VERIFICATION_STATES = ['PENDING', 'VERIFIED', 'LOCKED'] as const;
