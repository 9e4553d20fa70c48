import * as z from 'zod';
import { fnv1a } from '../domain/learning';
import type { TurnOutput, TurnRunner } from '../ports';
import { E164Schema } from '../schemas/account';
import type { TurnInput } from '../schemas/api';
import type { Contact } from '../schemas/contact';
import type { CallType, Queue } from '../schemas/enums';
import { runForCaller } from './caller-turn';

/**
 * Amazon Lex V2 code hook for the retention chat: one Lambda for the bot alias. The intent names
 * the reason for contact; slots collect the caller's number and the verification factors; offers
 * are put with ConfirmIntent (Confirmed = accept, Denied = decline, then the next offer). Session
 * attributes carry the contact id only. Every turn runs through the same state machine; the
 * answer is always a valid Lex response, never an exception.
 */
const INTENT_CALL_TYPES: Record<string, CallType> = {
  CloseAccount: 'CLOSE_ACCOUNT',
  FeeComplaint: 'FEE_COMPLAINT',
  RateComplaint: 'RATE_COMPLAINT',
  CompetitorOffer: 'COMPETITOR_OFFER',
  RewardsComplaint: 'REWARDS_DISSATISFACTION',
  LostOrStolen: 'LOST_OR_STOLEN',
  ReportFraud: 'FRAUD_REPORT',
  BillingDispute: 'BILLING_DISPUTE',
  GeneralInquiry: 'GENERAL_INQUIRY',
  // "Just close it": the customer insists; once verified, the closure is recorded with no offers.
  CloseNow: 'CLOSE_ACCOUNT',
};
export const LEX_INTENTS = Object.keys(INTENT_CALL_TYPES);
/** The intent a chat about this call type starts with (the first that names it; CloseNow insists). */
export const lexIntentOf = (callType: CallType): string =>
  LEX_INTENTS.find((i) => INTENT_CALL_TYPES[i] === callType)!;
/** What the chat says when it cannot tell the reason (the bot's FallbackIntent closes with it too). */
export const FALLBACK_TEXT = 'I can help with closing or keeping your card, fees, rates and rewards.';

const SlotSchema = z
  .object({
    value: z
      .object({ interpretedValue: z.string().max(100).optional() })
      .partial()
      .optional(),
  })
  .nullish();
const LexEventSchema = z.object({
  // Lex's own pattern; 96 so that `lex-` + the id fits a channel contact id.
  sessionId: z.string().regex(/^[0-9A-Za-z._:-]{2,96}$/),
  inputTranscript: z.string().max(2000).optional(),
  sessionState: z.object({
    sessionAttributes: z.record(z.string(), z.string()).nullish(),
    intent: z.object({
      name: z.string().max(100),
      slots: z.record(z.string(), SlotSchema).nullish(),
      state: z.string().optional(),
      confirmationState: z.enum(['Confirmed', 'Denied', 'None']).optional(),
    }),
  }),
});
type LexEvent = z.infer<typeof LexEventSchema>;

export interface LexResponse {
  sessionState: {
    sessionAttributes: Record<string, string>;
    dialogAction: { type: 'ElicitSlot' | 'ConfirmIntent' | 'Close'; slotToElicit?: string };
    intent: {
      name: string;
      slots: Record<string, unknown>;
      state: 'InProgress' | 'Fulfilled' | 'Failed';
      confirmationState?: 'None';
    };
  };
  messages: Array<{ contentType: 'PlainText'; content: string }>;
}

const slot = (e: LexEvent, name: string) => {
  const v = e.sessionState.intent.slots?.[name]?.value?.interpretedValue?.trim();
  return v ? v : undefined;
};

/**
 * Session attributes are the client's to set (Lex V2 lets any caller of RecognizeText send them), so
 * nothing is read from them but the page's caller number hint, and nothing secret is put there: the
 * contact is found from the Lex session itself, by an id LoadContact derives with its secret key.
 * A closing answer says where the chat goes next (`next`: the queue a person takes it in, or END),
 * which is what Connect's chat flow reads when the bot hands the chat back.
 */
function reply(
  e: LexEvent | undefined,
  type: LexResponse['sessionState']['dialogAction']['type'],
  text: string,
  extra: { slotToElicit?: string; state?: 'InProgress' | 'Fulfilled' | 'Failed'; next?: Queue | 'END' } = {},
): LexResponse {
  const hint = e?.sessionState.sessionAttributes?.callerPhone;
  return {
    sessionState: {
      sessionAttributes: {
        ...(hint && E164Schema.safeParse(hint).success ? { callerPhone: hint } : {}),
        ...(type === 'Close' ? { next: extra.next ?? 'RETENTION_SPECIALIST' } : {}),
      },
      dialogAction: { type, ...(extra.slotToElicit ? { slotToElicit: extra.slotToElicit } : {}) },
      intent: {
        name: e?.sessionState.intent.name ?? 'FallbackIntent',
        slots: e?.sessionState.intent.slots ?? {},
        state: extra.state ?? (type === 'Close' ? 'Fulfilled' : 'InProgress'),
        ...(type === 'ConfirmIntent' ? { confirmationState: 'None' as const } : {}),
      },
    },
    messages: [{ contentType: 'PlainText', content: text.slice(0, 1000) }],
  };
}

export const toAgent = (e?: LexEvent): LexResponse =>
  reply(e, 'Close', 'Let me connect you to a retention specialist who can help.', {
    state: 'Failed',
  });

const ENDINGS: Partial<Record<Contact['stage'], string>> = {
  RETAINED: 'Done. Thank you for staying with us!',
  RESOLVED: 'Done. Thank you for your patience!',
  CROSS_SOLD: 'Great, we will send you the details.',
  CLOSED: 'We are sorry to see you go. An agent will complete your request.',
  ROUTED: 'Let me connect you to the right team.',
  LOCKED: 'For your security, a member of our security team will continue this chat.',
  UNIDENTIFIED: 'I could not find your account: an agent will help you.',
};

/** Where a chat that ends at this stage goes: nowhere once it is settled, else to the contact's queue. */
function nextAfter(c: Contact): Queue | 'END' {
  if (c.stage === 'RETAINED' || c.stage === 'RESOLVED' || c.stage === 'CROSS_SOLD') return 'END';
  if (c.stage === 'LOCKED') return 'SECURITY';
  return c.route.queue;
}

async function turn(runner: TurnRunner, input: TurnInput): Promise<Contact | TurnOutput> {
  const out = await runner.run(input);
  return out.outcome === 'ok' ? out.contact : out;
}

/** What to say for the contact as it stands: ask for a factor, put the first offer, or close. */
function next(e: LexEvent, c: Contact): LexResponse {
  if (c.stage === 'VERIFY') {
    const missing = ['last4', 'zip', 'dob'].find((s) => !slot(e, s));
    const ask: Record<string, string> = {
      last4: 'To protect your account, what are the last four digits of your card?',
      zip: 'And your ZIP code?',
      dob: 'Please also give your date of birth (YYYY-MM-DD).',
    };
    return reply(e, 'ElicitSlot', ask[missing ?? 'dob']!, { slotToElicit: missing ?? 'dob' });
  }
  const offer = c.offers.find((o) => o.offerId === c.current[0]);
  if (offer) return reply(e, 'ConfirmIntent', offer.scripts.chat);
  // Only offers a person may grant are left: the chat goes to one, and says so.
  if (c.handover && c.stage === 'OFFER')
    return reply(e, 'Close', 'Let me connect you to a retention specialist who can help.', {
      state: 'Fulfilled',
      next: nextAfter(c),
    });
  return reply(e, 'Close', ENDINGS[c.stage] ?? 'Thank you.', { next: nextAfter(c) });
}

/** One Lex code-hook invocation. */
export async function handleLex(event: unknown, runner: TurnRunner, now: string): Promise<LexResponse> {
  const parsed = LexEventSchema.safeParse(event);
  if (!parsed.success) return toAgent();
  const e = parsed.data;
  const callType = INTENT_CALL_TYPES[e.sessionState.intent.name];
  if (!callType) return reply(e, 'Close', FALLBACK_TEXT, { state: 'Failed', next: 'GENERAL_SERVICE' });
  // The contact of this Lex session: bound to the session on our side, never to an attribute.
  const session = { channel: 'chat', externalContactId: `lex-${e.sessionId}` } as const;
  try {
    const found = await runner.run({ action: 'get', now, contactId: session });
    let c: Contact;
    if (found.outcome === 'ok') c = found.contact;
    else if (found.outcome === 'rejected' && found.problem.name === 'ContactNotFound') {
      const phone = slot(e, 'phone') ?? e.sessionState.sessionAttributes?.callerPhone;
      if (!phone || !E164Schema.safeParse(phone).success)
        return reply(e, 'ElicitSlot', 'What phone number is on your account (e.g. +15555550101)?', {
          slotToElicit: 'phone',
        });
      const started = await turn(runner, {
        action: 'start',
        now,
        request: {
          channel: 'chat',
          callType,
          callerPhone: phone,
          externalContactId: session.externalContactId,
        },
      });
      if (!('contactId' in started)) return toAgent(e);
      if (started.stage !== 'VERIFY') return next(e, started);
      c = started;
    } else return toAgent(e);
    const contactId = c.contactId;
    if (c.stage === 'VERIFY') {
      const factors = { last4: slot(e, 'last4'), zip: slot(e, 'zip'), dob: slot(e, 'dob') };
      const given = Object.fromEntries(Object.entries(factors).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
      // Two factors are enough (in chat the number typed is no factor): ask for more until then.
      if (Object.keys(given).length < 2 && !(Object.keys(given).length === 1 && c.verification.callerMatched))
        return next(e, c);
      const v = await runForCaller(runner, {
        action: 'verify',
        now,
        contactId,
        request: given,
        // Per what was typed (a retry of this event repeats it, the next attempt does not), as Connect's
        // keypad key; the turn keys it with the contact key before the contact keeps it.
        idempotencyKey:
          `lex:${e.sessionId}:verify:${Object.keys(given).join('-')}:${fnv1a(Object.values(given).join('|')).toString(36)}`.slice(
            0,
            100,
          ),
      });
      if (v.outcome === 'rejected' && v.problem.name === 'VerificationLocked')
        return reply(e, 'Close', ENDINGS.LOCKED!, { state: 'Failed', next: 'SECURITY' });
      if (v.outcome !== 'ok') return toAgent(e);
      c = v.contact;
      if (c.stage === 'VERIFY') {
        const cleared = {
          ...e,
          sessionState: { ...e.sessionState, intent: { ...e.sessionState.intent, slots: {} } },
        };
        return reply(
          cleared,
          'ElicitSlot',
          `That did not match. ${c.verification.attemptsLeft} attempt(s) left: what are the last four digits of your card?`,
          { slotToElicit: 'last4' },
        );
      }
    }
    if (c.stage === 'OFFER' || c.stage === 'CROSS_SELL') {
      if (e.sessionState.intent.name === 'CloseNow') {
        const closed = await turn(runner, { action: 'close', now, contactId });
        return 'contactId' in closed ? next(e, closed) : toAgent(e);
      }
      const confirmation = e.sessionState.intent.confirmationState;
      const onTable = c.current[0];
      if (onTable && (confirmation === 'Confirmed' || confirmation === 'Denied')) {
        const r = await turn(runner, {
          action: 'respond',
          now,
          contactId,
          request: { offerId: onTable, response: confirmation === 'Confirmed' ? 'ACCEPTED' : 'DECLINED' },
          idempotencyKey: `lex:${e.sessionId}:${onTable}`.slice(0, 100),
        });
        if (!('contactId' in r)) return toAgent(e);
        c = r;
      }
      if (c.current.length === 0 && (c.stage === 'OFFER' || c.stage === 'CROSS_SELL')) {
        const o = await turn(runner, { action: 'offers', now, contactId });
        if (!('contactId' in o)) return toAgent(e);
        c = o;
      }
    }
    return next(e, c);
  } catch {
    return toAgent(e);
  }
}
