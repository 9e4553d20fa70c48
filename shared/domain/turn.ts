import type { Account } from '../schemas/account';
import type { TurnInput } from '../schemas/api';
import type { Contact, OfferLogEvent } from '../schemas/contact';
import { budgetKey } from './budget';
import {
  admitTurn,
  applyAnswer,
  applyRoute,
  applyVerification,
  assignAgent,
  type BudgetCharge,
  type LearnCount,
  newContact,
  presentOffers,
  stamp,
} from './call';
import type { Compiled } from './compiled';
import { historyKey } from './contact-policy';
import { computeFacts } from './facts';
import { acceptanceFor, statsKey } from './learning';
import { type Problem, problem } from './problems';
import { type RateCharge, rateCharge } from './rate-limits';
import { routeContact } from './routing';
import { verifyFactors } from './verification';

/**
 * A change to the account's verification counters, applied only if they are still as read. `attempts`
 * is the sequence of judged guesses (0 when the account has none yet): it moves by one per write.
 */
export interface AccountVerificationUpdate {
  accountId: string;
  expected: { failures: number; attempts: number; lockedUntil?: string };
  next: { failures: number; attempts: number; lockedUntil?: string };
}

/** A counter as read: budget use (accepts, cost), learning (accepts, declines), contact-policy history. */
export interface Counter {
  accepts: number;
  declines: number;
  cost: number;
  presentations: number;
  lastDeclinedAt?: string;
}

/** What a turn writes besides its contact, typed: the store turns it into items, in one atomic write. */
export interface TurnWrites {
  /** The version the stored contact must still have; absent for a new contact. */
  expectedVersion?: number;
  log: OfferLogEvent[];
  /** The account's verification counters, moved only if still as read. */
  account?: AccountVerificationUpdate;
  /** An accepted offer's charge to its budget: the write fails whole if it would pass the cap. */
  budget?: BudgetCharge;
  /** The answer counted for learning (offer × segment × call type). */
  learn?: LearnCount;
  /** A new contact dated on its account (contact frequency). */
  recordContact?: { accountId: string; at: string };
  /** Requests counted against rate limits: the write fails whole if one would pass its limit. */
  rate?: RateCharge[];
}

/** Everything a turn read, once, before deciding: nothing else is read to decide. */
export interface TurnRead {
  /** Start: the contact already stored under the derived id, if any. Other turns: the contact named. */
  contact?: Contact;
  /** Start: the account found by id or number. Verify: the contact's account. */
  account?: Account;
  /** Offers and answers: budgets used this period, learned answers, the account's offer history. */
  counters?: ReadonlyMap<string, Counter>;
  /** Start: the contact's id (derived from the channel's own id, or new) and the caller's keyed fingerprint. */
  contactId?: string;
  startedBy?: string;
  /** Who rate limits count, keyed so that the counters name neither the number nor the account. */
  subjects?: { phone?: string; account?: string };
  /** Verify: the pepper the factor hashes are keyed with. */
  pepper?: string;
}

/**
 * The stages a turn went through, for the state machine to show (its Choice branches on this and on
 * nothing else): a start is segmented and routed, a verification judged and routed again, offers
 * presented (retention, or cross-sell once retention has nothing left), an answer recorded (and the
 * next offers presented after a decline).
 */
export const TURN_PATHS = [
  'start',
  'verify',
  'offer',
  'cross-sell',
  'answer',
  'answer-offer',
  'answer-cross-sell',
  'pickup',
] as const;
export type TurnPath = (typeof TURN_PATHS)[number];

/** A turn's decision: refused, already answered (a repeat), or the next contact and what to write with it. */
export type Plan =
  | { kind: 'rejected'; problem: Problem }
  | { kind: 'unchanged'; contact: Contact }
  | { kind: 'write'; path: TurnPath; isNew: boolean; contact: Contact; writes: TurnWrites };

/** A turn input whose contact is named by its id (the channel's reference resolved by the read). */
export type DecidedInput =
  | Extract<TurnInput, { action: 'start' }>
  | (Exclude<TurnInput, { action: 'start' }> & { contactId: string });

const rejected = (p: Problem): Plan => ({ kind: 'rejected', problem: p });

/**
 * One turn, decided: what was read and the request in, the next contact and its typed writes out.
 * Pure: the same read, request and configuration give the same plan. Every stage rule is in the
 * domain function it names (routing, verification, offers, answers); this only orders them.
 */
export function decide(input: DecidedInput, read: TurnRead, compiled: Compiled): Plan {
  if (input.action === 'start') return decideStart(input, read, compiled);
  const contact = read.contact;
  if (!contact) return rejected(problem('ContactNotFound', `No contact ${input.contactId}.`));
  const admission = admitTurn(input, contact);
  if (admission.kind === 'rejected') return rejected(admission.problem);
  if (admission.kind === 'unchanged') return { kind: 'unchanged', contact };
  const { now } = input;
  const write = (path: TurnPath, next: Contact, writes: Omit<TurnWrites, 'expectedVersion'>): Plan => ({
    kind: 'write',
    path,
    isNew: false,
    contact: stamp(next, now),
    writes: { ...writes, expectedVersion: contact.version },
  });
  switch (input.action) {
    case 'pickup':
      // A desk person takes the contact over: who, and since when.
      return write('pickup', assignAgent(contact, input.actor, now), { log: [] });
    case 'verify': {
      const v = verifyStep(input, contact, read, compiled);
      return write('verify', routeStep(v.contact, read.account, compiled, now), {
        log: [],
        ...(v.account ? { account: v.account } : {}),
        ...(read.subjects?.account
          ? { rate: [rateCharge('verificationsPerAccount', read.subjects.account, compiled.config, now)] }
          : {}),
      });
    }
    case 'offers': {
      const r = presentOffers(
        contact,
        compiled.catalog,
        compiled.config,
        now,
        read.counters,
        acceptance(contact, read, compiled),
        input.actor,
      );
      return write(reachedCrossSell(contact, r.contact) ? 'cross-sell' : 'offer', r.contact, { log: r.log });
    }
    case 'respond': {
      const r = applyAnswer({
        contact,
        offerId: input.request.offerId,
        response: input.request.response,
        ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
        ...(input.actor ? { actor: input.actor } : {}),
        config: compiled.config,
        catalog: compiled.catalog,
        now,
        ...(read.counters ? { counters: read.counters } : {}),
        acceptance: acceptance(contact, read, compiled),
      });
      const presented = r.log.some((e) => e.event === 'PRESENTED');
      const path: TurnPath = reachedCrossSell(contact, r.contact)
        ? 'answer-cross-sell'
        : presented
          ? 'answer-offer'
          : 'answer';
      return write(path, r.contact, {
        log: r.log,
        ...(r.budget ? { budget: r.budget } : {}),
        ...(r.learn ? { learn: r.learn } : {}),
      });
    }
    case 'get':
      // admitTurn serves every read unchanged.
      return { kind: 'unchanged', contact };
  }
}

/**
 * A start: an existing contact under the derived id is this caller's retry (same fingerprint) or
 * someone else's (refused, revealing nothing). Otherwise a new contact, segmented and routed.
 */
function decideStart(
  input: Extract<TurnInput, { action: 'start' }>,
  read: TurnRead,
  compiled: Compiled,
): Plan {
  const { request: req, now } = input;
  const { config } = compiled;
  if (read.contact) {
    if (read.startedBy !== undefined && read.contact.startedBy === read.startedBy)
      return { kind: 'unchanged', contact: read.contact };
    return rejected(
      problem(
        'ExternalContactIdInUse',
        'This externalContactId belongs to a contact started by another caller: start with a new one.',
      ),
    );
  }
  if (!read.contactId) throw new Error('A start is decided with the contact id the read gave it');
  const account = read.account;
  const drafted = newContact({
    contactId: read.contactId,
    request: req,
    now,
    ...(account ? { accountId: account.accountId } : {}),
    // The number is a factor only as a network's caller id: typed into a chat it proves nothing.
    callerMatched:
      account !== undefined &&
      req.channel !== 'chat' &&
      req.callerPhone !== undefined &&
      (req.callerPhone === account.phone || (account.otherPhones ?? []).includes(req.callerPhone)),
    config,
  });
  const segmented = account ? segmentStep(drafted, account, compiled, now) : drafted;
  const contact = routeStep(
    read.startedBy ? { ...segmented, startedBy: read.startedBy } : segmented,
    account,
    compiled,
    now,
  );
  // Starts are counted per calling number and per account (keyed: the counters name neither).
  const rate = [
    ...(read.subjects?.phone ? [rateCharge('startsPerPhone', read.subjects.phone, config, now)] : []),
    ...(account && read.subjects?.account
      ? [rateCharge('startsPerAccount', read.subjects.account, config, now)]
      : []),
  ];
  return {
    kind: 'write',
    path: 'start',
    isNew: true,
    contact: stamp(contact, now),
    writes: {
      log: [],
      ...(account ? { recordContact: { accountId: account.accountId, at: now } } : {}),
      rate,
    },
  };
}

/** SEGMENT: facts, customer value, customer and card segments (with the facts behind them). */
function segmentStep(c: Contact, account: Account, compiled: Compiled, now: string): Contact {
  const facts = computeFacts(account, now, compiled.config.value);
  const customer = compiled.customerSegments.classify(facts);
  const card = compiled.cardSegments.classify(facts);
  return {
    ...c,
    facts,
    segment: {
      customer: customer.segment,
      card: card.segment,
      reasons: [...customer.reasons, ...card.reasons],
    },
  };
}

/** ROUTE: queue, priority and reasons from call type, segment, flags and verification (a lock on the account counts). */
function routeStep(c: Contact, account: Account | undefined, compiled: Compiled, now: string): Contact {
  const lockedUntil = account?.verification.lockedUntil;
  const lockedNow = lockedUntil !== undefined && Date.parse(lockedUntil) > Date.parse(now);
  const verification = c.verification.status === 'LOCKED' || lockedNow ? 'LOCKED' : c.verification.status;
  const decision = routeContact(compiled.config.routing, {
    identified: c.accountId !== undefined,
    verification,
    callType: c.callType,
    ...(c.segment ? { customerSegment: c.segment.customer } : {}),
    ...(account ? { flags: account.flags } : {}),
    ...(c.facts ? { annualProfit: c.facts.annualProfit } : {}),
  });
  const contact =
    verification === 'LOCKED' && c.verification.status !== 'LOCKED'
      ? {
          ...c,
          verification: {
            ...c.verification,
            status: 'LOCKED' as const,
            attemptsLeft: 0,
            ...(lockedUntil ? { lockedUntil } : {}),
          },
        }
      : c;
  return applyRoute(contact, decision, now);
}

/**
 * VERIFY: the factors against the account's salted hashes. Every judged guess moves the account's
 * attempt sequence, conditionally on the one read; only a guess on a locked account (not judged)
 * writes nothing there.
 */
function verifyStep(
  input: Extract<DecidedInput, { action: 'verify' }>,
  contact: Contact,
  read: TurnRead,
  compiled: Compiled,
): { contact: Contact; account?: AccountVerificationUpdate } {
  if (read.pepper === undefined) throw new Error('A verification is decided without the factor pepper');
  const account = read.account;
  if (!account) throw new Error('A verification is decided without the contact’s account');
  const secrets = account.verification;
  const result = verifyFactors({
    secrets,
    pepper: read.pepper,
    given: input.request,
    callerMatched: contact.verification.callerMatched,
    policy: compiled.config.verification,
    now: input.now,
  });
  const verified = applyVerification(contact, result);
  const next = input.idempotencyKey
    ? { ...verified, verification: { ...verified.verification, lastAttemptKey: input.idempotencyKey } }
    : verified;
  if (result.kind === 'locked' && !result.justLocked) return { contact: next };
  const after = result.secrets;
  return {
    contact: next,
    account: {
      accountId: account.accountId,
      expected: {
        failures: secrets.failures,
        attempts: secrets.attempts ?? 0,
        ...(secrets.lockedUntil ? { lockedUntil: secrets.lockedUntil } : {}),
      },
      next: {
        failures: after.failures,
        attempts: after.attempts ?? 0,
        ...(after.lockedUntil ? { lockedUntil: after.lockedUntil } : {}),
      },
    },
  };
}

/** Whether this turn worked in the cross-sell stage: the contact was in it, or went through it. */
function reachedCrossSell(before: Contact, after: Contact): boolean {
  if (before.stage === 'CROSS_SELL') return true;
  return after.history.slice(before.history.length).some((h) => h.stage === 'CROSS_SELL');
}

/** The learned acceptance the next offers are ranked with (the priors for the control group). */
function acceptance(c: Contact, read: TurnRead, compiled: Compiled) {
  const segment = c.segment?.customer;
  if (!segment) return undefined;
  return acceptanceFor({
    config: compiled.config,
    policy: c.policy ?? 'LEARNING',
    segment,
    callType: c.callType,
    stats: read.counters ?? new Map(),
    seed: `${c.contactId}:${c.logSeq}`,
  });
}

/**
 * The counters a turn on this contact reads before it presents offers: budgets of this period, what
 * was learned for its segment and call type, and its account's offer history. None for other turns.
 */
export function countersToRead(
  input: DecidedInput,
  contact: Contact,
  compiled: Compiled,
): { shared: string[]; own: string[] } {
  const presents =
    input.action === 'offers' ||
    (input.action === 'respond' && input.request.response === 'DECLINED' && contact.current.length <= 1);
  if (!presents) return { shared: [], own: [] };
  const { config } = compiled;
  const segment = contact.segment?.customer;
  const budgets = config.offers.flatMap((o) => (o.budget ? [budgetKey(o.offerId, o.budget, input.now)] : []));
  const learned = segment ? config.offers.map((o) => statsKey(o.offerId, segment, contact.callType)) : [];
  const own = contact.accountId ? config.offers.map((o) => historyKey(contact.accountId!, o.offerId)) : [];
  return { shared: [...budgets, ...learned], own };
}
