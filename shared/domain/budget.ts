import type { Offer } from '../schemas/config';

/** What an offer has used of its budget in the current period. */
export interface BudgetUsage {
  accepts: number;
  cost: number;
}
export type Budget = NonNullable<Offer['budget']>;

/** The budget period `now` falls in: its UTC day (YYYY-MM-DD) or month (YYYY-MM). */
export function budgetPeriodStart(budget: Budget, now: string): string {
  return budget.period === 'DAY' ? now.slice(0, 10) : now.slice(0, 7);
}

/** Budget use as one decision looks it up: an offer in its period (a lookup key, not a storage key). */
export function budgetKey(offerId: string, budget: Budget, now: string): string {
  return `${offerId}@${budgetPeriodStart(budget, now)}`;
}

/** Whether one more accept costing `cost` stays within the budget. */
export function withinBudget(budget: Budget, used: BudgetUsage, cost: number): boolean {
  if (budget.maxAccepts !== undefined && used.accepts + 1 > budget.maxAccepts) return false;
  if (budget.maxCost !== undefined && used.cost + cost > budget.maxCost) return false;
  return true;
}
