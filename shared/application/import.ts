import { hashFactor } from '../domain/verification';
import { zipTimeZone } from '../domain/zip-time-zone';
import type { AccountImportStore } from '../ports';
import { type Account, TimeZoneSchema } from '../schemas/account';
import { AccountEventSchema, type ImportRecord, ImportRecordSchema } from '../schemas/import';
import type { Placer } from './strategies';
import { type ValidationError, zodErrors } from './validation';

export interface Reject {
  line: number;
  path: string;
  message: string;
}
export interface ImportDeps {
  store: AccountImportStore;
  /** A fresh salt per account. */
  salt: () => string;
  /** The secret the factor hashes are keyed with. */
  pepper: string;
  /** Accounts written at once (8 by default). */
  concurrency?: number;
  /** The active strategies: each account written is placed in the same write. */
  placer?: Placer;
}
export interface ImportCounts {
  read: number;
  imported: number;
  unchanged: number;
  stale: number;
  rejected: number;
}

/**
 * The customer's time zone: the record's, else the one of its ZIP code (the ZIP itself is only kept
 * hashed, so it is derived here, at import); none for a ZIP the table does not know.
 */
function timeZoneOf(r: ImportRecord): { timeZone?: string } {
  if (r.timeZone) return { timeZone: r.timeZone };
  const tz = zipTimeZone(r.verification.zip);
  return tz && TimeZoneSchema.safeParse(tz).success ? { timeZone: tz } : {};
}

/** The stored account: factors salted, peppered and hashed here, the name dropped. */
export function toAccount(r: ImportRecord, salt: string, pepper: string): Account {
  const v = r.verification;
  return {
    accountId: r.accountId,
    customerId: r.customerId,
    phone: r.phones[0]!,
    ...(r.phones.length > 1
      ? { otherPhones: [...new Set(r.phones.slice(1))].filter((p) => p !== r.phones[0]) }
      : {}),
    openedOn: r.openedOn,
    product: r.product,
    creditLimit: r.creditLimit,
    balance: r.balance,
    revolvingBalance: r.revolvingBalance,
    monthlySpend: r.monthlySpend,
    spendByCategory: r.spendByCategory,
    ...(r.transactionsByCategory ? { transactionsByCategory: r.transactionsByCategory } : {}),
    payments: r.payments,
    ...(r.monthlyTransactions ? { monthlyTransactions: r.monthlyTransactions } : {}),
    ...(r.contacts12m !== undefined ? { contacts12m: r.contacts12m } : {}),
    revenue12m: r.revenue12m,
    cost12m: r.cost12m,
    riskScore: r.riskScore,
    flags: r.flags,
    productsHeld: r.productsHeld,
    ...(r.tags?.length ? { tags: r.tags } : {}),
    ...timeZoneOf(r),
    ...(r.consent ? { consent: r.consent } : {}),
    asOf: r.asOf,
    verification: {
      salt,
      last4Hash: hashFactor(pepper, salt, 'last4', v.last4),
      zipHash: hashFactor(pepper, salt, 'zip', v.zip),
      dobHash: hashFactor(pepper, salt, 'dob', v.dob),
      ...(v.pin ? { pinHash: hashFactor(pepper, salt, 'pin', v.pin) } : {}),
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
  deps: ImportDeps,
): Promise<ImportCounts & { rejects: Reject[] }> {
  const counts: ImportCounts = { read: records.length, imported: 0, unchanged: 0, stale: 0, rejected: 0 };
  const rejects: Reject[] = [];
  const valid: Array<{ account: Account }> = [];
  records.forEach((raw, i) => {
    const r = ImportRecordSchema.safeParse(raw);
    if (r.success) valid.push({ account: toAccount(r.data, deps.salt(), deps.pepper) });
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
      for (const account of queue[next++]!) counts[await deps.store.upsert(account, deps.placer)]++;
    }
  };
  await Promise.all(Array.from({ length: deps.concurrency ?? 8 }, worker));
  return { ...counts, rejects };
}

export type EventOutcome =
  | { result: 'applied' | 'stale' | 'unknown-account' }
  | { result: 'rejected'; errors: ValidationError[] };

/** One change event: validated (a bad one is rejected with its field paths), then applied under the `asOf` guard. */
export async function applyAccountEvent(
  raw: unknown,
  store: AccountImportStore,
  placer?: Placer,
): Promise<EventOutcome> {
  const e = AccountEventSchema.safeParse(raw);
  if (!e.success) return { result: 'rejected', errors: zodErrors(e.error, '') };
  return { result: await store.applyEvent(e.data, placer) };
}
