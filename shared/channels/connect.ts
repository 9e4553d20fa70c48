import * as z from 'zod';
import { storedOutcome } from '../application/turn';
import { fnv1a } from '../domain/learning';
import { SAFE_ROUTE } from '../domain/routing';
import type { TurnOutput, TurnRunner } from '../ports';
import { AccountIdSchema, E164Schema } from '../schemas/account';
import type { TurnInput } from '../schemas/api';
import type { Contact, PresentedOffer } from '../schemas/contact';
import { CALL_TYPES, type CallType } from '../schemas/enums';
import { runForCaller } from './caller-turn';

/**
 * Amazon Connect adapter: a contact flow invokes it with `Details.Parameters.step` (start, verify,
 * offers, answer) and reads back a flat map of strings as `$.External.<key>`. The turn runs through
 * the same state machine as the REST API. The contact is keyed on Connect's ContactId, so Connect's
 * retries find the same contact, and every step is idempotent on ContactId + step. It never throws:
 * anything unexpected answers a route to a retention agent.
 */
export type FlatMap = Record<string, string>;

const MAX_OFFERS = 3;
/** Connect reads at most 32 KB of attributes; this keeps well under it. */
const MAX_VALUE = 1000;

const Str = (max: number) => z.string().max(max);
const ConnectEventSchema = z.object({
  Details: z.object({
    ContactData: z.object({
      ContactId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
      Channel: z.string().max(20).optional(),
      CustomerEndpoint: z.object({ Address: Str(40).optional() }).nullish(),
      Attributes: z.record(z.string(), z.unknown()).nullish(),
    }),
    Parameters: z.record(z.string(), z.unknown()).nullish(),
  }),
});

const param = (p: Record<string, unknown> | null | undefined, k: string): string | undefined => {
  const v = p?.[k];
  return typeof v === 'string' && v.length > 0 && v.length <= 100 ? v.trim() : undefined;
};

/** Text Connect can speak: SSML-reserved characters escaped, control characters dropped. */
export function speakable(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
      .replace(/[\u0000-\u001f]/g, ' ')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      .slice(0, MAX_VALUE)
  );
}

export function safeRoute(reason: string): FlatMap {
  return {
    stage: 'ROUTED',
    queue: SAFE_ROUTE.queue,
    priority: String(SAFE_ROUTE.priority),
    reason: speakable(reason).slice(0, 200),
    fallback: 'true',
    offerCount: '0',
    prompt: 'Please hold while we connect you to a retention specialist.',
  };
}

/** The Connect event → the turn to run, or a reason it cannot be run (answered with the safe route). */
export function turnFromConnect(event: unknown, now: string): { input: TurnInput } | { problem: string } {
  const e = ConnectEventSchema.safeParse(event);
  if (!e.success)
    return { problem: `not a Connect contact-flow event (${e.error.issues[0]?.path.join('.') ?? '?'})` };
  const data = e.data.Details.ContactData;
  const p = e.data.Details.Parameters;
  const channel = data.Channel?.toUpperCase() === 'CHAT' ? 'chat' : 'voice';
  // LoadContact derives the contact id from Connect's ContactId with its secret key.
  const contactId = { channel, externalContactId: data.ContactId } as const;
  const step = param(p, 'step') ?? 'start';
  const key = (s: string) => `connect:${data.ContactId}:${s}`.slice(0, 100);
  switch (step) {
    case 'start': {
      const attr = data.Attributes?.callType;
      const raw = param(p, 'callType') ?? (typeof attr === 'string' ? attr : undefined) ?? 'CLOSE_ACCOUNT';
      const callType = (CALL_TYPES as readonly string[]).includes(raw)
        ? (raw as CallType)
        : 'GENERAL_INQUIRY';
      const phone = E164Schema.safeParse(data.CustomerEndpoint?.Address).data;
      const accountId = AccountIdSchema.safeParse(param(p, 'accountId')).data;
      if (!phone && !accountId) return { problem: 'no caller number or account id to identify the caller' };
      return {
        input: {
          action: 'start',
          now,
          request: {
            channel,
            callType,
            externalContactId: data.ContactId,
            ...(phone ? { callerPhone: phone } : {}),
            ...(accountId ? { accountId } : {}),
          },
        },
      };
    }
    case 'verify': {
      const request: Record<string, string> = {};
      for (const f of ['last4', 'zip', 'dob', 'pin'] as const) {
        const v = param(p, f);
        if (v !== undefined) request[f] = v;
      }
      // DTMF dates come as eight digits (YYYYMMDD).
      if (request.dob && /^\d{8}$/.test(request.dob))
        request.dob = `${request.dob.slice(0, 4)}-${request.dob.slice(4, 6)}-${request.dob.slice(6, 8)}`;
      const digits = Object.values(request).join('');
      return {
        input: {
          action: 'verify',
          now,
          contactId,
          request,
          idempotencyKey: key(`verify:${digits.length}:${fnv1a(digits).toString(36)}`),
        },
      };
    }
    case 'offers':
      return { input: { action: 'offers', now, contactId } };
    case 'answer': {
      const offerId = param(p, 'offerId');
      const digit = param(p, 'digit');
      const response = digit === '1' ? 'ACCEPTED' : digit === '2' ? 'DECLINED' : undefined;
      if (!offerId || !response)
        return { problem: 'answer needs offerId and digit 1 (accept) or 2 (decline)' };
      return {
        input: {
          action: 'respond',
          now,
          contactId,
          request: { offerId, response },
          idempotencyKey: key(`answer:${offerId}`),
        },
      };
    }
    case 'close':
      // The caller insists (9 on the keypad, at any offer): the closure request is recorded now.
      return { input: { action: 'close', now, contactId } };
    default:
      return { problem: `unknown step ${step.slice(0, 20)}` };
  }
}

function offersOf(c: Contact, ids: readonly string[]): PresentedOffer[] {
  return ids.map((id) => c.offers.find((o) => o.offerId === id)).filter((o) => o !== undefined);
}

const PROMPTS: Partial<Record<Contact['stage'], string>> = {
  VERIFY: 'To protect your account, please enter the last four digits of your card, then your ZIP code.',
  LOCKED: 'For your security we will connect you to our security team.',
  ROUTED: 'Let me connect you to the right team.',
  UNIDENTIFIED: 'Let me connect you to an agent who can find your account.',
  RETAINED: 'Thank you for staying with us. Your change is done.',
  RESOLVED: 'Thank you. Your change is done.',
  CROSS_SOLD: 'Thank you. We will send you the details.',
  CLOSED: 'We are sorry to see you go. An agent will complete your request.',
};

/** The state machine's answer → Connect's flat map. */
export function connectAnswer(input: TurnInput, out: TurnOutput): FlatMap {
  // `stored` tells the flow whether the turn may have been kept ('unknown': the same step repeated says which).
  if (out.outcome === 'fallback')
    return {
      ...safeRoute(`${out.failedAt} failed`),
      stored: storedOutcome(out.failedAt, out.error, input.action),
    };
  if (out.outcome === 'rejected') {
    const p = out.problem;
    if (p.name === 'VerificationLocked')
      return {
        ...safeRoute('verification locked'),
        stage: 'LOCKED',
        queue: 'SECURITY',
        fallback: 'false',
        prompt: PROMPTS.LOCKED!,
      };
    return { ...safeRoute(p.title), fallback: 'false', problem: p.name };
  }
  const c = out.contact;
  const answered =
    input.action === 'respond' ? c.answers.find((a) => a.offerId === input.request.offerId) : undefined;
  const current = offersOf(c, answered ? answered.result.offerIds : c.current);
  const map: FlatMap = {
    stage: c.stage,
    queue: c.route.queue,
    priority: String(c.route.priority),
    reason: speakable(c.route.reasons[0] ?? '').slice(0, 200),
    verified: String(c.verification.status === 'VERIFIED'),
    attemptsLeft: String(c.verification.attemptsLeft),
    outcome: c.outcome ?? '',
    offerCount: String(Math.min(current.length, MAX_OFFERS)),
    prompt:
      PROMPTS[c.stage] ??
      (current.length
        ? 'Press 1 to accept this offer, 2 to hear another option, or 9 to close your account now.'
        : ''),
  };
  current.slice(0, MAX_OFFERS).forEach((o, i) => {
    map[`offer${i + 1}Id`] = o.offerId;
    map[`offer${i + 1}Title`] = speakable(o.title);
    map[`offer${i + 1}Script`] = speakable(o.scripts.voice);
    // What the flow speaks while it waits for the keypad: the script and the keys.
    map[`offer${i + 1}Prompt`] = speakable(
      `${o.scripts.voice} Press 1 to accept, 2 for another option, or 9 to close your account now.`,
    );
  });
  if (input.action === 'verify' && c.stage === 'VERIFY')
    map.prompt =
      c.verification.lastResult === 'MORE_FACTORS_NEEDED'
        ? 'Please also enter your date of birth as eight digits, year first.'
        : 'That did not match our records. Please try again.';
  return map;
}

/** One Connect invocation: parse, run, shape; never an exception. */
export async function handleConnect(event: unknown, runner: TurnRunner, now: string): Promise<FlatMap> {
  try {
    const t = turnFromConnect(event, now);
    if ('problem' in t) return safeRoute(t.problem);
    return connectAnswer(t.input, await runForCaller(runner, t.input));
  } catch (e) {
    return safeRoute(e instanceof Error ? e.name : 'error');
  }
}
