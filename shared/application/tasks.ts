import { createHmac, randomUUID } from 'node:crypto';
import { budgetKey } from '../domain/budget';
import {
  admitTurn,
  applyAnswer,
  applyRoute,
  applyVerification,
  assignAgent,
  finalizeTurn,
  newContact,
  presentOffers,
} from '../domain/call';
import { historyKey } from '../domain/contact-policy';
import { computeFacts } from '../domain/facts';
import { acceptanceFor, statsKey } from '../domain/learning';
import { type CompiledCatalog, compileCatalog } from '../domain/offers';
import { problem } from '../domain/problems';
import { rateCharge, retryAfterSeconds } from '../domain/rate-limits';
import { routeContact } from '../domain/routing';
import { type CompiledSegmentTable, compileSegmentTable } from '../domain/segments';
import { verifyFactors } from '../domain/verification';
import type { AccountStore, ConfigSource, ContactStore, Counter, CounterStore, TurnStore } from '../ports';
import type { ContactRef, StartContactBody } from '../schemas/api';
import type { DecisionConfig } from '../schemas/config';
import type { Contact } from '../schemas/contact';
import { proceeding, type TaskState, type Turn } from './turn-state';

/** Compiled forms of a configuration, built once per version and reused across turns. */
export interface Compiled {
  config: DecisionConfig;
  catalog: CompiledCatalog;
  customerSegments: CompiledSegmentTable;
  cardSegments: CompiledSegmentTable;
}
const compiledByVersion = new Map<string, Compiled>();
export function compile(config: DecisionConfig): Compiled {
  let c = compiledByVersion.get(config.version);
  if (!c || c.config !== config) {
    c = {
      config,
      catalog: compileCatalog(config),
      customerSegments: compileSegmentTable(config.customerSegments),
      cardSegments: compileSegmentTable(config.cardSegments),
    };
    compiledByVersion.set(config.version, c);
  }
  return c;
}

/**
 * A contact id derived from the channel's own id (so a retried start, and the channel's later turns,
 * find the same contact), keyed with the contact key: nobody who knows only the channel's id can
 * derive it. Without a channel id: random.
 */
export function contactIdFor(key: string, channel: string, externalContactId?: string): string {
  if (!externalContactId) return randomUUID();
  const h = createHmac('sha256', key).update(`contact-id:${channel}:${externalContactId}`).digest('hex');
  // Shaped as a version-8 (custom) UUID: reveals nothing about the account.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Who started a contact, as a keyed fingerprint (no phone in clear): a start repeated with the same
 * channel id is the same contact only if it comes from the same caller, for the same account and reason.
 */
export function startFingerprint(key: string, r: StartContactBody): string {
  const who = [r.channel, r.callType, r.callerPhone ?? '', r.accountId ?? ''].join('|');
  return createHmac('sha256', key).update(`start:${who}`).digest('hex').slice(0, 32);
}

/** A number or account as rate limits count it: keyed, so the counters name neither. */
const subjectKey = (key: string, kind: 'phone' | 'account', id: string) =>
  createHmac('sha256', key).update(`${kind}:${id}`).digest('hex').slice(0, 32);

/** The contact id a turn names: its own, or the one derived from the channel's id. */
async function resolveContactId(ref: ContactRef, key: () => Promise<string>): Promise<string> {
  return typeof ref === 'string' ? ref : contactIdFor(await key(), ref.channel, ref.externalContactId);
}

/**
 * LoadContact: the one read of the turn. Start: finds the account by caller number or id and
 * drafts the contact. Other turns: reads the contact (and, to verify, the account) and admits or
 * rejects the turn for the contact's stage.
 */
export async function loadTurn(
  state: TaskState,
  deps: {
    contacts: ContactStore;
    accounts: AccountStore;
    config: ConfigSource;
    contactKey: () => Promise<string>;
  },
): Promise<Turn> {
  if (state.action === 'start') {
    const req = state.request;
    const key = await deps.contactKey();
    const contactId = req.externalContactId
      ? contactIdFor(key, req.channel, req.externalContactId)
      : randomUUID();
    const startedBy = req.externalContactId ? startFingerprint(key, req) : undefined;
    if (req.externalContactId) {
      const existing = await deps.contacts.get(contactId);
      if (existing) {
        // A retried start from the same caller finds its contact; anyone else learns nothing of it.
        if (existing.startedBy === startedBy) return { kind: 'unchanged', contact: existing };
        return {
          kind: 'rejected',
          problem: problem(
            'ExternalContactIdInUse',
            'This externalContactId belongs to a contact started by another caller: start with a new one.',
          ),
        };
      }
    }
    const [config, byId, byPhone] = await Promise.all([
      deps.config.active(),
      req.accountId ? deps.accounts.get(req.accountId) : undefined,
      !req.accountId && req.callerPhone ? deps.accounts.findByPhone(req.callerPhone) : undefined,
    ]);
    const account = byId ?? byPhone;
    // Starts are counted per calling number and per account (keyed: the counters name neither).
    const rate = [
      ...(req.callerPhone
        ? [rateCharge('startsPerPhone', subjectKey(key, 'phone', req.callerPhone), config, state.now)]
        : []),
      ...(account
        ? [rateCharge('startsPerAccount', subjectKey(key, 'account', account.accountId), config, state.now)]
        : []),
    ];
    const contact = newContact({
      contactId,
      request: req,
      now: state.now,
      ...(account ? { accountId: account.accountId } : {}),
      // The number is a factor only as a network's caller id: typed into a chat it proves nothing.
      callerMatched:
        account !== undefined &&
        req.channel !== 'chat' &&
        req.callerPhone !== undefined &&
        (req.callerPhone === account.phone || (account.otherPhones ?? []).includes(req.callerPhone)),
      config,
    });
    return {
      kind: 'proceed',
      isNew: true,
      contact: startedBy ? { ...contact, startedBy } : contact,
      ...(account ? { account, recordContact: { accountId: account.accountId, at: state.now } } : {}),
      log: [],
      rate,
    };
  }
  const contactId = await resolveContactId(state.contactId, deps.contactKey);
  const contact = await deps.contacts.get(contactId);
  if (!contact) return { kind: 'rejected', problem: problem('ContactNotFound', `No contact ${contactId}.`) };
  const admission = admitTurn(state, contact);
  if (admission.kind === 'rejected') return { kind: 'rejected', problem: admission.problem };
  if (admission.kind === 'unchanged') return { kind: 'unchanged', contact };
  if (state.action === 'verify' && contact.accountId) {
    const [account, config, key] = await Promise.all([
      deps.accounts.get(contact.accountId),
      deps.config.active(),
      deps.contactKey(),
    ]);
    // Every attempt that reaches the account counts against its limit (keyed: no id in the counters).
    const rate = [
      rateCharge('verificationsPerAccount', subjectKey(key, 'account', contact.accountId), config, state.now),
    ];
    if (account) return { kind: 'proceed', contact, account, log: [], rate };
  }
  // A desk person takes the contact over: recorded on it (who and since when), stored by SaveTurn.
  if (state.action === 'pickup')
    return { kind: 'proceed', contact: assignAgent(contact, state.actor, state.now), log: [] };
  return { kind: 'proceed', contact, log: [] };
}

/** SegmentCustomer: facts, customer value, customer and card segments (with the facts behind them). */
export function segmentTurn(state: TaskState, compiled: Compiled): Turn {
  const turn = proceeding(state);
  if (!turn.account) return turn;
  const facts = computeFacts(turn.account, state.now, compiled.config.value);
  const customer = compiled.customerSegments.classify(facts);
  const card = compiled.cardSegments.classify(facts);
  return {
    ...turn,
    contact: {
      ...turn.contact,
      facts,
      segment: {
        customer: customer.segment,
        card: card.segment,
        reasons: [...customer.reasons, ...card.reasons],
      },
    },
  };
}

/** RouteContact: queue, priority and reasons from call type, segment, flags and verification. */
export function routeTurn(state: TaskState, compiled: Compiled): Turn {
  const turn = proceeding(state);
  const c = turn.contact;
  const lockedUntil = turn.account?.verification.lockedUntil;
  const lockedNow = lockedUntil !== undefined && Date.parse(lockedUntil) > Date.parse(state.now);
  const verification = c.verification.status === 'LOCKED' || lockedNow ? 'LOCKED' : c.verification.status;
  const decision = routeContact(compiled.config.routing, {
    identified: c.accountId !== undefined,
    verification,
    callType: c.callType,
    ...(c.segment ? { customerSegment: c.segment.customer } : {}),
    ...(turn.account ? { flags: turn.account.flags } : {}),
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
  return { ...turn, contact: applyRoute(contact, decision, state.now) };
}

/** VerifyCaller: knowledge factors against the account's salted hashes; counts failures on the account. */
export function verifyTurn(state: TaskState, compiled: Compiled, pepper: string | undefined): Turn {
  const turn = proceeding(state);
  if (state.action !== 'verify') return turn;
  if (pepper === undefined) throw new Error('VerifyCaller reached without the factor pepper');
  const account = turn.account;
  if (!account) throw new Error('VerifyCaller reached without the account');
  const secrets = account.verification;
  const result = verifyFactors({
    secrets,
    pepper,
    given: state.request,
    callerMatched: turn.contact.verification.callerMatched,
    policy: compiled.config.verification,
    now: state.now,
  });
  const verified = applyVerification(turn.contact, result);
  const contact = state.idempotencyKey
    ? { ...verified, verification: { ...verified.verification, lastAttemptKey: state.idempotencyKey } }
    : verified;
  // Every judged guess writes the account's attempt sequence, conditionally on the one read; only a
  // guess on a locked account (not judged) writes nothing there.
  if (result.kind === 'locked' && !result.justLocked) return { ...turn, contact };
  const next = result.secrets;
  return {
    ...turn,
    contact,
    accountUpdate: {
      accountId: account.accountId,
      expected: {
        failures: secrets.failures,
        attempts: secrets.attempts ?? 0,
        ...(secrets.lockedUntil ? { lockedUntil: secrets.lockedUntil } : {}),
      },
      next: {
        failures: next.failures,
        attempts: next.attempts ?? 0,
        ...(next.lockedUntil ? { lockedUntil: next.lockedUntil } : {}),
      },
    },
  };
}

/**
 * ChooseOffers / OfferCrossSell: the next offers for the stage, best first, logged as presented.
 * Reads the counters once (budgets used this period, answers learned for this segment and call
 * type) and ranks with the learned acceptance, or the priors for the control group.
 */
export async function chooseOffersTurn(
  state: TaskState,
  compiled: Compiled,
  counters: CounterStore,
): Promise<Turn> {
  const turn = proceeding(state);
  const { config } = compiled;
  const c = turn.contact;
  const segment = c.segment?.customer;
  const budgetKeys = config.offers.flatMap((o) =>
    o.budget ? [budgetKey(o.offerId, o.budget, state.now)] : [],
  );
  const learnKeys = segment ? config.offers.map((o) => statsKey(o.offerId, segment, c.callType)) : [];
  const historyKeys = c.accountId ? config.offers.map((o) => historyKey(c.accountId!, o.offerId)) : [];
  // One round trip: shared counters (may be a few seconds old) and this account's history (fresh).
  const [shared, own] = await Promise.all([
    counters.read([...budgetKeys, ...learnKeys]),
    historyKeys.length > 0 ? counters.read(historyKeys, 0) : new Map<string, Counter>(),
  ]);
  const read = new Map([...shared, ...own]);
  const acceptance = segment
    ? acceptanceFor({
        config,
        policy: c.policy ?? 'LEARNING',
        segment,
        callType: c.callType,
        stats: read,
        seed: `${c.contactId}:${c.logSeq}`,
      })
    : undefined;
  const r = presentOffers(c, compiled.catalog, config, state.now, read, acceptance, state.actor);
  return { ...turn, contact: r.contact, log: [...(turn.log ?? []), ...r.log] };
}

/** RecordAnswer: the answer to a presented offer, and where the call goes next. */
export function answerTurn(state: TaskState, compiled: Compiled): Turn {
  const turn = proceeding(state);
  if (state.action !== 'respond') return turn;
  const r = applyAnswer({
    contact: turn.contact,
    offerId: state.request.offerId,
    response: state.request.response,
    ...(state.idempotencyKey ? { idempotencyKey: state.idempotencyKey } : {}),
    ...(state.actor ? { actor: state.actor } : {}),
    config: compiled.config,
    now: state.now,
  });
  return {
    ...turn,
    contact: r.contact,
    log: [...(turn.log ?? []), ...r.log],
    next: r.next,
    ...(r.budget ? { budget: r.budget } : {}),
    ...(r.learn ? { learn: r.learn } : {}),
  };
}

/**
 * A turn that lost the contact's version race may have lost it to an identical request (a client's
 * or Connect's retry): read the contact again, and if this turn is now a repeat of one already
 * stored, its answer is that first result. Anything else stays a conflict.
 */
async function settledRepeat(
  state: TaskState,
  turn: Turn & { contact: Contact },
  contacts: ContactStore,
): Promise<Turn | undefined> {
  const current = await contacts.get(turn.contact.contactId);
  if (!current) return undefined;
  if (turn.isNew)
    // The same caller's start, stored first by its twin (a derived id: the channel's retry).
    return current.startedBy !== undefined && current.startedBy === turn.contact.startedBy
      ? { kind: 'unchanged', contact: current }
      : undefined;
  return admitTurn(state, current).kind === 'unchanged' ? { kind: 'unchanged', contact: current } : undefined;
}

/**
 * SaveTurn: the one write of the turn, atomic and conditional on the version that was read. On a
 * conflict, `contacts` (when given) tells a repeat of a stored turn from a real concurrent change.
 */
export async function saveTurn(state: TaskState, store: TurnStore, contacts?: ContactStore): Promise<Turn> {
  const turn = proceeding(state);
  const contact = finalizeTurn(turn.contact, state, state.now);
  const outcome = await store.save({
    contact,
    ...(turn.isNew ? {} : { expectedVersion: turn.contact.version }),
    log: turn.log ?? [],
    ...(turn.accountUpdate ? { account: turn.accountUpdate } : {}),
    ...(turn.budget ? { budget: turn.budget } : {}),
    ...(turn.learn ? { learn: turn.learn } : {}),
    ...(turn.recordContact ? { recordContact: turn.recordContact } : {}),
    ...(turn.rate?.length ? { rate: turn.rate } : {}),
  });
  if (typeof outcome === 'object') {
    const seconds = retryAfterSeconds(outcome.charge, state.now);
    return {
      kind: 'rejected',
      problem: problem(
        'RateLimited',
        `Too many requests for this ${outcome.charge.scope === 'startsPerPhone' ? 'number' : 'account'}: try again in ${seconds} s.`,
        { retryAfterSeconds: seconds },
      ),
    };
  }
  if (outcome === 'budget-exhausted') {
    const offerId = state.action === 'respond' ? state.request.offerId : 'this offer';
    return {
      kind: 'rejected',
      problem: problem(
        'BudgetExhausted',
        `The budget of ${offerId} for this period is spent: decline it and the next offer follows.`,
      ),
    };
  }
  if (outcome === 'conflict') {
    const repeat = contacts ? await settledRepeat(state, turn, contacts) : undefined;
    if (repeat) return repeat;
    return {
      kind: 'rejected',
      problem: problem(
        'ConcurrentUpdate',
        turn.isNew
          ? 'This contact was started concurrently by another request; repeat the request to read it.'
          : 'The contact changed while this request was served; read it again and retry.',
      ),
    };
  }
  return { kind: 'saved', contact };
}
