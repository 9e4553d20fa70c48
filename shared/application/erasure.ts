import { createHmac } from 'node:crypto';
import type { AuditLog, ErasureCounts, ErasureRecord, ErasureStore } from '../ports';
import type { ActedBy } from '../schemas/identity';

/**
 * The pseudonym of an erased account: a keyed hash of its id (HMAC-SHA-256 with the erasure key,
 * 128 bits in hex). Stable, so a repeated or resumed erasure finds its own record and every entry
 * of the account carries the same one (reports that count customers stay exact); `#` is not allowed
 * in an account id, so a pseudonym never meets an account. Without the key it names nobody.
 */
export const pseudonymOf = (accountId: string, key: string) =>
  `ERASED#${createHmac('sha256', key).update(`erasure:${accountId}`).digest('hex').slice(0, 32)}`;

export interface ErasureDeps {
  store: ErasureStore;
  audit: AuditLog;
  key: () => Promise<string>;
}

export type ErasureResult =
  | { kind: 'unknown-account' }
  | {
      kind: 'erased';
      body: {
        status: 'ERASED';
        pseudonym: string;
        startedAt: string;
        erasedAt: string;
        erasedBy: ActedBy;
        counts: ErasureCounts;
      };
    };

const distinctOffers = (refs: readonly { offerId?: string }[]) => [
  ...new Set(refs.flatMap((r) => (r.offerId ? [r.offerId] : []))),
];

/**
 * Everything that still names the account, removed or rewritten. Each step is idempotent and
 * finds its work afresh, so a repeat completes what an interrupted run left. Order matters: the
 * account (with its phone aliases) goes first, so no new contact can find it; then its contacts,
 * so no turn in flight can save (each save is conditional on its contact); then the offer log and
 * the contact-policy counters those turns wrote. The offer names of the counters come from the
 * log, found by account id and by pseudonym (entries already rewritten by an earlier run).
 */
async function sweep(store: ErasureStore, accountId: string, pseudonym: string): Promise<void> {
  const account = await store.account(accountId);
  if (account) await store.deleteAccount(accountId, account.otherPhones);
  await store.deleteContacts(accountId, await store.contactIds(accountId));
  const [named, rewritten] = await Promise.all([store.offerLog(accountId), store.offerLog(pseudonym)]);
  await store.pseudonymise(named, accountId, pseudonym);
  await store.deletePolicyCounters(accountId, distinctOffers([...named, ...rewritten]));
}

/** What the account holds before anything is changed: the counts the erasure reports. */
async function inventory(store: ErasureStore, accountId: string): Promise<ErasureCounts | undefined> {
  const account = await store.account(accountId);
  if (!account) return undefined;
  const [contacts, log] = await Promise.all([store.contactIds(accountId), store.offerLog(accountId)]);
  const counters = await store.policyCounters(accountId, distinctOffers(log));
  return {
    accounts: 1,
    phoneAliases: account.otherPhones.length,
    contacts: contacts.length,
    offerLogEntries: log.length,
    policyCounters: counters.length,
  };
}

const view = (r: ErasureRecord): Extract<ErasureResult, { kind: 'erased' }> => ({
  kind: 'erased',
  body: {
    status: 'ERASED',
    pseudonym: r.pseudonym,
    startedAt: r.startedAt,
    erasedAt: r.completedAt ?? r.startedAt,
    erasedBy: r.by,
    // In a fixed order: a repeat answers the same bytes, whatever order the stored map comes back in.
    counts: {
      accounts: r.counts.accounts,
      phoneAliases: r.counts.phoneAliases,
      contacts: r.counts.contacts,
      offerLogEntries: r.counts.offerLogEntries,
      policyCounters: r.counts.policyCounters,
    },
  },
});

/**
 * Erases one account on the customer's request. A first run records the erasure (pseudonym, who,
 * counts) before it changes anything; a repeat of a finished erasure sweeps again (a turn that was
 * in flight may have written since) and answers the same result; a repeat of an interrupted one
 * completes it. The audit entry is written before the erasure is marked done: at least once.
 */
export async function eraseAccount(
  accountId: string,
  by: ActedBy,
  now: string,
  deps: ErasureDeps,
): Promise<ErasureResult> {
  const { store } = deps;
  const pseudonym = pseudonymOf(accountId, await deps.key());
  let record = await store.record(pseudonym);
  if (!record) {
    const counts = await inventory(store, accountId);
    if (!counts) return { kind: 'unknown-account' };
    const draft: ErasureRecord = { pseudonym, status: 'IN_PROGRESS', startedAt: now, by, counts };
    // Two erasures at once: the one that recorded first owns the counts; both sweep.
    record = (await store.saveRecord(draft)) === 'saved' ? draft : await store.record(pseudonym);
    if (!record) throw new Error('The erasure record vanished while it was being written');
  }
  await sweep(store, accountId, pseudonym);
  if (record.status === 'DONE') return view(record);
  await deps.audit.record({ at: now, by, action: 'erase', subject: pseudonym, counts: record.counts });
  const done: ErasureRecord = { ...record, status: 'DONE', completedAt: now };
  await store.saveRecord(done);
  return view(done);
}
