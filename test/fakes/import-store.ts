import type { AccountImportStore } from '../../shared/ports';
import type { Account } from '../../shared/schemas/account';

/** An in-memory AccountImportStore with the `asOf` guard. */
export function memoryImportStore() {
  const accounts = new Map<string, Account>();
  const store: AccountImportStore = {
    async upsert(a) {
      const old = accounts.get(a.accountId);
      if (old && old.asOf! > a.asOf!) return 'stale';
      if (old && old.asOf === a.asOf) return 'unchanged';
      accounts.set(a.accountId, a);
      return 'imported';
    },
    async applyEvent() {
      return 'unknown-account';
    },
  };
  return { accounts, store };
}
