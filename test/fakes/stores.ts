import type { RateCharge } from '../../shared/domain/rate-limits';
import { type BudgetBook, budgetPeriods } from '../../shared/domain/turn';
import type {
  AccountStore,
  ConfigSource,
  ContactStore,
  CounterStore,
  SaveOutcome,
  TurnStore,
  TurnWrite,
} from '../../shared/ports';
import type { Account } from '../../shared/schemas/account';
import type { DecisionConfig } from '../../shared/schemas/config';
import type { Contact, OfferLogEvent } from '../../shared/schemas/contact';
import { config as defaultConfig } from './accounts';

/**
 * In-memory ports with the same conditional semantics as the DynamoDB adapters: the contact's version,
 * the account's verification counters and asOf, budget caps, rate limits; answers learned, offer
 * histories and budget use are kept and read back as the adapters do.
 */
export class MemoryStores implements ContactStore, TurnStore {
  contacts = new Map<string, Contact>();
  accounts = new Map<string, Account>();
  log: OfferLogEvent[] = [];
  saves = 0;

  constructor(accounts: Account[] = []) {
    for (const a of accounts) this.accounts.set(a.accountId, structuredClone(a));
  }
  async get(contactId: string) {
    const c = this.contacts.get(contactId);
    return c && structuredClone(c);
  }
  readonly accountStore: AccountStore = {
    get: async (id) => structuredClone(this.accounts.get(id)),
    findByPhone: async (phone) => {
      const hits = [...this.accounts.values()].filter(
        (a) => a.phone === phone || (a.otherPhones ?? []).includes(phone),
      );
      return hits.length === 1 ? structuredClone(hits[0]) : undefined;
    },
  };
  /** Rate-limit counters by scope, subject and window, as the DynamoDB adapter keeps them. */
  rates = new Map<string, number>();
  /** Budget use by period (`DAY#2026-12-01`, `MONTH#2026-12`), then offer. */
  budgetUse = new Map<string, Record<string, { accepts: number; cost: number }>>();
  /** The propensity model state the turn reads (the learner's, as stored). */
  propensityState: unknown = undefined;
  readonly counters: CounterStore = {
    budgets: async (now) => {
      const p = budgetPeriods(now);
      const book: BudgetBook = {};
      const day = this.budgetUse.get(`DAY#${p.DAY}`);
      const month = this.budgetUse.get(`MONTH#${p.MONTH}`);
      if (day) book.DAY = structuredClone(day);
      if (month) book.MONTH = structuredClone(month);
      return book;
    },
    propensity: async () => structuredClone(this.propensityState),
  };
  private readonly rateKey = (r: RateCharge) => `${r.scope}#${r.subject}#${r.windowStart}`;
  /** The first charge that would pass its window's limit, as the adapter's condition finds it. */
  private overLimit(rate: readonly RateCharge[]) {
    return rate.find((r) => (this.rates.get(this.rateKey(r)) ?? 0) >= r.max);
  }
  private charge(rate: readonly RateCharge[]) {
    for (const r of rate) this.rates.set(this.rateKey(r), (this.rates.get(this.rateKey(r)) ?? 0) + 1);
  }
  async save(w: TurnWrite): Promise<SaveOutcome> {
    const over = this.overLimit(w.rate ?? []);
    if (over) return { kind: 'rate-limited', charge: over };
    const stored = this.contacts.get(w.contact.contactId);
    if (w.expectedVersion === undefined ? stored !== undefined : stored?.version !== w.expectedVersion)
      return 'conflict';
    const b = w.budget;
    const period = b ? (this.budgetUse.get(`${b.period}#${b.periodStart}`) ?? {}) : {};
    if (b) {
      const used = period[b.offerId] ?? { accepts: 0, cost: 0 };
      if (b.maxAccepts !== undefined && used.accepts >= b.maxAccepts) return 'budget-exhausted';
      if (b.maxCost !== undefined && used.cost + b.cost > b.maxCost) return 'budget-exhausted';
    }
    if (w.account) {
      const a = this.accounts.get(w.account.accountId);
      if (
        !a ||
        a.verification.failures !== w.account.expected.failures ||
        (a.verification.attempts ?? 0) !== w.account.expected.attempts ||
        a.verification.lockedUntil !== w.account.expected.lockedUntil ||
        a.asOf !== w.account.expected.asOf
      )
        return 'account-changed';
      const { lockedUntil: _old, ...rest } = a.verification;
      a.verification = {
        ...rest,
        failures: w.account.next.failures,
        attempts: w.account.next.attempts,
        ...(w.account.next.lockedUntil ? { lockedUntil: w.account.next.lockedUntil } : {}),
      };
    }
    this.charge(w.rate ?? []);
    if (b) {
      const used = period[b.offerId] ?? { accepts: 0, cost: 0 };
      period[b.offerId] = { accepts: used.accepts + 1, cost: used.cost + b.cost };
      this.budgetUse.set(`${b.period}#${b.periodStart}`, period);
    }
    for (const h of w.history ?? []) {
      const a = this.accounts.get(h.accountId);
      if (!a) continue;
      const before = a.offerHistory?.[h.offerId] ?? { presentations: 0 };
      a.offerHistory = {
        ...a.offerHistory,
        [h.offerId]: {
          ...before,
          presentations: before.presentations + h.presented,
          ...(h.declinedAt ? { lastDeclinedAt: h.declinedAt } : {}),
        },
      };
    }
    if (w.placement) {
      const a = this.accounts.get(w.placement.accountId);
      if (a && a.placementSeq !== w.placement.expectedSeq) return 'placement-changed';
      if (a) {
        a.strategies = w.placement.placements;
        a.placementSeq = (w.placement.expectedSeq ?? 0) + 1;
      }
    }
    if (w.recordContact) {
      const a = this.accounts.get(w.recordContact.accountId);
      if (a) a.recentContacts = [...(a.recentContacts ?? []), w.recordContact.at];
    }
    this.contacts.set(w.contact.contactId, structuredClone(w.contact));
    this.log.push(...structuredClone(w.log));
    this.saves++;
    return 'saved';
  }
  async refreshAccountCopy(
    contactId: string,
    expectedVersion: number,
    copy: NonNullable<Contact['account']>,
    rate: readonly RateCharge[] = [],
  ) {
    const c = this.contacts.get(contactId);
    if (!c || c.version !== expectedVersion) return 'conflict' as const;
    const over = this.overLimit(rate);
    if (over) return { kind: 'rate-limited' as const, charge: over };
    this.charge(rate);
    this.contacts.set(contactId, { ...c, account: structuredClone(copy), version: c.version + 1 });
    return 'refreshed' as const;
  }
}

export const fixedConfig = (config: DecisionConfig = defaultConfig): ConfigSource => ({
  active: async () => config,
});
