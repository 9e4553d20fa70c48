// Contact that Retention Desk starts: the requests a placement makes, and the outbound contact policy.

import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Account } from '../schemas/account';
import type { OutboundPolicy } from '../schemas/config';
import type { Strategy } from '../schemas/strategy';

export type OutboundChannel = 'VOICE' | 'AGENT_TASK' | 'MESSAGE';

/**
 * An outbound contact (or a team's task) asked for by a stage's scenario as an account enters it,
 * written in the same write as the placement: its id is the same for the same entry, so a write
 * retried or a change redelivered asks for nothing twice. No phone, no name: the dialer reads the account.
 */
export interface OutboundRequest {
  id: string;
  accountId: string;
  strategyId: string;
  version: number;
  stageId: string;
  /** A stage's outbound contact, or a task for a team (no call: the team decides). */
  channel: OutboundChannel | 'TEAM_TASK';
  purpose: string;
  team?: string;
  /** What moved the account into the stage (an event's type, IMPORT, CONTACT, SCHEDULE, BACKFILL). */
  cause: string;
  at: string;
}

/** The requests of a set of moves: one per entered stage whose scenario starts a contact or a task. */
export function outboundRequests(
  strategies: readonly Strategy[] | undefined,
  /** The placement's moves (shared/domain/strategies.ts, Move): only where they went is read. */
  moves: readonly { strategyId: string; to?: { version: number; stageId: string } | undefined }[],
  accountId: string,
  cause: string,
  at: string,
): OutboundRequest[] {
  const out: OutboundRequest[] = [];
  for (const m of moves) {
    if (!m.to) continue;
    const s = strategies?.find((x) => x.strategyId === m.strategyId && x.version === m.to!.version);
    const sc = s?.stages.find((st) => st.stageId === m.to!.stageId)?.scenario;
    if (!sc) continue;
    const base = {
      accountId,
      strategyId: m.strategyId,
      version: m.to.version,
      stageId: m.to.stageId,
      cause,
      at,
    };
    const id = (what: string) =>
      `ob-${createHash('sha256')
        .update(JSON.stringify([accountId, m.strategyId, m.to!.version, m.to!.stageId, at, what]))
        .digest('hex')
        .slice(0, 32)}`;
    if (sc.outbound)
      out.push({ id: id('contact'), ...base, channel: sc.outbound.channel, purpose: sc.outbound.purpose });
    if (sc.task)
      out.push({ id: id('task'), ...base, channel: 'TEAM_TASK', purpose: sc.task.note, team: sc.task.team });
  }
  return out;
}

export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = {
  quietHours: { from: '21:00', to: '08:00' },
  maxContacts: 2,
  periodDays: 30,
  doNotCallTag: 'DO_NOT_CALL',
  doNotContactTag: 'DO_NOT_CONTACT',
  defaultTimeZone: 'America/New_York',
};

export type OutboundDecision =
  | { kind: 'DIAL'; channel: OutboundChannel | 'TEAM_TASK'; note?: string }
  | { kind: 'SKIP'; reason: OutboundSkipReason }
  | { kind: 'DEFER'; until: string; reason: 'QUIET_HOURS' };

export type OutboundSkipReason =
  | 'UNKNOWN_ACCOUNT'
  | 'LEFT_STAGE'
  | 'DECEASED'
  | 'BANKRUPTCY'
  | 'CLOSED'
  | 'DO_NOT_CALL'
  | 'DO_NOT_CONTACT'
  | 'FREQUENCY_CAP';

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
};

/** Whether a local time of day (minutes after midnight) is in the quiet window (which may span midnight). */
function quiet(at: number, from: number, to: number): boolean {
  if (from === to) return false;
  return from < to ? at >= from && at < to : at >= from || at < to;
}

/** The account's time zone: its own, else the policy's default. */
export const zoneOf = (a: Pick<Account, 'timeZone'>, policy: OutboundPolicy) =>
  a.timeZone ?? policy.defaultTimeZone;

/**
 * The outbound contact policy, judged when the contact would start: never for an account flagged
 * deceased, in bankruptcy or closed; a do-not-contact tag stops every channel, a do-not-call tag the
 * calls (an agent's task to call included; a message still goes); an automated call needs the
 * customer's recorded consent (without it, an agent is asked to call instead); at most
 * `maxContacts` outbound contacts per account in `periodDays`; none in the quiet hours of the
 * customer's time zone (deferred to their end). A team's task is no contact: only the account's
 * state stops it.
 */
export function judgeOutbound(
  r: OutboundRequest,
  a: Account | undefined,
  policy: OutboundPolicy,
  now: string,
): OutboundDecision {
  if (!a) return { kind: 'SKIP', reason: 'UNKNOWN_ACCOUNT' };
  const placed = a.strategies?.[r.strategyId];
  if (!placed || placed.version !== r.version || placed.stageId !== r.stageId)
    return { kind: 'SKIP', reason: 'LEFT_STAGE' };
  if (a.flags.deceased) return { kind: 'SKIP', reason: 'DECEASED' };
  if (a.flags.bankruptcy) return { kind: 'SKIP', reason: 'BANKRUPTCY' };
  if (a.flags.closed) return { kind: 'SKIP', reason: 'CLOSED' };
  if (r.channel === 'TEAM_TASK') return { kind: 'DIAL', channel: 'TEAM_TASK' };
  const tags = a.tags ?? [];
  if (tags.includes(policy.doNotContactTag)) return { kind: 'SKIP', reason: 'DO_NOT_CONTACT' };
  if (r.channel !== 'MESSAGE' && tags.includes(policy.doNotCallTag))
    return { kind: 'SKIP', reason: 'DO_NOT_CALL' };
  const since = Date.parse(now) - policy.periodDays * 86_400_000;
  const recent = (a.outbound ?? []).filter((o) => o.channel !== 'TEAM_TASK' && Date.parse(o.at) >= since);
  if (recent.length >= policy.maxContacts) return { kind: 'SKIP', reason: 'FREQUENCY_CAP' };
  const local = DateTime.fromISO(now, { zone: zoneOf(a, policy) });
  const from = minutes(policy.quietHours.from);
  const to = minutes(policy.quietHours.to);
  if (quiet(local.hour * 60 + local.minute, from, to)) {
    // The quiet hours end at `to`, today or tomorrow (local time: DST moves the instant, not the hour).
    let end = local.set({ hour: Math.floor(to / 60), minute: to % 60, second: 0, millisecond: 0 });
    if (end <= local) end = end.plus({ days: 1 });
    return { kind: 'DEFER', until: end.toUTC().toISO()!, reason: 'QUIET_HOURS' };
  }
  if (r.channel === 'VOICE' && a.consent?.automatedCalls !== true)
    return { kind: 'DIAL', channel: 'AGENT_TASK', note: 'NO_CONSENT_FOR_AUTOMATED_CALLS' };
  return { kind: 'DIAL', channel: r.channel };
}

/** A phone number as a log or the stand-in may show it: the country code and the last two digits. */
export const maskPhone = (e164: string) =>
  `${e164.slice(0, 2)}${'•'.repeat(Math.max(0, e164.length - 4))}${e164.slice(-2)}`;
