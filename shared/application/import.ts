import { hashFactor } from '../domain/verification';
import type { AccountImportStore } from '../ports';
import type { Account } from '../schemas/account';
import { type ImportRecord, ImportRecordSchema } from '../schemas/import';

export interface Reject {
  line: number;
  path: string;
  message: string;
}
export interface ImportCounts {
  read: number;
  imported: number;
  unchanged: number;
  stale: number;
  rejected: number;
}

/** The stored account: factors salted and hashed here, the name and other phones dropped. */
export function toAccount(r: ImportRecord, salt: string): Account {
  const v = r.verification;
  return {
    accountId: r.accountId,
    customerId: r.customerId,
    phone: r.phones[0]!,
    openedOn: r.openedOn,
    product: r.product,
    creditLimit: r.creditLimit,
    balance: r.balance,
    revolvingBalance: r.revolvingBalance,
    monthlySpend: r.monthlySpend,
    spendByCategory: r.spendByCategory,
    ...(r.transactionsByCategory ? { transactionsByCategory: r.transactionsByCategory } : {}),
    payments: r.payments,
    revenue12m: r.revenue12m,
    cost12m: r.cost12m,
    riskScore: r.riskScore,
    flags: r.flags,
    productsHeld: r.productsHeld,
    ...(r.tags?.length ? { tags: r.tags } : {}),
    asOf: r.asOf,
    verification: {
      salt,
      last4Hash: hashFactor(salt, 'last4', v.last4),
      zipHash: hashFactor(salt, 'zip', v.zip),
      dobHash: hashFactor(salt, 'dob', v.dob),
      ...(v.pin ? { pinHash: hashFactor(salt, 'pin', v.pin) } : {}),
      failures: 0,
    },
  };
}

/**
 * Imports a batch: every record validated on its own (a bad one is rejected with its line, field
 * path and reason, the rest go on), then written under the `asOf` guard, a few at a time.
 */
export async function importBatch(
  records: readonly unknown[],
  firstLine: number,
  deps: { store: AccountImportStore; salt: () => string },
): Promise<ImportCounts & { rejects: Reject[] }> {
  const counts: ImportCounts = { read: records.length, imported: 0, unchanged: 0, stale: 0, rejected: 0 };
  const rejects: Reject[] = [];
  const valid: Array<{ account: Account }> = [];
  records.forEach((raw, i) => {
    const r = ImportRecordSchema.safeParse(raw);
    if (r.success) valid.push({ account: toAccount(r.data, deps.salt()) });
    else
      for (const issue of r.error.issues.slice(0, 5))
        rejects.push({
          line: firstLine + i,
          path:
            issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.') || '(record)',
          message: issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message,
        });
  });
  counts.rejected = new Set(rejects.map((r) => r.line)).size;
  // Records of one account are written one after the other, newest first, so the counts say
  // plainly which were stale; different accounts are written in parallel.
  const groups = new Map<string, Account[]>();
  for (const { account } of valid)
    groups.set(account.accountId, [...(groups.get(account.accountId) ?? []), account]);
  const queue = [...groups.values()].map((g) =>
    g.sort((a, b) => (a.asOf! < b.asOf! ? 1 : a.asOf! > b.asOf! ? -1 : 0)),
  );
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      for (const account of queue[next++]!) counts[await deps.store.upsert(account)]++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return { ...counts, rejects };
}
