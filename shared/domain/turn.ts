import type { Account, AccountFlags } from '../schemas/account';
import type { TurnInput } from '../schemas/api';
import type { Contact, OfferLogEvent } from '../schemas/contact';
import { type BudgetUsage, budgetKey, budgetPeriodStart } from './budget';
import {
  admitTurn,
  applyAnswer,
  applyRoute,
  applyVerification,
  assignAgent,
  type BudgetCharge,
  insistOnClosure,
  newContact,
  presentOffers,
  stamp,
} from './call';
import { isCanaryAccount } from './canary';
import { decisionChurnRisk } from './churn';
import type { Compiled } from './compiled';
import { type HistoryUpdate, historyKey, historyUpdates, type OfferHistory } from './contact-policy';
import { computeFacts } from './facts';
import { underKillSwitch } from './kill-switch';
import { type OutboundRequest, outboundRequests } from './outbound';
import { type Problem, problem } from './problems';
import { copiedOdds, propensityCopy } from './propensity';
import { type RateCharge, rateCharge } from './rate-limits';
import { routeContact } from './routing';
import { contactScenario, type Move, type Placements, place } from './strategies';
import { verifyFactors } from './verification';

/**
 * A change to the account's verification counters, applied only if they are still as read. `attempts`
 * is the sequence of judged guesses (0 when the account has none yet): it moves by one per write.
 */
export interface AccountVerificationUpdate {
  accountId: string;
  /** As copied at the start: the counters, and the record's `asOf` (an import or event in between fails the write). */
  expected: { failures: number; attempts: number; lockedUntil?: string; asOf?: string };
  next: { failures: number; attempts: number; lockedUntil?: string };
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
  /** What the turn adds to the account's offer history (presented, declined). */
  history?: HistoryUpdate[];
  /** A new contact dated on its account (contact frequency). */
  recordContact?: { accountId: string; at: string };
  /**
   * The account's new place in its strategies, when the contact moves it (conditions on contact
   * history): written over the placement that was read (`expectedSeq`), its funnel counters and
   * outbound requests in the same transaction.
   */
  placement?: {
    accountId: string;
    expectedSeq: number | undefined;
    placements: Placements;
    moves: Move[];
    requests?: OutboundRequest[];
  };
  /** Requests counted against rate limits: the write fails whole if one would pass its limit. */
  rate?: RateCharge[];
}

/** This period's budget use of every budgeted offer: by period, then offer. */
export type BudgetBook = Partial<Record<'DAY' | 'MONTH', Record<string, BudgetUsage>>>;

/**
 * Everything a turn read, in one round trip, before deciding: nothing else is read to decide. A start
 * reads what the request names (the account, the contact a channel id derives, what was learned for
 * the call type); every later turn reads its contact, which carries what the start copied for it,
 * and the budgets of the current periods, whose keys need nothing but the clock.
 */
export interface TurnRead {
  /** Start: the contact already stored under the derived id, if any. Other turns: the contact named. */
  contact?: Contact;
  /** Start: the account found by id or number (with its offer history). */
  account?: Account;
  /**
   * Start: the propensity model state as stored (shared/domain/propensity.ts), unchecked: the start
   * validates it and falls back to the priors, saying why, when it is not sound.
   */
  propensity?: unknown;
  /** Offers, and a decline (which presents the next): this period's budget use. */
  budgets?: BudgetBook;
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
  'close',
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
  const write = (path: TurnPath, next: Contact, writes: Omit<TurnWrites, 'expectedVersion'>): Plan => {
    const history = historyUpdates(writes.log);
    return {
      kind: 'write',
      path,
      isNew: false,
      contact: stamp(next, now),
      writes: { ...writes, ...(history.length ? { history } : {}), expectedVersion: contact.version },
    };
  };
  switch (input.action) {
    case 'pickup':
      // A desk person takes the contact over: who, and since when.
      return write('pickup', assignAgent(contact, input.actor, now), { log: [] });
    case 'verify': {
      // A contact started before copies were made (a deploy in between) verifies on the account read.
      const withCopy =
        contact.account || !read.account ? contact : { ...contact, account: copyOf(read.account) };
      const v = verifyStep(input, withCopy, read, compiled);
      const copy = withCopy.account!;
      const routed = routeStep(v.contact, { flags: copy.flags, lockedUntil: v.lockedUntil }, compiled, now);
      // Verification has ended (verified or locked): the copy of the account's secrets is not kept.
      const { account: _copy, ...done } = routed;
      return write('verify', routed.verification.status === 'PENDING' ? routed : done, {
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
        countersOf(contact, read, compiled, now),
        acceptance(contact),
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
        counters: countersOf(contact, read, compiled, now),
        acceptance: acceptance(contact),
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
      });
    }
    case 'close': {
      const r = insistOnClosure(contact, compiled.config, now);
      return write('close', r.contact, { log: r.log });
    }
    case 'get':
      // admitTurn serves every read unchanged.
      return { kind: 'unchanged', contact };
  }
}

/**
 * A start: an existing contact under the derived id is this caller's retry (same fingerprint) or
 * someone else's (refused, revealing nothing). Otherwise a new contact, segmented and routed, with
 * what its later turns need copied onto it: the account's secrets and counters while it has to
 * verify, the account's offer history and what was learned for its segment.
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
  // The canary's contact: played like any other, left out of the KPI reports and business metrics.
  const marked: Contact =
    input.synthetic && isCanaryAccount(account?.accountId) ? { ...drafted, synthetic: true } : drafted;
  const segmented0 = account ? segmentStep(marked, account, compiled, now) : marked;
  // The contact itself may move the account in its strategies (conditions on its contact history):
  // placed as this contact leaves it, and the contact gets the scenario of where it now stands.
  const placement =
    account && !marked.synthetic ? placeAtStart(account, compiled, segmented0, now) : undefined;
  const placements = placement ? placement.placements : account?.strategies;
  // What the account's strategy stages ask of this contact (offers, route), as they stand now.
  const scenario = account ? contactScenario(config.strategies, placements) : undefined;
  const segmented = scenario ? { ...segmented0, scenario } : segmented0;
  const routed = routeStep(
    read.startedBy ? { ...segmented, startedBy: read.startedBy } : segmented,
    account ? { flags: account.flags, lockedUntil: account.verification.lockedUntil } : undefined,
    compiled,
    now,
  );
  const contact = account ? withCopies(routed, account, read.propensity, compiled, now) : routed;
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
      ...(placement ? { placement } : {}),
      rate,
    },
  };
}

/** Where the account's active strategies put it as this contact leaves it (none when nothing moves). */
function placeAtStart(
  account: Account,
  compiled: Compiled,
  contact: Contact,
  now: string,
): TurnWrites['placement'] {
  if (compiled.strategies.length === 0 && !account.strategies) return undefined;
  const after: Account = { ...account, recentContacts: [...(account.recentContacts ?? []), now] };
  const facts = contact.facts ?? computeFacts(after, now, compiled.config.value, compiled.churn);
  const placed = place(compiled.strategies, { facts, account: after, now }, account.strategies, 'CONTACT');
  if (placed.moves.length === 0) return undefined;
  const requests = outboundRequests(
    compiled.config.strategies,
    placed.moves,
    account.accountId,
    'CONTACT',
    now,
  );
  return {
    accountId: account.accountId,
    expectedSeq: account.placementSeq,
    placements: placed.placements,
    moves: placed.moves,
    ...(requests.length ? { requests } : {}),
  };
}

/**
 * The start's copies: only what the contact's later turns can use (nothing for a routed-away
 * contact): the account's secrets while it verifies, its offer history, and the propensity model's
 * odds for every offer eligible now (the facts and the call type do not change within a contact).
 */
function withCopies(c: Contact, account: Account, state: unknown, compiled: Compiled, now: string): Contact {
  const verifies = c.stage === 'VERIFY';
  const offers = verifies || c.stage === 'OFFER';
  if (!offers) return c;
  const propensity =
    c.facts && c.segment
      ? (() => {
          const ctx = {
            facts: c.facts,
            customerSegment: c.segment.customer,
            cardSegment: c.segment.card,
            callType: c.callType,
            today: now,
          };
          return propensityCopy({
            config: compiled.config,
            policy: c.policy ?? 'LEARNING',
            state,
            input: { facts: c.facts, callType: c.callType, channel: c.channel },
            seed: c.contactId,
            offers: [
              ...compiled.catalog.eligible('RETENTION', ctx),
              ...compiled.catalog.eligible('CROSS_SELL', ctx),
            ],
          });
        })()
      : undefined;
  return {
    ...c,
    ...(verifies ? { account: copyOf(account) } : {}),
    ...(account.offerHistory && Object.keys(account.offerHistory).length
      ? { offerHistory: account.offerHistory }
      : {}),
    ...(propensity ? { propensity } : {}),
  };
}

/** What the verification turns need of the account, as the contact keeps it. */
export function copyOf(account: Account): NonNullable<Contact['account']> {
  return {
    verification: account.verification,
    flags: account.flags,
    ...(account.asOf ? { asOf: account.asOf } : {}),
  };
}

/** SEGMENT: facts, customer value, customer and card segments (with the facts behind them). */
function segmentStep(c: Contact, account: Account, compiled: Compiled, now: string): Contact {
  const facts = computeFacts(account, now, compiled.config.value, compiled.churn);
  const customer = compiled.customerSegments.classify(facts);
  const card = compiled.cardSegments.classify(facts);
  const churn = compiled.churn
    ? {
        modelId: compiled.churn.modelId,
        score: facts.churnRisk,
        risk: decisionChurnRisk(facts.churnRisk, compiled.config.callTypes[c.callType]?.churnRisk ?? 0),
      }
    : undefined;
  return {
    ...c,
    facts,
    ...(churn ? { churn } : {}),
    segment: {
      customer: customer.segment,
      card: card.segment,
      reasons: [...customer.reasons, ...card.reasons],
    },
  };
}

/** ROUTE: queue, priority and reasons from call type, segment, flags and verification (a lock on the account counts). */
function routeStep(
  c: Contact,
  account: { flags: AccountFlags; lockedUntil?: string | undefined } | undefined,
  compiled: Compiled,
  now: string,
): Contact {
  const lockedUntil = account?.lockedUntil;
  const lockedNow = lockedUntil !== undefined && Date.parse(lockedUntil) > Date.parse(now);
  const verification = c.verification.status === 'LOCKED' || lockedNow ? 'LOCKED' : c.verification.status;
  const decision = underKillSwitch(
    routeContact(compiled.config.routing, {
      identified: c.accountId !== undefined,
      verification,
      callType: c.callType,
      ...(c.segment ? { customerSegment: c.segment.customer } : {}),
      ...(account ? { flags: account.flags } : {}),
      ...(c.facts ? { annualProfit: c.facts.annualProfit } : {}),
    }),
    compiled.config,
  );
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
 * VERIFY: the factors against the account's salted hashes, as the start copied them. Every judged
 * guess moves the account's attempt sequence, conditionally on the copy (and the record's `asOf`):
 * if anything changed since, the write fails and nothing is judged. Only a guess on a locked account
 * (not judged) writes nothing there.
 */
function verifyStep(
  input: Extract<DecidedInput, { action: 'verify' }>,
  contact: Contact,
  read: TurnRead,
  compiled: Compiled,
): { contact: Contact; account?: AccountVerificationUpdate; lockedUntil?: string } {
  if (read.pepper === undefined) throw new Error('A verification is decided without the factor pepper');
  const copy = contact.account;
  if (!copy || !contact.accountId) throw new Error('A verification is decided without the account’s copy');
  const secrets = copy.verification;
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
  const after = result.secrets;
  // The copy follows the account: the next guess on this contact expects what this one writes.
  const moved: Contact = { ...next, account: { ...copy, verification: after } };
  const lockedUntil = after.lockedUntil;
  if (result.kind === 'locked' && !result.justLocked)
    return { contact: moved, ...(lockedUntil ? { lockedUntil } : {}) };
  return {
    contact: moved,
    ...(lockedUntil ? { lockedUntil } : {}),
    account: {
      accountId: contact.accountId,
      expected: {
        failures: secrets.failures,
        attempts: secrets.attempts ?? 0,
        ...(secrets.lockedUntil ? { lockedUntil: secrets.lockedUntil } : {}),
        ...(copy.asOf ? { asOf: copy.asOf } : {}),
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

/** The counters a presentation looks up: this period's budget use, and the account's offer history. */
function countersOf(
  c: Contact,
  read: TurnRead,
  compiled: Compiled,
  now: string,
): Map<string, Partial<BudgetUsage & OfferHistory>> {
  const out = new Map<string, Partial<BudgetUsage & OfferHistory>>();
  for (const o of compiled.config.offers) {
    if (o.budget) {
      const used = read.budgets?.[o.budget.period]?.[o.offerId];
      if (used) out.set(budgetKey(o.offerId, o.budget, now), used);
    }
    const h = c.accountId ? c.offerHistory?.[o.offerId] : undefined;
    if (h) out.set(historyKey(c.accountId!, o.offerId), h);
  }
  return out;
}

/**
 * The acceptance the next offers are ranked with: the odds the start's propensity model gave each
 * offer, else (the control group, a refused state, an offer without odds) its catalog prior.
 */
function acceptance(c: Contact) {
  const p = c.propensity;
  if (!p || (!Object.keys(p.offers ?? {}).length && !Object.keys(p.odds ?? {}).length)) return undefined;
  return (o: { offerId: string; acceptProbability: number }) =>
    copiedOdds(p, o.offerId) ?? o.acceptProbability;
}

/** Whether a turn may present offers, and so reads this period's budgets: offers, and a decline. */
export function readsBudgets(input: TurnInput): boolean {
  return input.action === 'offers' || (input.action === 'respond' && input.request.response === 'DECLINED');
}

/** The budget periods `now` falls in, as the store keys them. */
export const budgetPeriods = (now: string) => ({
  DAY: budgetPeriodStart({ period: 'DAY' }, now),
  MONTH: budgetPeriodStart({ period: 'MONTH' }, now),
});
