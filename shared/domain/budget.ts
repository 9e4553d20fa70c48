import type { Offer } from '../schemas/config';

/** What an offer has used of its budget in the current period. */
export interface BudgetUsage {
  accepts: number;
  cost: number;
}
export type Budget = NonNullable<Offer['budget']>;

/** The counter an accept of `offer` at `now` adds to: one per offer and UTC period. */
export function budgetKey(offerId: string, budget: Budget, now: string): string {
  return `BUDGET#${offerId}#${budget.period === 'DAY' ? now.slice(0, 10) : now.slice(0, 7)}`;
}

/** When the period's counter may be forgotten (epoch seconds): a day after the period ends. */
export function budgetExpiry(budget: Budget, now: string): number {
  const d = new Date(`${now.slice(0, 10)}T00:00:00.000Z`);
  if (budget.period === 'DAY') d.setUTCDate(d.getUTCDate() + 2);
  else d.setUTCMonth(d.getUTCMonth() + 1, 2);
  return Math.floor(d.getTime() / 1000);
}

/** Whether one more accept costing `cost` stays within the budget. */
export function withinBudget(budget: Budget, used: BudgetUsage, cost: number): boolean {
  if (budget.maxAccepts !== undefined && used.accepts + 1 > budget.maxAccepts) return false;
  if (budget.maxCost !== undefined && used.cost + cost > budget.maxCost) return false;
  return true;
}
