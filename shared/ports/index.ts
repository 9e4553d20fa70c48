import type { KpiCell, KpiCounts } from '../domain/kpis';
import type { Problem } from '../domain/problems';
import type { RateCharge } from '../domain/rate-limits';
import type { Move, Placements } from '../domain/strategies';
import type { BudgetBook, TurnWrites } from '../domain/turn';
import type { Account } from '../schemas/account';
import type { TurnInput } from '../schemas/api';
import type { DecisionConfig } from '../schemas/config';
import type { Contact, OfferLogEvent, Route } from '../schemas/contact';
import type { ActivationHow, ActivationRecord, PendingActivation } from '../schemas/governance';
import type { ActedBy } from '../schemas/identity';
import type { AccountEvent } from '../schemas/import';

export interface ContactStore {
  get(contactId: string): Promise<Contact | undefined>;
}

export interface AccountStore {
  get(accountId: string): Promise<Account | undefined>;
  findByPhone(phone: string): Promise<Account | undefined>;
}

/** The active decision configuration (segments, routing, catalog); implementations cache it. */
export interface ConfigSource {
  active(): Promise<DecisionConfig>;
}

export type { AccountVerificationUpdate } from '../domain/turn';

/** One turn's write: the next contact and what the decision writes with it (see TurnWrites). */
export type TurnWrite = { contact: Contact } & TurnWrites;

/** What a turn's write came to: stored, or nothing stored and why. */
export type SaveOutcome =
  | 'saved'
  | 'conflict'
  /** The account's verification counters or record changed since the contact's copy: nothing stored. */
  | 'account-changed'
  | 'budget-exhausted'
  /** The account's placement changed since the start read it (another writer placed it): nothing stored. */
  | 'placement-changed'
  | { kind: 'rate-limited'; charge: RateCharge };

/** Stores one turn atomically: all of it, or nothing and why ('conflict': the contact or account changed). */
export interface TurnStore {
  save(write: TurnWrite): Promise<SaveOutcome>;
  /**
   * Replaces a contact's copy of its account (after the account moved under it), as a new version
   * of the contact: 'conflict' if the contact is no longer at `expectedVersion`.
   */
  refreshAccountCopy(
    contactId: string,
    expectedVersion: number,
    copy: NonNullable<Contact['account']>,
    /** The attempt still counts against its rate limits, in the same write. */
    rate?: readonly RateCharge[],
  ): Promise<'refreshed' | 'conflict' | { kind: 'rate-limited'; charge: RateCharge }>;
}

/**
 * Budget and learning counters, read with keys that need nothing but the request and the clock (so
 * they are read in the turn's one round trip). Implementations may cache briefly: they decide what is
 * shown and how it ranks; a budget accept is checked exactly in its transaction.
 */
export interface CounterStore {
  /** This period's budget use of every budgeted offer (today's and this month's). */
  budgets(now: string): Promise<BudgetBook>;
  /**
   * The propensity model state (shared/domain/propensity.ts) as stored, unchecked: the turn
   * validates it. Cached briefly; the learner updates it off the turn's path.
   */
  propensity(): Promise<unknown>;
}

export type TurnOutput =
  | { outcome: 'ok'; action: TurnInput['action']; contact: Contact }
  | { outcome: 'rejected'; problem: Problem }
  | { outcome: 'fallback'; failedAt: string; error: string; route: Route };

/** Runs one turn through the retention-call state machine (StartSyncExecution on AWS, in-process locally). */
export interface TurnRunner {
  run(input: TurnInput): Promise<TurnOutput>;
}

export interface ConfigVersionSummary {
  version: string;
  createdAt: string;
  /** Who created it (absent on versions stored before authors were recorded, and on the seed). */
  createdBy?: ActedBy;
  /** When and by whom it was approved (four eyes: never its author); absent until then. */
  approvedAt?: string;
  approvedBy?: ActedBy;
}

/** The active configuration, with the activations that led to it (the rollback stack, newest last). */
export interface ActiveConfig {
  version: string;
  activatedAt: string;
  activatedBy?: ActedBy;
  config: DecisionConfig;
  history: ActivationRecord[];
  /** Bumped by every activation: the next one is written only over the revision it read. */
  revision?: number;
}

/** One activation's write: the new active version over the revision read, with its history and audit. */
export interface ActivationWrite {
  version: string;
  now: string;
  by?: ActedBy;
  how: ActivationHow;
  /** The active configuration's revision the change was decided on (absent: none had one). */
  expectedRevision: number | undefined;
  /** The history after this activation (the domain computes it: a push, or a rollback's pop). */
  history: ActivationRecord[];
  /** Refuse unless the version is approved (not for a rollback or the kill switch). */
  requireApproval: boolean;
  /** A scheduled activation carried out: its pending item, removed in the same write. */
  pendingId?: string;
  audit?: AuditEntry;
}

/**
 * Versioned configuration: versions are immutable once created (but for their approval); one is active
 * (a copy, read per turn). Every change is one conditional write with its audit entry.
 */
export interface ConfigAdmin {
  active(): Promise<ActiveConfig | undefined>;
  list(): Promise<ConfigVersionSummary[]>;
  get(version: string): Promise<(ConfigVersionSummary & { config: DecisionConfig }) | undefined>;
  /** Stores a new version; 'exists' if that version id is taken (nothing is overwritten). */
  create(
    config: DecisionConfig,
    now: string,
    by?: ActedBy,
    audit?: AuditEntry,
  ): Promise<'created' | 'exists'>;
  /** Records the approval, if the version exists, is not approved yet and `by` is not its author. */
  approve(version: string, now: string, by: ActedBy, audit: AuditEntry): Promise<'approved' | 'conflict'>;
  /**
   * Makes a stored version the active one, in one transaction with its pointer, history and audit
   * entry: 'missing' (no such version), 'unapproved', 'conflict' (another activation came first: the
   * revision moved), 'not-pending' (the scheduled activation was cancelled meanwhile).
   */
  activate(
    change: ActivationWrite,
  ): Promise<'activated' | 'missing' | 'unapproved' | 'conflict' | 'not-pending'>;
  /** The pending (scheduled) activation, if any. */
  pending(): Promise<PendingActivation | undefined>;
  /** Records a pending activation of an approved version; 'exists' when one is pending already. */
  schedule(p: PendingActivation, audit: AuditEntry): Promise<'scheduled' | 'exists' | 'unapproved'>;
  /** Removes the pending activation `id`; 'none' when it is no longer there (carried out, cancelled). */
  cancel(id: string, audit: AuditEntry): Promise<'cancelled' | 'none'>;
}

/** A change a desk person made outside a configuration version (segment tags): who, when, what. */
export type AuditEntry = TagAuditEntry | ErasureAuditEntry | KillSwitchAuditEntry | ConfigAuditEntry;
/**
 * A configuration version's governance: created, approved, activated (now, by the schedule, by a
 * rollback), an activation scheduled or cancelled. `by` is who asked (for a scheduled activation, who
 * scheduled it); `previousVersion` the version active before an activation or rollback.
 */
export interface ConfigAuditEntry {
  at: string;
  by: ActedBy;
  action:
    | 'config-create'
    | 'config-approve'
    | 'config-activate'
    | 'config-rollback'
    | 'config-schedule'
    | 'config-cancel';
  /** The configuration version. */
  subject: string;
  previousVersion?: string;
  how?: ActivationHow;
  /** A scheduled activation's time (schedule, cancel, and the activation it became). */
  scheduledFor?: string;
  /** Why a pending activation was dropped without a person asking (it was already active). */
  reason?: string;
}
/** The kill switch turned on or off: the version that did it, the one it replaced, and why. */
export interface KillSwitchAuditEntry {
  at: string;
  by: ActedBy;
  action: 'kill-switch-on' | 'kill-switch-off';
  /** The configuration version created and activated for it. */
  subject: string;
  previousVersion: string;
  reason: string;
}
export interface TagAuditEntry {
  at: string;
  by: ActedBy;
  action: 'tag' | 'untag';
  /** The tag. */
  subject: string;
  accountIds: string[];
}
/** An account erased: its pseudonym (never the account id) and what was removed. */
export interface ErasureAuditEntry {
  at: string;
  by: ActedBy;
  action: 'erase';
  /** The pseudonym the account's offer-log entries now carry. */
  subject: string;
  counts: ErasureCounts;
}

/** What an erasure removed or rewrote: counted when it started, before anything was changed. */
export interface ErasureCounts {
  accounts: number;
  phoneAliases: number;
  contacts: number;
  offerLogEntries: number;
  policyCounters: number;
}

/** An erasure's own record, keyed by the pseudonym: lets a repeat resume it or answer its result. */
export interface ErasureRecord {
  pseudonym: string;
  status: 'IN_PROGRESS' | 'DONE';
  startedAt: string;
  by: ActedBy;
  counts: ErasureCounts;
  completedAt?: string;
}

/** An offer-log entry's key, and the offer it names (for the account's contact-policy counters). */
export interface OfferLogRef {
  contactId: string;
  seq: number;
  offerId?: string;
}

/**
 * The storage side of erasing one account. Every write is idempotent (a delete of what is gone, a
 * rewrite of an entry already rewritten, change nothing), so an interrupted erasure is repeated whole.
 */
export interface ErasureStore {
  record(pseudonym: string): Promise<ErasureRecord | undefined>;
  /** Puts the record; 'exists' when `status` is IN_PROGRESS and a record is already there. */
  saveRecord(r: ErasureRecord): Promise<'saved' | 'exists'>;
  /** The account's other phone numbers (its alias items), or undefined when it is gone. */
  account(accountId: string): Promise<{ otherPhones: string[] } | undefined>;
  /** Deletes the account and its phone alias items in one transaction. */
  deleteAccount(accountId: string, otherPhones: readonly string[]): Promise<void>;
  contactIds(accountId: string): Promise<string[]>;
  /** Deletes these contacts where they still belong to the account. */
  deleteContacts(accountId: string, contactIds: readonly string[]): Promise<void>;
  /** Offer-log entries whose accountId is this value (an account id, or a pseudonym). */
  offerLog(accountId: string): Promise<OfferLogRef[]>;
  /** Rewrites the entries' accountId to the pseudonym where it still is the account id. */
  pseudonymise(entries: readonly OfferLogRef[], accountId: string, pseudonym: string): Promise<void>;
  /** Of the account's contact-policy counters for these offers, those that exist. */
  policyCounters(accountId: string, offerIds: readonly string[]): Promise<string[]>;
  deletePolicyCounters(accountId: string, offerIds: readonly string[]): Promise<void>;
}

/** Append-only record of who changed what. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
}
/** The audit log read back: one month (`YYYY-MM`), oldest first. */
export interface AuditReader {
  month(yyyyMm: string): Promise<AuditEntry[]>;
}

/** Segment tags set by other systems: adding a tag twice, or removing one that is absent, changes nothing. */
export interface AccountTagger {
  setTag(accountId: string, tag: string, present: boolean): Promise<'done' | 'unknown-account'>;
}

/** Writes imported accounts: only a newer record replaces an account; its verification counters, tags and contact dates are kept. */
export interface AccountImportStore {
  /** Writes an imported account (newer records only); with a placer, placed in the same write. */
  upsert(
    account: Account,
    placer?: (after: Account, cause: string) => { placements: Placements; moves: Move[] },
  ): Promise<'imported' | 'unchanged' | 'stale'>;
  /**
   * Applies one change if the account exists and the change is newer than what it holds; with a
   * placer, places the account as the change leaves it, in the same write (funnels counted with it).
   */
  applyEvent(
    event: AccountEvent,
    placer?: (after: Account, cause: string) => { placements: Placements; moves: Move[] },
  ): Promise<'applied' | 'stale' | 'unknown-account'>;
}

/** Where import files arrive and reports go: an S3 bucket on AWS, a folder in tests. */
export interface ObjectStore {
  /** The object's text, line by line, streamed. */
  lines(key: string): AsyncIterable<string>;
  put(key: string, body: string, contentType: string): Promise<void>;
}

/** One offer-log record from the log's stream: its sequence number in the shard, and the event (none if unreadable). */
export interface StreamedEvent {
  sequenceNumber: string;
  event: OfferLogEvent | undefined;
}

export interface KpiApplied {
  /** Records added to the aggregates by this call. */
  counted: number;
  /** Records at or before the shard's checkpoint: counted before (a redelivery), skipped. */
  alreadyCounted: number;
  /** Transactions written. */
  writes: number;
}

/** The KPI report's daily aggregates: fed from the offer log's stream, each record counted once. */
export interface PropensityApplied {
  /** Answers learned by this call. */
  learned: number;
  /** Records at or before the shard's checkpoint: learned before (a redelivery), skipped. */
  alreadyLearned: number;
  /** Other records of the log (presentations, closures, synthetic answers): nothing to learn. */
  passed: number;
  /** Transactions written. */
  writes: number;
}

/**
 * The propensity models, one per offer, kept by the learner from the offer log's stream: each
 * answer learned exactly once (a checkpoint per shard moved in the same transaction as the models
 * it changed, each model written only if it is still the version read).
 */
export interface PropensityStore {
  apply(shardId: string, records: readonly StreamedEvent[], nowEpochS: number): Promise<PropensityApplied>;
}

export interface KpiStore {
  apply(shardId: string, records: readonly StreamedEvent[], nowEpochS: number): Promise<KpiApplied>;
  cells(from: string, to: string): Promise<{ cell: KpiCell; counts: KpiCounts }[]>;
}

/** One segment of a portfolio placement (a parallel scan's segment): how far it got. */
export interface SegmentProgress {
  segment: number;
  totalSegments: number;
  cause: string;
  startedAt: string;
  updatedAt: string;
  scanned: number;
  moved: number;
  done: boolean;
}

/** Where portfolio placements record their progress (the funnel says how far placing has got). */
export interface PlacementProgress {
  record(configVersion: string, p: SegmentProgress): Promise<void>;
  progress(configVersion: string, totalSegments: number): Promise<SegmentProgress[]>;
}

/** Starts the placement of the whole portfolio (every segment), without waiting for it. */
export interface PortfolioPlacement {
  start(cause: string): Promise<void>;
}
