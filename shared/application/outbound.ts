// Contact that Retention Desk starts: an outbound request judged under the policy, started once.

import {
  DEFAULT_OUTBOUND_POLICY,
  judgeOutbound,
  type OutboundChannel,
  type OutboundRequest,
} from '../domain/outbound';
import type { OutboxEvent } from '../domain/outbox';
import type { Account } from '../schemas/account';
import type { DecisionConfig } from '../schemas/config';

/** What the issuer's contact centre offers to start a contact (Amazon Connect on AWS, a stand-in locally). */
export interface OutboundDialer {
  /** An automated outbound call into the outbound contact flow (StartOutboundVoiceContact). */
  startVoice(r: { clientToken: string; phone: string; attributes: Record<string, string> }): Promise<string>;
  /** A task for an agent or a team (StartTaskContact). */
  startTask(r: {
    clientToken: string;
    name: string;
    description: string;
    attributes: Record<string, string>;
  }): Promise<string>;
}

/** Runs a deferred request again at a time (EventBridge Scheduler on AWS, a timer locally); idempotent by id. */
export interface OutboundScheduler {
  defer(r: OutboundRequest, at: string): Promise<void>;
}

/** What the outbound function reads and writes of the account. */
export interface OutboundAccounts {
  get(accountId: string): Promise<Account | undefined>;
  /**
   * Records a started contact on the account (its outbound list, the contact history) with the
   * result event, in one transaction, over the list that was read: 'changed' when it moved meanwhile.
   */
  /**
   * Claims the contact on the account (its outbound list: the policy's frequency cap counts it) over
   * the list that was read, before anything is dialled: 'changed' when the list moved meanwhile.
   */
  claimOutbound(
    held: Account,
    entry: NonNullable<Account['outbound']>[number],
  ): Promise<'written' | 'changed'>;
  /** Sets the started contact's id on its claim, with the result event, in one transaction (once). */
  completeOutbound(
    accountId: string,
    requestId: string,
    contactId: string,
    result: OutboxEvent,
  ): Promise<void>;
  /** A result with nothing to record on the account (skipped, deferred): once, by its id. */
  putEvent(e: OutboxEvent): Promise<'written' | 'duplicate'>;
}

export interface OutboundDeps {
  accounts: OutboundAccounts;
  config: () => Promise<DecisionConfig | undefined>;
  dialer: OutboundDialer;
  scheduler: OutboundScheduler;
  now: () => string;
}

export type OutboundResult =
  | { result: 'STARTED'; channel: OutboundChannel | 'TEAM_TASK'; contactId: string; note?: string }
  | { result: 'SKIPPED'; reason: string }
  | { result: 'DEFERRED'; until: string };

const resultId = (r: OutboundRequest, what: string) => `${r.id}.${what}`;

/**
 * One outbound request: judged under the policy at the time it runs (the account read afresh); a
 * start asks the contact centre with the request's id as its client token (Connect starts one contact
 * per token, so a redelivery dials nobody twice) and is recorded on the account with its result
 * event; a skip or a deferral is an event too. Nothing of the customer is logged or published but
 * the account id.
 */
export async function runOutbound(r: OutboundRequest, deps: OutboundDeps): Promise<OutboundResult> {
  const policy = (await deps.config())?.outboundPolicy ?? DEFAULT_OUTBOUND_POLICY;
  const base = {
    requestId: r.id,
    accountId: r.accountId,
    strategyId: r.strategyId,
    version: r.version,
    stageId: r.stageId,
    purpose: r.purpose,
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    const now = deps.now();
    const account = await deps.accounts.get(r.accountId);
    const claimed = account?.outbound?.find((o) => o.id === r.id);
    // Claimed before (a redelivery, or a run that stopped after its claim): done, or dialled again
    // with the same client token (the contact centre starts one contact per token).
    if (claimed?.contactId)
      return { result: 'STARTED', channel: claimed.channel, contactId: claimed.contactId };
    const d = claimed
      ? ({ kind: 'DIAL', channel: claimed.channel } as const)
      : judgeOutbound(r, account, policy, now);
    if (d.kind === 'SKIP') {
      await deps.accounts.putEvent({
        id: resultId(r, 'skipped'),
        type: 'Outbound Contact Skipped',
        at: now,
        detail: { ...base, channel: r.channel, reason: d.reason },
      });
      return { result: 'SKIPPED', reason: d.reason };
    }
    if (d.kind === 'DEFER') {
      await deps.scheduler.defer(r, d.until);
      await deps.accounts.putEvent({
        id: resultId(r, `deferred-${d.until}`),
        type: 'Outbound Contact Deferred',
        at: now,
        detail: { ...base, channel: r.channel, reason: d.reason, until: d.until },
      });
      return { result: 'DEFERRED', until: d.until };
    }
    const a = account!;
    const note = 'note' in d ? d.note : undefined;
    if (!claimed) {
      const entry = { id: r.id, at: now, channel: d.channel, strategyId: r.strategyId, stageId: r.stageId };
      // The account moved since it was read (another request, an event): judged again on what it holds.
      if ((await deps.accounts.claimOutbound(a, entry)) === 'changed') continue;
    }
    const attributes = {
      outboundRequestId: r.id,
      strategyId: r.strategyId,
      stageId: r.stageId,
      purpose: r.purpose.slice(0, 200),
    };
    let contactId: string;
    if (d.channel === 'VOICE')
      contactId = await deps.dialer.startVoice({ clientToken: r.id, phone: a.phone, attributes });
    else if (d.channel === 'MESSAGE')
      // Mail and SMS belong to the issuer's own systems: the event is the message's request.
      contactId = resultId(r, 'message');
    else
      contactId = await deps.dialer.startTask({
        clientToken: r.id,
        name: d.channel === 'TEAM_TASK' ? `${r.team ?? 'team'}: ${r.stageId}` : `Call back: ${r.stageId}`,
        description: r.purpose,
        attributes: {
          ...attributes,
          accountId: r.accountId,
          ...(r.team ? { team: r.team } : {}),
          ...(note ? { note } : {}),
        },
      });
    await deps.accounts.completeOutbound(r.accountId, r.id, contactId, {
      id: resultId(r, 'started'),
      type: d.channel === 'MESSAGE' ? 'Outbound Message Requested' : 'Outbound Contact Started',
      at: now,
      detail: { ...base, channel: d.channel, contactId, ...(note ? { note } : {}) },
    });
    return { result: 'STARTED', channel: d.channel, contactId, ...(note ? { note } : {}) };
  }
  throw new Error(`account ${r.accountId} kept changing while an outbound contact was claimed`);
}
