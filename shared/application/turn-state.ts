import type { AnswerNext, BudgetCharge, LearnCount } from '../domain/call';
import type { Problem } from '../domain/problems';
import type { RateCharge } from '../domain/rate-limits';
import type { AccountVerificationUpdate } from '../ports';
import type { Account } from '../schemas/account';
import type { TurnInput } from '../schemas/api';
import type { Contact, OfferLogEvent } from '../schemas/contact';

/**
 * What travels between the state machine's tasks at `$.turn`. Choice states read `kind` and `next`.
 * `account` (with its hashed secrets) is only carried between tasks, never returned by the run.
 */
export interface Turn {
  kind: 'proceed' | 'unchanged' | 'rejected' | 'saved';
  contact?: Contact;
  problem?: Problem;
  account?: Account;
  isNew?: boolean;
  log?: OfferLogEvent[];
  accountUpdate?: AccountVerificationUpdate;
  next?: AnswerNext;
  budget?: BudgetCharge;
  learn?: LearnCount;
  /** A new contact of an identified account: dated on the account (contact frequency). */
  recordContact?: { accountId: string; at: string };
  /** Requests this turn counts against rate limits (charged in its one write). */
  rate?: RateCharge[];
}

/** The state machine's state as a task sees it: the turn's input plus the turn so far. */
export type TaskState = TurnInput & { turn?: Turn };

/** Each Lambda task receives `{ state, task }` (see infra/constructs/retention-call.ts). */
export interface TaskEvent {
  state: TaskState;
  task: string;
}

export class TurnStateError extends Error {
  override name = 'TurnStateError';
}

/** A stage task runs only on a turn that LoadContact admitted and that has a contact. */
export function proceeding(state: TaskState): Turn & { contact: Contact } {
  const t = state.turn;
  if (t?.kind !== 'proceed' || !t.contact)
    throw new TurnStateError(`task reached with turn ${t?.kind ?? 'missing'}`);
  return t as Turn & { contact: Contact };
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
