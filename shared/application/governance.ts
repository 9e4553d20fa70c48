import { randomUUID } from 'node:crypto';
import { approvalVerdict, pushActivation, rollbackTarget, scheduleVerdict } from '../domain/governance';
import type {
  ActiveConfig,
  ConfigAdmin,
  ConfigAuditEntry,
  ConfigVersionSummary,
  PortfolioPlacement,
} from '../ports';
import type { DecisionConfig } from '../schemas/config';
import type { ActivationHow, ActivationRecord, PendingActivation } from '../schemas/governance';
import type { ActedBy } from '../schemas/identity';

/**
 * Governance of configuration versions (README "Governance"): a version is created by one person and
 * approved by another (four eyes) before it can be activated, now or at a time; the activation before
 * can be restored in one step (rollback). Every change is one conditional write with its audit entry,
 * so two changes racing leave the active configuration, its pointer and its history consistent: one
 * wins, the other is told so (`conflict`) and changed nothing.
 */

type Configs = Pick<
  ConfigAdmin,
  'active' | 'get' | 'create' | 'approve' | 'activate' | 'pending' | 'schedule' | 'cancel'
>;

/** Starts the portfolio's placement; a failure to start is reported, never fails what came before. */
export async function startPlacement(
  placement: PortfolioPlacement | undefined,
  cause: string,
): Promise<'started' | 'not started'> {
  if (!placement) return 'not started';
  try {
    await placement.start(cause);
    return 'started';
  } catch {
    return 'not started';
  }
}

const audit = (e: Omit<ConfigAuditEntry, 'at' | 'by'>, by: ActedBy, at: string): ConfigAuditEntry => ({
  at,
  by,
  ...e,
});

export async function createVersion(
  configs: Configs,
  config: DecisionConfig,
  by: ActedBy,
  now: string,
): Promise<'created' | 'exists'> {
  return configs.create(
    config,
    now,
    by,
    audit({ action: 'config-create', subject: config.version }, by, now),
  );
}

export type ApprovalResult =
  | { kind: 'approved'; version: string; approvedAt: string; approvedBy: ActedBy; createdBy?: ActedBy }
  | { kind: 'missing' }
  | { kind: 'own-version'; createdBy?: ActedBy }
  | { kind: 'already-approved'; approvedAt: string; approvedBy?: ActedBy };

/** Four eyes: anyone but the version's author approves it, once. */
export async function approveVersion(
  configs: Configs,
  version: string,
  by: ActedBy,
  now: string,
): Promise<ApprovalResult> {
  const explain = (v: ConfigVersionSummary | undefined): ApprovalResult => {
    if (!v) return { kind: 'missing' };
    const verdict = approvalVerdict(v, by);
    if (verdict.kind === 'own-version')
      return { kind: 'own-version', ...(v.createdBy ? { createdBy: v.createdBy } : {}) };
    if (verdict.kind === 'already-approved') return verdict;
    // The write refused what the read allowed: only a racing approval can do that.
    return { kind: 'already-approved', approvedAt: now };
  };
  const stored = await configs.get(version);
  if (!stored || approvalVerdict(stored, by).kind !== 'ok') return explain(stored);
  const r = await configs.approve(
    version,
    now,
    by,
    audit({ action: 'config-approve', subject: version }, by, now),
  );
  if (r === 'conflict') return explain(await configs.get(version));
  return {
    kind: 'approved',
    version,
    approvedAt: now,
    approvedBy: by,
    ...(stored.createdBy ? { createdBy: stored.createdBy } : {}),
  };
}

export type ActivationResult =
  | { kind: 'activated'; version: string; previousVersion?: string; history: ActivationRecord[] }
  | { kind: 'missing' }
  | { kind: 'unapproved' }
  | { kind: 'already-active' }
  /** A scheduled activation of this version is pending: cancel it, or let it happen. */
  | { kind: 'pending'; pending: PendingActivation }
  | { kind: 'conflict' }
  | { kind: 'not-pending' };

/**
 * Makes a version active over the active configuration read (its revision), pushing it on the history.
 * `requireApproval` is false only for the kill switch (a lever for a bad night, audited with its reason).
 */
export async function activateVersion(
  configs: Configs,
  change: {
    version: string;
    by: ActedBy;
    now: string;
    how: Exclude<ActivationHow, 'SEED' | 'ROLLBACK'>;
    requireApproval: boolean;
    /** The audit entry, when not the usual `config-activate` one (the kill switch's). */
    audit?: Parameters<ConfigAdmin['activate']>[0]['audit'];
    pending?: PendingActivation;
  },
  active?: ActiveConfig,
): Promise<ActivationResult> {
  const current = active ?? (await configs.active());
  if (current?.version === change.version) return { kind: 'already-active' };
  const history = pushActivation(current?.history ?? [], {
    version: change.version,
    activatedAt: change.now,
    activatedBy: change.by,
    how: change.how,
  });
  const r = await configs.activate({
    version: change.version,
    now: change.now,
    by: change.by,
    how: change.how,
    expectedRevision: current?.revision,
    history,
    requireApproval: change.requireApproval,
    ...(change.pending ? { pendingId: change.pending.id } : {}),
    audit:
      change.audit ??
      audit(
        {
          action: 'config-activate',
          subject: change.version,
          how: change.how,
          ...(current ? { previousVersion: current.version } : {}),
          ...(change.pending ? { scheduledFor: change.pending.at } : {}),
        },
        change.by,
        change.now,
      ),
  });
  if (r !== 'activated') return { kind: r };
  return {
    kind: 'activated',
    version: change.version,
    ...(current ? { previousVersion: current.version } : {}),
    history,
  };
}

/** A person's activation now: approved, not already active, and not also waiting for its time. */
export async function activateNow(
  configs: Configs,
  version: string,
  by: ActedBy,
  now: string,
): Promise<ActivationResult> {
  const pending = await configs.pending();
  if (pending?.version === version) return { kind: 'pending', pending };
  return activateVersion(configs, { version, by, now, how: 'MANUAL', requireApproval: true });
}

export type ScheduleResult =
  | { kind: 'scheduled'; pending: PendingActivation }
  | { kind: 'bad-time'; message: string }
  | { kind: 'missing' }
  | { kind: 'unapproved' }
  | { kind: 'already-active' }
  | { kind: 'exists'; pending: PendingActivation };

/** Records a pending activation at `at` (future, ≤ 90 days, an approved version; one pending at a time). */
export async function scheduleActivation(
  configs: Configs,
  version: string,
  at: string,
  by: ActedBy,
  now: string,
): Promise<ScheduleResult> {
  const when = scheduleVerdict(at, now);
  if (!when.ok) return { kind: 'bad-time', message: when.message };
  const [stored, active, pending] = await Promise.all([
    configs.get(version),
    configs.active(),
    configs.pending(),
  ]);
  if (!stored) return { kind: 'missing' };
  if (stored.approvedAt === undefined) return { kind: 'unapproved' };
  if (active?.version === version) return { kind: 'already-active' };
  if (pending) return { kind: 'exists', pending };
  // Stored in UTC whatever zone it was given in, so times compare as strings too.
  const p: PendingActivation = {
    id: randomUUID(),
    version,
    at: new Date(at).toISOString(),
    requestedAt: now,
    requestedBy: by,
  };
  const r = await configs.schedule(
    p,
    audit({ action: 'config-schedule', subject: version, scheduledFor: p.at }, by, now),
  );
  if (r === 'scheduled') return { kind: 'scheduled', pending: p };
  if (r === 'unapproved') return { kind: 'unapproved' };
  const other = await configs.pending();
  return other ? { kind: 'exists', pending: other } : { kind: 'missing' };
}

/** Cancels the pending activation of this version. */
export async function cancelActivation(
  configs: Configs,
  version: string,
  by: ActedBy,
  now: string,
): Promise<{ kind: 'cancelled'; pending: PendingActivation } | { kind: 'none' }> {
  const pending = await configs.pending();
  if (pending?.version !== version) return { kind: 'none' };
  const r = await configs.cancel(
    pending.id,
    audit({ action: 'config-cancel', subject: version, scheduledFor: pending.at }, by, now),
  );
  return r === 'cancelled' ? { kind: 'cancelled', pending } : { kind: 'none' };
}

export type RollbackResult =
  | { kind: 'rolled-back'; version: string; previousVersion: string; history: ActivationRecord[] }
  | { kind: 'no-config' }
  | { kind: 'nothing' }
  | { kind: 'conflict' }
  | { kind: 'missing'; version: string };

/**
 * Makes the activation before the current one active again, in one write: the current one is popped
 * off the history, so a second rollback goes one further back, and with nothing below, refuses. No
 * approval asked: the version was active before (approved then, or the kill switch's).
 */
export async function rollback(configs: Configs, by: ActedBy, now: string): Promise<RollbackResult> {
  const current = await configs.active();
  if (!current) return { kind: 'no-config' };
  const t = rollbackTarget(current.history);
  if (t.kind === 'none') return { kind: 'nothing' };
  const r = await configs.activate({
    version: t.target.version,
    now,
    by,
    how: 'ROLLBACK',
    expectedRevision: current.revision,
    history: t.history,
    requireApproval: false,
    audit: audit(
      {
        action: 'config-rollback',
        subject: t.target.version,
        how: 'ROLLBACK',
        previousVersion: current.version,
      },
      by,
      now,
    ),
  });
  if (r === 'activated')
    return {
      kind: 'rolled-back',
      version: t.target.version,
      previousVersion: current.version,
      history: t.history,
    };
  if (r === 'conflict') return { kind: 'conflict' };
  return { kind: 'missing', version: t.target.version };
}

export type DueResult =
  | { kind: 'none' }
  | { kind: 'not-due'; pending: PendingActivation }
  | { kind: 'activated'; pending: PendingActivation; previousVersion?: string }
  | { kind: 'discarded'; pending: PendingActivation; reason: string }
  | { kind: 'failed'; pending: PendingActivation; reason: string };

/**
 * The schedule's run (every minute on AWS, a timer locally): carries out the pending activation once
 * it is due, in the same write that removes it (a cancel or another run that came first wins). One that
 * can no longer happen (its version already active) is dropped, audited with why.
 */
export async function runDueActivation(configs: Configs, now: string): Promise<DueResult> {
  const pending = await configs.pending();
  if (!pending) return { kind: 'none' };
  if (Date.parse(pending.at) > Date.parse(now)) return { kind: 'not-due', pending };
  const r = await activateVersion(configs, {
    version: pending.version,
    by: pending.requestedBy,
    now,
    how: 'SCHEDULED',
    requireApproval: true,
    pending,
  });
  if (r.kind === 'activated')
    return {
      kind: 'activated',
      pending,
      ...(r.previousVersion ? { previousVersion: r.previousVersion } : {}),
    };
  if (r.kind === 'already-active') {
    const reason = 'the version was already active when it was due';
    await configs.cancel(
      pending.id,
      audit(
        { action: 'config-cancel', subject: pending.version, scheduledFor: pending.at, reason },
        pending.requestedBy,
        now,
      ),
    );
    return { kind: 'discarded', pending, reason };
  }
  // A conflict (an activation at the same moment) is tried again at the next run; not-pending: cancelled.
  return { kind: 'failed', pending, reason: r.kind };
}
