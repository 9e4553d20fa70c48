import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type BudgetBook, budgetPeriods } from '../../domain/turn';
import type { CounterStore } from '../../ports';
import { guard, TransientStorageError } from './client';
import { readPropensity } from './propensity';

/** Budget use of one period: `BUDGET#DAY#<YYYY-MM-DD>` or `BUDGET#MONTH#<YYYY-MM>`, one item for every offer. */
export const budgetItemKey = (period: 'DAY' | 'MONTH', periodStart: string) =>
  `BUDGET#${period}#${periodStart}`;
/**
 * When a period's budget item may be deleted (DynamoDB TTL, epoch seconds): a day after the period
 * ends (the 2nd day after a daily period, the 2nd of the next month after a monthly one).
 */
export function budgetItemExpiry(period: 'DAY' | 'MONTH', periodStart: string): number {
  const d = new Date(`${period === 'DAY' ? periodStart : `${periodStart}-01`}T00:00:00.000Z`);
  if (period === 'DAY') d.setUTCDate(d.getUTCDate() + 2);
  else d.setUTCMonth(d.getUTCMonth() + 1, 2);
  return Math.floor(d.getTime() / 1000);
}
export const ACCEPTS = 'accepts#';
export const COST = 'cost#';

/**
 * Counters with keys the request and the clock give: a period's budget use (one item per period, an
 * `accepts#` and a `cost#` attribute per offer) and the propensity models (the learning table: one
 * item per offer, read with one Query). Reads are cached for `ttlMs`.
 */
export class DynamoCounterStore implements CounterStore {
  private readonly cache = new Map<string, { at: number; value: unknown }>();
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { counters: string; learning: string },
    private readonly ttlMs = 5_000,
    private readonly clock: () => number = () => Date.now(),
  ) {}
  private async cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.clock();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < this.ttlMs) return hit.value as T;
    const value = await read();
    if (this.cache.size > 1_000) this.cache.clear();
    this.cache.set(key, { at: now, value });
    return value;
  }
  async budgets(now: string): Promise<BudgetBook> {
    const { DAY, MONTH } = budgetPeriods(now);
    const keys = { DAY: budgetItemKey('DAY', DAY), MONTH: budgetItemKey('MONTH', MONTH) };
    return this.cached(`${keys.DAY}|${keys.MONTH}`, async () => {
      const r = await guard(() =>
        this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tables.counters]: { Keys: [{ pk: keys.DAY }, { pk: keys.MONTH }] } },
          }),
        ),
      );
      if (Object.keys(r.UnprocessedKeys ?? {}).length > 0)
        throw new TransientStorageError('Budget counters left unread');
      const book: BudgetBook = {};
      for (const item of r.Responses?.[this.tables.counters] ?? []) {
        const period = item.pk === keys.DAY ? 'DAY' : 'MONTH';
        const use: Record<string, { accepts: number; cost: number }> = {};
        for (const [k, v] of Object.entries(item)) {
          const [prefix, field] = k.startsWith(ACCEPTS)
            ? [ACCEPTS, 'accepts']
            : k.startsWith(COST)
              ? [COST, 'cost']
              : [];
          if (!prefix) continue;
          const id = k.slice(prefix.length);
          use[id] = { accepts: 0, cost: 0, ...use[id], [field!]: Number(v) };
        }
        book[period] = use;
      }
      return book;
    });
  }
  async propensity(): Promise<unknown> {
    return this.cached('PROPENSITY', () => readPropensity(this.db, this.tables.learning));
  }
}
