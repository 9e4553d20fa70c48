import type { StartContactBody, TurnInput } from '../schemas/api';
import type { DecisionConfig, Offer, Stage } from '../schemas/config';
import type { Answer, Contact, OfferLogEvent, OfferResponse, PresentedOffer } from '../schemas/contact';
import type { ActedBy, Actor, Authority } from '../schemas/identity';
import { actedBy, authorityOf, authorityRank, ROLE_OF_AUTHORITY, rolesWithAuthority } from './authority';
import { type Budget, type BudgetUsage, budgetKey, budgetPeriodStart, withinBudget } from './budget';
import { historyKey, type OfferHistory, suppressedBy } from './contact-policy';
import { killSwitchOf, killSwitchRoute } from './kill-switch';
import { policyFor } from './learning';
import type { CompiledCatalog, DecisionContext } from './offers';
import { type Problem, problem } from './problems';
import { propensityFigures, propensityReasons } from './propensity';
import type { RoutingDecision } from './routing';
import { applyScenarioOffers } from './strategies';
import type { VerificationResult } from './verification';

/** A new contact, before routing. `contactId` comes from the caller (random or derived). */
export function newContact(args: {
  contactId: string;
  request: StartContactBody;
  now: string;
  accountId?: string;
  callerMatched: boolean;
  config: DecisionConfig;
}): Contact {
  const { contactId, request, now, config } = args;
  return {
    contactId,
    version: 0,
    channel: request.channel,
    callType: request.callType,
    ...(request.externalContactId ? { externalContactId: request.externalContactId } : {}),
    createdAt: now,
    updatedAt: now,
    ...(args.accountId ? { accountId: args.accountId } : {}),
    stage: 'VERIFY',
    route: { queue: 'GENERAL_SERVICE', priority: 3, reasons: ['not routed yet'], ruleId: 'NONE' },
    verification: {
      status: 'PENDING',
      attemptsLeft: config.verification.maxFailures,
      callerMatched: args.callerMatched,
    },
    offers: [],
    current: [],
    answers: [],
    history: [{ stage: 'VERIFY', at: now }],
    configVersion: config.version,
    ...(args.accountId ? { policy: policyFor(args.accountId, config) } : {}),
    logSeq: 0,
  };
}

function setStage(c: Contact, stage: Stage, now: string): Contact {
  if (c.stage === stage) return c;
  return { ...c, stage, history: [...c.history, { stage, at: now }] };
}

export type Admission = { kind: 'proceed' } | { kind: 'unchanged' } | { kind: 'rejected'; problem: Problem };

/** Whether the contact's stage lets this turn run; a repeated identical answer is served unchanged. */
export function admitTurn(input: TurnInput, contact: Contact): Admission {
  const s = contact.stage;
  const reject = (p: Problem): Admission => ({ kind: 'rejected', problem: p });
  switch (input.action) {
    case 'start':
    case 'get':
      return { kind: 'unchanged' };
    case 'pickup':
      if (contact.channel === 'agent')
        return reject(problem('StageConflict', 'An agent-desk contact is already held at the desk.'));
      // Already held by this person: nothing to record again.
      return contact.agent?.sub === input.actor.sub ? { kind: 'unchanged' } : { kind: 'proceed' };
    case 'verify':
      if (input.idempotencyKey && input.idempotencyKey === contact.verification.lastAttemptKey)
        return { kind: 'unchanged' };
      if (s === 'VERIFY') return { kind: 'proceed' };
      if (s === 'LOCKED')
        return reject(
          problem(
            'VerificationLocked',
            'Too many failed attempts: verification is locked; the caller goes to security.',
            {
              stage: s,
              attemptsLeft: 0,
              lockedUntil: contact.verification.lockedUntil,
            },
          ),
        );
      if (s === 'UNIDENTIFIED' || s === 'ROUTED')
        return reject(
          problem('StageConflict', `This contact is ${s} (queue ${contact.route.queue}): nothing to verify.`),
        );
      return reject(problem('StageConflict', 'The caller is already verified.'));
    case 'offers':
      if (s === 'VERIFY' || s === 'LOCKED')
        return reject(problem('NotVerified', 'Offers are available only after the caller is verified.'));
      return (s === 'OFFER' || s === 'CROSS_SELL') && contact.current.length === 0
        ? { kind: 'proceed' }
        : { kind: 'unchanged' };
    case 'close':
      // The customer insists on closing: recorded once (a repeat is the first answer), at any point
      // of the retention dialog; before it the caller is verified (a closure is the account holder's),
      // after it the contact has ended.
      if (s === 'CLOSED' && contact.outcome === 'CLOSURE_REQUESTED') return { kind: 'unchanged' };
      if (s === 'OFFER' || s === 'CROSS_SELL') return { kind: 'proceed' };
      if (s === 'VERIFY')
        return reject(
          problem(
            'NotVerified',
            'A closure is recorded for a verified caller: verify first, and it is recorded at once, with no offers.',
          ),
        );
      return reject(
        problem(
          'StageConflict',
          `The contact has ended at ${s}: a person takes a closure request from here.`,
          {
            stage: s,
          },
        ),
      );
    case 'respond': {
      const { offerId, response } = input.request;
      if (input.idempotencyKey) {
        const prior = contact.answers.find((a) => a.idempotencyKey === input.idempotencyKey);
        if (prior && (prior.offerId !== offerId || prior.response !== response))
          return reject(
            problem(
              'IdempotencyKeyReused',
              `Idempotency-Key was first used for ${prior.response} of ${prior.offerId}; use a new key for a new answer.`,
            ),
          );
      }
      const answered = contact.answers.find((a) => a.offerId === offerId);
      if (answered) {
        return answered.response === response
          ? { kind: 'unchanged' }
          : reject(
              problem(
                'AnswerConflict',
                `Offer ${offerId} was already ${answered.response}; an answer cannot change.`,
              ),
            );
      }
      if (s === 'VERIFY' || s === 'LOCKED')
        return reject(problem('NotVerified', 'Answers are taken only after the caller is verified.'));
      if (!contact.current.includes(offerId))
        return reject(
          problem('OfferNotPresented', `Offer ${offerId} is not among the offers presented on this contact.`),
        );
      // Granting an offer takes its authority; declining one grants nothing.
      const needed = contact.offers.find((o) => o.offerId === offerId)?.authority ?? 'AGENT';
      const held = turnAuthority(input.actor);
      if (response === 'ACCEPTED' && (held === undefined || authorityRank(needed) > authorityRank(held))) {
        const who = input.actor ? input.actor.username : 'The self-service channel';
        return reject(
          problem(
            'InsufficientAuthority',
            `Offer ${offerId} needs a ${ROLE_OF_AUTHORITY[needed]} (authority ${needed}); ${who} may grant ${held ? `offers of ${held} authority` : 'no offer'}. A ${rolesWithAuthority(needed).join(' or ')} may accept it.`,
            { requiredAuthority: needed, requiredRoles: rolesWithAuthority(needed) },
          ),
        );
      }
      return { kind: 'proceed' };
    }
  }
}

/**
 * The authority a turn carries: the desk person's (from their roles), or an agent's for a turn with no
 * person (the self-service channels, whose offers are all of agent authority).
 */
export function turnAuthority(actor: Actor | undefined): Authority | undefined {
  return actor ? authorityOf(actor.roles) : 'AGENT';
}

/**
 * Whether the contact is self-service on this turn: a voice or chat contact that no desk person holds
 * (`agent`, set by a pickup) and that no desk person is acting on. Self-service presents only offers
 * of agent authority and hands the customer to a person for the rest.
 */
export function isSelfService(c: Contact, actor: Actor | undefined): boolean {
  return c.channel !== 'agent' && c.agent === undefined && actor === undefined;
}

/** The pickup hook: a desk person takes a voice or chat contact over on the desktop (contact binding). */
export function assignAgent(c: Contact, actor: Actor, now: string): Contact {
  return { ...c, agent: { ...actedBy(actor), since: now } };
}

/** After routing: the disposition ends the call at a stage, or it goes on to verification or offers. */
export function applyRoute(c: Contact, d: RoutingDecision, now: string): Contact {
  const stage: Stage =
    d.disposition === 'CONTINUE'
      ? c.verification.status === 'VERIFIED'
        ? 'OFFER'
        : 'VERIFY'
      : d.disposition;
  // A strategy stage's route (a VIP desk, collections) takes a contact that stays in the retention
  // flow; a contact the routing ends (fraud, locked, unidentified) goes where the routing says.
  const sr = d.disposition === 'CONTINUE' ? c.scenario?.route : undefined;
  const route = sr
    ? {
        ...d.route,
        queue: sr.queue,
        reasons: [
          `strategy ${sr.strategyId}: ${sr.script ?? `its stage routes to ${sr.queue}`}`,
          ...d.route.reasons,
        ],
        ruleId: `STRATEGY:${sr.strategyId}`,
      }
    : d.route;
  return setStage({ ...c, route }, stage, now);
}

export function applyVerification(c: Contact, r: VerificationResult): Contact {
  const v = c.verification;
  switch (r.kind) {
    case 'verified':
      return { ...c, verification: { ...v, status: 'VERIFIED', lastResult: 'VERIFIED' } };
    case 'insufficient':
      return {
        ...c,
        verification: { ...v, attemptsLeft: r.attemptsLeft, lastResult: 'MORE_FACTORS_NEEDED' },
      };
    case 'failed':
      return { ...c, verification: { ...v, attemptsLeft: r.attemptsLeft, lastResult: 'WRONG_FACTORS' } };
    case 'locked':
      return {
        ...c,
        verification: { ...v, status: 'LOCKED', attemptsLeft: 0, lockedUntil: r.until, lastResult: 'LOCKED' },
      };
  }
}

/** One offer-log event, numbered in the contact's own sequence. */
function logEvent(
  c: Contact,
  now: string,
  event: OfferLogEvent['event'],
  config: DecisionConfig,
  offer?: PresentedOffer,
  by?: ActedBy,
): { contact: Contact; event: OfferLogEvent } {
  const e: OfferLogEvent = {
    contactId: c.contactId,
    seq: c.logSeq,
    at: now,
    event,
    accountId: c.accountId ?? 'UNIDENTIFIED',
    callType: c.callType,
    channel: c.channel,
    stage: c.stage,
    configVersion: c.configVersion,
    ...(c.churn ? { churnModelId: c.churn.modelId, churnRisk: c.churn.risk } : {}),
    closing: config.callTypes[c.callType]?.closing ?? false,
    ...(c.synthetic ? { synthetic: true as const } : {}),
    ...(c.policy ? { policy: c.policy } : {}),
    ...(c.segment ? { customerSegment: c.segment.customer, cardSegment: c.segment.card } : {}),
    ...(offer ? { offerId: offer.offerId, kind: offer.kind, economics: offer.economics } : {}),
    ...(by ? { by } : {}),
  };
  return { contact: { ...c, logSeq: c.logSeq + 1 }, event: e };
}

export interface Stepped {
  contact: Contact;
  log: OfferLogEvent[];
}

/**
 * The customer insists ("just close it"): the closure request is recorded now, whatever the call type,
 * and no offer follows (the offers on the table are withdrawn, not declined: nothing was answered).
 */
export const insistOnClosure = (c: Contact, config: DecisionConfig, now: string): Stepped =>
  closeContact(c, config, now, [], true);

/**
 * The contact ends CLOSED, nothing on the table: a closure requested (a closing call type, or a
 * customer who insists), else a complaint not resolved.
 */
function closeContact(
  c: Contact,
  config: DecisionConfig,
  now: string,
  log: OfferLogEvent[],
  insisted = false,
): Stepped {
  const closing = insisted || (config.callTypes[c.callType]?.closing ?? false);
  let contact = setStage(
    { ...c, current: [], outcome: closing ? 'CLOSURE_REQUESTED' : 'NOT_RESOLVED' },
    'CLOSED',
    now,
  );
  const l = logEvent(contact, now, closing ? 'CLOSURE_REQUESTED' : 'CONTACT_CLOSED', config);
  contact = l.contact;
  return { contact, log: [...log, l.event] };
}

function decisionContext(c: Contact, now: string): DecisionContext | undefined {
  if (!c.facts || !c.segment) return undefined;
  return {
    facts: c.facts,
    customerSegment: c.segment.customer,
    cardSegment: c.segment.card,
    callType: c.callType,
    today: now,
  };
}

/**
 * Puts the next offers on the table: retention offers (best first, at most `offersPerTurn` at a
 * time and `maxRetentionOffers` per contact, never one already presented), then, when none is left,
 * cross-sell offers that suit the customer, then the closure. Does nothing when offers are on the table.
 */
export function presentOffers(
  c0: Contact,
  catalog: CompiledCatalog,
  config: DecisionConfig,
  now: string,
  /** Counters as read for this decision: budgets used this period, the account's offer history. */
  counters: ReadonlyMap<string, Partial<BudgetUsage & OfferHistory>> = new Map(),
  acceptance?: (offer: Offer) => number,
  /** The desk person on this turn; none on a self-service turn (see isSelfService). */
  actor?: Actor,
): Stepped {
  const log: OfferLogEvent[] = [];
  if (c0.current.length > 0 || (c0.stage !== 'OFFER' && c0.stage !== 'CROSS_SELL'))
    return { contact: c0, log };
  // The decision about to be made records the configuration version it uses.
  let c: Contact = { ...c0, configVersion: config.version };
  // Kill switch: nothing new on the table (offers already there may still be answered): a person takes it.
  const ks = killSwitchOf(config);
  if (ks) return { contact: setStage({ ...c, route: killSwitchRoute(c.route, ks) }, 'ROUTED', now), log };
  const ctx = decisionContext(c, now);
  const presented = new Set(c.offers.map((o) => o.offerId));
  const ceiling: Authority | undefined = isSelfService(c, actor) ? 'AGENT' : undefined;
  /** Offers left for the customer that the channel may not present: a person is needed for them. */
  let withheld: PresentedOffer['offerId'][] = [];
  let withheldAuthority: Authority = 'SUPERVISOR';
  const present = (kind: PresentedOffer['kind'], max: number): boolean => {
    if (!ctx || max <= 0) return false;
    // An offer whose budget for the period is spent is not shown (the accept itself is checked exactly).
    const affordable = applyScenarioOffers(catalog.rank(kind, ctx, presented, acceptance), c.scenario).filter(
      (p) => {
        const o = p.offer;
        if (c.accountId) {
          const h = counters.get(historyKey(c.accountId, o.offerId));
          if (h && suppressedBy(o, { presentations: h.presentations ?? 0, ...h }, config, now)) return false;
        }
        const b = o.budget;
        if (!b) return true;
        const used = counters.get(budgetKey(o.offerId, b, now));
        return withinBudget(b, { accepts: used?.accepts ?? 0, cost: used?.cost ?? 0 }, p.economics.cost);
      },
    );
    const allowed = ceiling
      ? affordable.filter((p) => authorityRank(p.offer.authority) <= authorityRank(ceiling))
      : affordable;
    const picks = allowed.slice(0, max);
    if (picks.length === 0) {
      withheld = affordable.map((p) => p.offer.offerId);
      for (const p of affordable)
        if (authorityRank(p.offer.authority) < authorityRank(withheldAuthority))
          withheldAuthority = p.offer.authority ?? 'AGENT';
      return false;
    }
    const shown: PresentedOffer[] = picks.map((p) => ({
      offerId: p.offer.offerId,
      kind: p.offer.kind,
      title: p.offer.title,
      scripts: p.offer.scripts,
      // The propensity model's odds for this account, and the facts that moved them, when it decided.
      reasons: [...p.reasons, ...(c.propensity ? propensityReasons(c.propensity, p.offer) : [])],
      economics: p.economics,
      authority: p.offer.authority ?? 'AGENT',
      presentedAt: now,
    }));
    c = { ...c, offers: [...c.offers, ...shown], current: shown.map((s) => s.offerId) };
    for (const s of shown) {
      const l = logEvent(c, now, 'PRESENTED', config, s);
      c = l.contact;
      log.push(l.event);
    }
    return true;
  };

  if (c.stage === 'OFFER') {
    const used = c.offers.filter((o) => o.kind === 'RETENTION').length;
    const room = Math.min(config.limits.offersPerTurn, config.limits.maxRetentionOffers - used);
    if (present('RETENTION', room)) return { contact: c, log };
    if (withheld.length > 0) return { contact: handOver(c, withheld, withheldAuthority, now), log };
    c = setStage(c, 'CROSS_SELL', now);
  }
  if (c.offers.some((o) => o.kind === 'CROSS_SELL')) return closeContact(c, config, now, log);
  if (present('CROSS_SELL', config.limits.maxCrossSellOffers)) return { contact: c, log };
  if (withheld.length > 0) return { contact: handOver(c, withheld, withheldAuthority, now), log };
  return closeContact(c, config, now, log);
}

/**
 * A self-service channel has no offer of its own authority left, but the customer has offers that a
 * person may grant: rather than move on (cross-sell, closure), the contact goes to a person, in the
 * stage it is in, with nothing on the table. A desk person who picks it up is presented those offers.
 */
function handOver(c: Contact, offerIds: string[], authority: Authority, now: string): Contact {
  const role = ROLE_OF_AUTHORITY[authority];
  return {
    ...c,
    route: {
      // VIP customers stay with the VIP desk; everyone else goes to the retention specialists.
      queue: c.route.queue === 'VIP_RETENTION' ? 'VIP_RETENTION' : 'RETENTION_SPECIALIST',
      priority: c.route.priority,
      reasons: [
        `offers left need a ${role} (${offerIds.join(', ')}): a person takes the contact`,
        ...c.route.reasons.filter((r) => !r.startsWith('offers left need a ')),
      ],
      ruleId: 'AUTHORITY_HANDOVER',
    },
    handover: c.handover ?? { authority, offerIds, at: now },
  };
}

/** What an accept adds to its offer's budget for the period; the store refuses it past the cap. */
export interface BudgetCharge {
  offerId: string;
  period: Budget['period'];
  /** The period charged: its UTC day (YYYY-MM-DD) or month (YYYY-MM). */
  periodStart: string;
  cost: number;
  maxAccepts?: number;
  maxCost?: number;
}

/**
 * Records an answer (admission has checked it is on the table), and where the call goes with it.
 * Accepting a retention offer keeps the customer; accepting a cross-sell sells the product (a closing
 * call still records its closure request). A decline that leaves nothing on the table asks
 * presentOffers for what follows (more retention offers, then cross-sell, then the closure): that
 * rule lives there alone. The answer is stored with the result it produced, once.
 */
export function applyAnswer(args: {
  contact: Contact;
  offerId: string;
  response: OfferResponse;
  idempotencyKey?: string;
  config: DecisionConfig;
  catalog: CompiledCatalog;
  now: string;
  /** The desk person who took the answer; none when the customer answered a self-service channel. */
  actor?: Actor;
  /** For the next offers after a decline: counters as read and the learned acceptance. */
  counters?: ReadonlyMap<string, Partial<BudgetUsage & OfferHistory>>;
  acceptance?: (offer: Offer) => number;
}): Stepped & { budget?: BudgetCharge } {
  const { offerId, response, config, now } = args;
  const closing = config.callTypes[args.contact.callType]?.closing ?? false;
  const offer = args.contact.offers.find((o) => o.offerId === offerId)!;
  const by = args.actor ? actedBy(args.actor) : undefined;
  let c: Contact = {
    ...args.contact,
    offers: args.contact.offers.map((o) => (o.offerId === offerId ? { ...o, response } : o)),
    current: args.contact.current.filter((id) => id !== offerId),
  };
  let log: OfferLogEvent[] = [];
  const l = logEvent(c, now, response, config, { ...offer, response }, by);
  c = l.contact;
  // What the propensity learner reads of the answer, once, from the log's stream: the offer's prior
  // and the figures the decision encoded (none for a synthetic contact: the canary teaches nothing).
  const prior = config.offers.find((o) => o.offerId === offerId)?.acceptProbability;
  log.push(
    c.facts && prior !== undefined && !c.synthetic
      ? { ...l.event, learning: { prior, figures: propensityFigures(c.facts) } }
      : l.event,
  );
  let budget: { budget?: BudgetCharge } = {};

  if (response === 'ACCEPTED') {
    const b = config.offers.find((o) => o.offerId === offerId)?.budget;
    if (b)
      budget = {
        budget: {
          offerId,
          period: b.period,
          periodStart: budgetPeriodStart(b, now),
          cost: offer.economics.cost,
          ...(b.maxAccepts !== undefined ? { maxAccepts: b.maxAccepts } : {}),
          ...(b.maxCost !== undefined ? { maxCost: b.maxCost } : {}),
        },
      };
    if (offer.kind === 'RETENTION') {
      c = setStage(
        { ...c, current: [], outcome: closing ? 'SAVED' : 'RESOLVED' },
        closing ? 'RETAINED' : 'RESOLVED',
        now,
      );
    } else {
      c = setStage({ ...c, current: [], outcome: 'CROSS_SOLD' }, 'CROSS_SOLD', now);
      if (closing) {
        const cl = logEvent(c, now, 'CLOSURE_REQUESTED', config);
        c = cl.contact;
        log.push(cl.event);
      }
    }
  } else if (c.current.length === 0) {
    const next = presentOffers(c, args.catalog, config, now, args.counters, args.acceptance, args.actor);
    c = next.contact;
    log = [...log, ...next.log];
  }
  const answer: Answer = {
    offerId,
    response,
    at: now,
    ...(args.idempotencyKey ? { idempotencyKey: args.idempotencyKey } : {}),
    ...(by ? { by } : {}),
    result: { stage: c.stage, ...(c.outcome ? { outcome: c.outcome } : {}), offerIds: [...c.current] },
  };
  return { contact: { ...c, answers: [...c.answers, answer] }, log, ...budget };
}

/** Stamps a contact about to be stored: its next version and the time. */
export function stamp(c: Contact, now: string): Contact {
  return { ...c, version: c.version + 1, updatedAt: now };
}
