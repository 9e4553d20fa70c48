import type {
  AccountStore,
  ConfigSource,
  ContactStore,
  SaveOutcome,
  TurnStore,
  TurnWrite,
} from '../../shared/ports';
import type { Account } from '../../shared/schemas/account';
import type { DecisionConfig } from '../../shared/schemas/config';
import type { Contact, OfferLogEvent } from '../../shared/schemas/contact';
import { config as defaultConfig } from './accounts';

/** In-memory ports with the same conditional semantics as the DynamoDB adapters. */
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
  async save(w: TurnWrite): Promise<SaveOutcome> {
    for (const r of w.rate ?? []) {
      if ((this.rates.get(`${r.scope}#${r.subject}#${r.windowStart}`) ?? 0) >= r.max)
        return { kind: 'rate-limited', charge: r };
    }
    const stored = this.contacts.get(w.contact.contactId);
    if (w.expectedVersion === undefined ? stored !== undefined : stored?.version !== w.expectedVersion)
      return 'conflict';
    if (w.account) {
      const a = this.accounts.get(w.account.accountId);
      if (
        !a ||
        a.verification.failures !== w.account.expected.failures ||
        (a.verification.attempts ?? 0) !== w.account.expected.attempts ||
        a.verification.lockedUntil !== w.account.expected.lockedUntil
      )
        return 'conflict';
      const { lockedUntil: _old, ...rest } = a.verification;
      a.verification = {
        ...rest,
        failures: w.account.next.failures,
        attempts: w.account.next.attempts,
        ...(w.account.next.lockedUntil ? { lockedUntil: w.account.next.lockedUntil } : {}),
      };
    }
    for (const r of w.rate ?? []) {
      const k = `${r.scope}#${r.subject}#${r.windowStart}`;
      this.rates.set(k, (this.rates.get(k) ?? 0) + 1);
    }
    this.contacts.set(w.contact.contactId, structuredClone(w.contact));
    this.log.push(...structuredClone(w.log));
    this.saves++;
    return 'saved';
  }
}

export const fixedConfig = (config: DecisionConfig = defaultConfig): ConfigSource => ({
  active: async () => config,
});
