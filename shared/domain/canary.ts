/**
 * The canary's account: a dedicated synthetic account the canary (functions/canary.ts) writes and
 * calls every few minutes. A start marked synthetic is honoured for it alone, so a mark set by mistake
 * (or by a compromised caller of the state machine) cannot hide a real customer's contact.
 */
export const CANARY_ACCOUNT_ID = 'CANARY-000001';
export const isCanaryAccount = (accountId: string | undefined): boolean => accountId === CANARY_ACCOUNT_ID;
