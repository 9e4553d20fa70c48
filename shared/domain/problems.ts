/** A request the call's current state cannot serve. Names are the HTTP mapping's keys too. */
export interface Problem {
  name: ProblemName;
  status: number;
  title: string;
  detail: string;
  /** Extra members for the problem document (RFC 9457 extensions). */
  extensions?: Record<string, unknown>;
}

export const PROBLEMS = {
  ContactNotFound: { status: 404, title: 'Contact not found' },
  NotVerified: { status: 409, title: 'Caller not verified' },
  StageConflict: { status: 409, title: 'Not possible in this stage' },
  OfferNotPresented: { status: 409, title: 'Offer not presented' },
  AnswerConflict: { status: 409, title: 'Offer already answered differently' },
  ConcurrentUpdate: { status: 409, title: 'Contact changed concurrently' },
  ExternalContactIdInUse: { status: 409, title: 'External contact id in use' },
  BudgetExhausted: { status: 409, title: 'Offer no longer available' },
  InsufficientAuthority: { status: 403, title: 'Offer needs more authority' },
  IdempotencyKeyReused: { status: 422, title: 'Idempotency key reused for a different request' },
  VerificationLocked: { status: 423, title: 'Verification locked' },
  RateLimited: { status: 429, title: 'Too many requests' },
} as const satisfies Record<string, { status: number; title: string }>;
export type ProblemName = keyof typeof PROBLEMS;

export function problem(name: ProblemName, detail: string, extensions?: Record<string, unknown>): Problem {
  return { name, ...PROBLEMS[name], detail, ...(extensions ? { extensions } : {}) };
}
