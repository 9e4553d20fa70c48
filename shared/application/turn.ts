import { createHmac, randomUUID } from 'node:crypto';
import { admitTurn } from '../domain/call';
import { compile } from '../domain/compiled';
import { problem } from '../domain/problems';
import { type RateCharge, retryAfterSeconds } from '../domain/rate-limits';
import type { Move } from '../domain/strategies';
import { copyOf, type DecidedInput, decide, type Plan, readsBudgets, type TurnRead } from '../domain/turn';
import type { AccountStore, ConfigSource, ContactStore, CounterStore, TurnStore } from '../ports';
import type { StartContactBody, TurnInput } from '../schemas/api';
import type { Contact } from '../schemas/contact';

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

/**
 * A verification's idempotency key as the contact keeps it (`verification.lastAttemptKey`): keyed
 * with the contact key. A channel tells one attempt from the next by what was entered (Connect's
 * key holds a hash of the keypad digits, Lex's of the slots), and a plain hash of a card's last four
 * and a ZIP code is undone by trying the billion of them: stored as given, the table would hold the
 * factors. Keyed, a retry still matches its first attempt, and the stored key names nothing.
 */
async function withKeyedAttempt(input: TurnInput, deps: DecideDeps): Promise<TurnInput> {
  if (input.action !== 'verify' || !input.idempotencyKey) return input;
  const key = await deps.contactKey();
  const keyed = createHmac('sha256', key).update(`attempt:${input.idempotencyKey}`).digest('hex');
  return { ...input, idempotencyKey: `k1:${keyed.slice(0, 40)}` };
}

/** A number or account as rate limits count it: keyed, so the counters name neither. */
const subjectKey = (key: string, kind: 'phone' | 'account', id: string) =>
  createHmac('sha256', key).update(`${kind}:${id}`).digest('hex').slice(0, 32);

export interface DecideDeps {
  contacts: ContactStore;
  accounts: AccountStore;
  config: ConfigSource;
  counters: CounterStore;
  /** Keys derived contact ids and rate-limit subjects (read once per container, when first needed). */
  contactKey: () => Promise<string>;
  /** Keys the factor hashes (read once per container, by the first verification). */
  pepper: () => Promise<string>;
}

/**
 * What the state machine's SaveTurn receives: the plan, and for a write the request without its
 * factors (to tell a repeat from a concurrent change if the write loses its race).
 */
export type DecideOutput = Plan & { repeat?: DecidedInput };

/**
 * DecideTurn: the turn's reads, then its decision. Everything the decision needs is read here and
 * nothing is written: a failure anywhere leaves storage as it was.
 */
export async function decideTurn(input: TurnInput, deps: DecideDeps): Promise<DecideOutput> {
  const { decided, read, compiled } = await readTurn(await withKeyedAttempt(input, deps), deps);
  const plan = decide(decided, read, compiled);
  if (plan.kind === 'unchanged') return { ...plan, contact: publicContact(plan.contact) };
  if (plan.kind !== 'write') return plan;
  return { ...plan, repeat: withoutFactors(decided) };
}

/**
 * The contact as a run returns it: without what the start copied for the later turns (the account's
 * salted hashes and counters, its offer history, the propensity model's odds), which only the store
 * keeps (the offers' reasons say what moved the odds).
 */
export function publicContact(c: Contact): Contact {
  const { account: _account, offerHistory: _history, propensity: _propensity, ...rest } = c;
  return rest;
}

/**
 * The turn's reads, all sent at once (one round trip): a start reads what its request names; every
 * later turn reads its contact (which carries what the start copied for it), the configuration
 * (cached), and for offers this period's budgets. The secrets come from Secrets Manager, cached.
 */
async function readTurn(input: TurnInput, deps: DecideDeps) {
  if (input.action === 'start') {
    const req = input.request;
    const key = await deps.contactKey();
    const contactId = req.externalContactId
      ? contactIdFor(key, req.channel, req.externalContactId)
      : randomUUID();
    const [config, existing, byId, byPhone, propensity] = await Promise.all([
      deps.config.active(),
      req.externalContactId ? deps.contacts.get(contactId) : undefined,
      req.accountId ? deps.accounts.get(req.accountId) : undefined,
      !req.accountId && req.callerPhone ? deps.accounts.findByPhone(req.callerPhone) : undefined,
      deps.counters.propensity(),
    ]);
    const account = byId ?? byPhone;
    const read: TurnRead = {
      contactId,
      propensity,
      ...(existing ? { contact: existing } : {}),
      ...(req.externalContactId ? { startedBy: startFingerprint(key, req) } : {}),
      ...(account ? { account } : {}),
      subjects: {
        ...(req.callerPhone ? { phone: subjectKey(key, 'phone', req.callerPhone) } : {}),
        ...(account ? { account: subjectKey(key, 'account', account.accountId) } : {}),
      },
    };
    return { decided: input, read, compiled: compile(config) };
  }
  const ref = input.contactId;
  const key = typeof ref === 'string' && input.action !== 'verify' ? undefined : await deps.contactKey();
  const contactId = typeof ref === 'string' ? ref : contactIdFor(key!, ref.channel, ref.externalContactId);
  const decided = { ...input, contactId } as DecidedInput;
  const [contact, config, budgets, pepper] = await Promise.all([
    deps.contacts.get(contactId),
    deps.config.active(),
    readsBudgets(input) ? deps.counters.budgets(input.now) : undefined,
    input.action === 'verify' ? deps.pepper() : undefined,
  ]);
  // A contact started before the start copied the account (a deploy in between): one more read, on
  // that path only.
  const account =
    input.action === 'verify' && contact?.accountId && !contact.account && contact.stage === 'VERIFY'
      ? await deps.accounts.get(contact.accountId)
      : undefined;
  const read: TurnRead = {
    ...(contact ? { contact } : {}),
    ...(account ? { account } : {}),
    ...(budgets ? { budgets } : {}),
    ...(pepper !== undefined ? { pepper } : {}),
    // Every verification that reaches an account counts against its limit (keyed: no id in the counters).
    ...(input.action === 'verify' && contact?.accountId
      ? { subjects: { account: subjectKey(key!, 'account', contact.accountId) } }
      : {}),
  };
  return { decided, read, compiled: compile(config) };
}

/** The request as SaveTurn needs it: the factors a caller gave never travel past the decision. */
function withoutFactors(input: DecidedInput): DecidedInput {
  return input.action === 'verify' ? { ...input, request: {} } : input;
}

/** What SaveTurn answers: the stored contact, a repeat's first result, or nothing stored and why. */
export type Saved =
  | { kind: 'saved'; contact: Contact }
  | { kind: 'unchanged'; contact: Contact }
  | { kind: 'rejected'; problem: ReturnType<typeof problem> };

export class TurnStateError extends Error {
  override name = 'TurnStateError';
}

/**
 * SaveTurn: the one write of the turn, atomic and conditional on the version that was read. On a
 * conflict, `contacts` (when given) tells a repeat of a stored turn from a real concurrent change.
 */
export async function saveTurn(
  plan: DecideOutput,
  store: TurnStore,
  contacts?: ContactStore,
  accounts?: AccountStore,
  /** Told of the stage moves a start's placement wrote (the stage log). */
  onPlaced?: (moves: readonly Move[], at: string) => void,
): Promise<Saved> {
  if (plan.kind !== 'write') throw new TurnStateError(`SaveTurn reached with a ${plan.kind} plan`);
  const { contact, writes } = plan;
  let outcome = await store.save({ contact, ...writes });
  // Another writer placed the account since the start read it: the contact starts all the same; the
  // placement it would have moved is left to that writer's (the next change or the schedule re-judges).
  if (outcome === 'placement-changed') {
    const { placement: _placement, ...rest } = writes;
    outcome = await store.save({ contact, ...rest });
  } else if (outcome === 'saved' && writes.placement) onPlaced?.(writes.placement.moves, contact.updatedAt);
  if (typeof outcome === 'object') return rateLimited(outcome.charge, contact.updatedAt);
  if (outcome === 'budget-exhausted') {
    const offerId = plan.repeat?.action === 'respond' ? plan.repeat.request.offerId : 'this offer';
    return {
      kind: 'rejected',
      problem: problem(
        'BudgetExhausted',
        `The budget of ${offerId} for this period is spent: decline it and the next offer follows.`,
      ),
    };
  }
  if (outcome === 'account-changed') {
    // The contact's copy of its account is stale (another contact's guess, an import): nothing was
    // judged. The copy is brought up to date, so the same request sent again is judged on the account
    // as it is now; a lock found is answered (and the attempt counted) at once.
    const stale = await refreshCopy(plan, store, contacts, accounts);
    if (stale) return stale;
  }
  if (outcome === 'conflict' || outcome === 'account-changed') {
    const repeat = contacts ? await settledRepeat(plan, contacts) : undefined;
    if (repeat) return repeat;
    return {
      kind: 'rejected',
      problem: problem(
        'ConcurrentUpdate',
        plan.isNew
          ? 'This contact was started concurrently by another request; repeat the request to read it.'
          : 'The contact changed while this request was served; read it again and retry.',
      ),
    };
  }
  return { kind: 'saved', contact: publicContact(contact) };
}

/** A write refused by a rate limit: 429, with when to come back. */
function rateLimited(charge: RateCharge, now: string): Saved {
  const seconds = retryAfterSeconds(charge, now);
  const subject = charge.scope === 'startsPerPhone' ? 'number' : 'account';
  return {
    kind: 'rejected',
    problem: problem('RateLimited', `Too many requests for this ${subject}: try again in ${seconds} s.`, {
      retryAfterSeconds: seconds,
    }),
  };
}

/** After a stale copy: the refreshed copy's answer (a lock, a rate limit), or undefined for a 409. */
async function refreshCopy(
  plan: Extract<DecideOutput, { kind: 'write' }>,
  store: TurnStore,
  contacts: ContactStore | undefined,
  accounts: AccountStore | undefined,
): Promise<Saved | undefined> {
  if (!contacts || !accounts || !plan.contact.accountId) return undefined;
  const [account, current] = await Promise.all([
    accounts.get(plan.contact.accountId),
    contacts.get(plan.contact.contactId),
  ]);
  if (!account || !current?.account) return undefined;
  const v = account.verification;
  // A lock found is this attempt's answer, and the attempt counts; otherwise nothing was judged and
  // the client's retry (judged on the fresh copy) is what counts, once.
  const locked =
    v.lockedUntil !== undefined && Date.parse(v.lockedUntil) > Date.parse(plan.contact.updatedAt);
  const r = await store.refreshAccountCopy(
    current.contactId,
    current.version,
    copyOf(account),
    locked ? plan.writes.rate : [],
  );
  if (typeof r === 'object') {
    return rateLimited(r.charge, plan.contact.updatedAt);
  }
  if (r === 'refreshed' && locked)
    return {
      kind: 'rejected',
      problem: problem(
        'VerificationLocked',
        'Too many failed attempts: verification is locked; the caller goes to security.',
        { stage: current.stage, attemptsLeft: 0, lockedUntil: v.lockedUntil },
      ),
    };
  return undefined;
}

/**
 * A turn that lost the contact's version race may have lost it to an identical request (a client's
 * or Connect's retry): read the contact again, and if this turn is now a repeat of one already
 * stored, its answer is that first result. Anything else stays a conflict.
 */
async function settledRepeat(
  plan: Extract<DecideOutput, { kind: 'write' }>,
  contacts: ContactStore,
): Promise<Saved | undefined> {
  const current = await contacts.get(plan.contact.contactId);
  if (!current) return undefined;
  if (plan.isNew)
    // The same caller's start, stored first by its twin (a derived id: the channel's retry).
    return current.startedBy !== undefined && current.startedBy === plan.contact.startedBy
      ? { kind: 'unchanged', contact: publicContact(current) }
      : undefined;
  if (!plan.repeat || plan.repeat.action === 'start') return undefined;
  return admitTurn(plan.repeat, current).kind === 'unchanged'
    ? { kind: 'unchanged', contact: current }
    : undefined;
}

/**
 * What a failed turn left in storage, from where it failed: before SaveTurn nothing was written
 * ('failed'); at SaveTurn, only DynamoDB's own refusal (throttling after the retries) proves the
 * write was not applied; a timeout, an unknown outcome or a run that gave up may have stored it
 * ('unknown': the caller repeats the same request to learn the result).
 */
export function storedOutcome(
  failedAt: string,
  error: string,
  action?: TurnInput['action'],
): 'failed' | 'unknown' {
  // A read writes nothing, wherever it failed.
  if (action === 'get') return 'failed';
  if (failedAt === 'RetentionCall') return 'unknown';
  if (failedAt !== 'SaveTurn') return 'failed';
  return error === 'TransientStorageError' || error === 'TurnStateError' ? 'failed' : 'unknown';
}
