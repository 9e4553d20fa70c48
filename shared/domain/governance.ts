import type { ActivationRecord } from '../schemas/governance';
import type { ActedBy } from '../schemas/identity';

/**
 * Governance of configuration versions, as pure rules: four-eyes approval, when a scheduled activation
 * may be asked for, and the rollback stack (the active configuration's history of activations).
 */

/** Activations kept on the active configuration (the rollback stack); the audit log keeps them all. */
export const HISTORY_LIMIT = 20;
/** How far ahead an activation may be scheduled. */
export const MAX_SCHEDULE_DAYS = 90;

export type ApprovalVerdict =
  | { kind: 'ok' }
  | { kind: 'own-version' }
  | { kind: 'already-approved'; approvedAt: string; approvedBy?: ActedBy };

/**
 * Four eyes: a version is approved once, by someone other than its author (the same Cognito subject
 * is the same person whatever the username). A version stored before authors were recorded has none
 * to compare with: anyone else may approve it.
 */
export function approvalVerdict(
  version: {
    createdBy?: ActedBy | undefined;
    approvedAt?: string | undefined;
    approvedBy?: ActedBy | undefined;
  },
  by: ActedBy,
): ApprovalVerdict {
  if (version.approvedAt !== undefined)
    return {
      kind: 'already-approved',
      approvedAt: version.approvedAt,
      ...(version.approvedBy ? { approvedBy: version.approvedBy } : {}),
    };
  if (version.createdBy?.sub === by.sub) return { kind: 'own-version' };
  return { kind: 'ok' };
}

/** A scheduled activation's time: in the future, and at most MAX_SCHEDULE_DAYS ahead. */
export function scheduleVerdict(at: string, now: string): { ok: true } | { ok: false; message: string } {
  const t = Date.parse(at);
  const n = Date.parse(now);
  if (!(t > n)) return { ok: false, message: `must be in the future (now is ${now})` };
  if (t - n > MAX_SCHEDULE_DAYS * 86_400_000)
    return { ok: false, message: `must be at most ${MAX_SCHEDULE_DAYS} days ahead` };
  return { ok: true };
}

/** The history after an activation: the new one on top, the oldest dropped beyond HISTORY_LIMIT. */
export const pushActivation = (history: readonly ActivationRecord[], record: ActivationRecord) =>
  [...history, record].slice(-HISTORY_LIMIT);

/**
 * A rollback pops the current activation off the stack and makes the one below it active again, so
 * rolling back twice goes two activations back; with nothing below (the first activation, or the
 * oldest one kept), there is nothing to roll back to.
 */
export function rollbackTarget(
  history: readonly ActivationRecord[],
): { kind: 'none' } | { kind: 'target'; target: ActivationRecord; history: ActivationRecord[] } {
  const rest = history.slice(0, -1);
  const target = rest.at(-1);
  return target ? { kind: 'target', target, history: rest } : { kind: 'none' };
}
