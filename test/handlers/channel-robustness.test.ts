import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { makeHandler as connectHandler } from '../../functions/connect-adapter';
import { makeHandler as lexHandler } from '../../functions/lex-adapter';
import { type FlatMap, safeRoute } from '../../shared/channels/connect';
import { type LexResponse, toAgent } from '../../shared/channels/lex';
import type { TurnOutput, TurnRunner } from '../../shared/ports';
import type { TurnInput } from '../../shared/schemas/api';
import type { Contact, PresentedOffer } from '../../shared/schemas/contact';
import { NOW, startedContact } from '../fakes/accounts';
import connectStart from '../fixtures/connect/start-voice-close.json';
import connectVerify from '../fixtures/connect/verify-dtmf.json';
import lexConfirm from '../fixtures/lex/confirm-offer.json';

/**
 * Both channel adapters against every fixture with each field removed in turn, set to a wrong
 * type, or made 10 KB long. `makeHandler` catches everything and answers the safe route, so "a
 * well-formed answer" alone proves nothing: each variant is classified by the event contract
 * (the zod schemas in shared/channels/connect.ts and lex.ts) as
 *   well-formed — an unknown field changed, an optional field removed or still of its type: the turn
 *                 runs and is answered WITHOUT the fallback, with the stage the runner returned;
 *   malformed   — a required field removed, or any schema field mistyped or over its length: the
 *                 documented fallback with its reason, and the runner is never called.
 */
type Change = 'delete' | 'number' | 'huge';
type Expected =
  | { kind: 'well-formed'; actions: TurnInput['action'][]; answer?: 'offer' | 'retained' }
  /** Connect says why in `reason`; a Lex response has no field for it (see expectLexMalformed). */
  | { kind: 'malformed'; reason?: string };

/** Every path to a leaf or object of a JSON value. */
function paths(v: unknown, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const own = Object.entries(v as Record<string, unknown>).flatMap(([k, c]) => paths(c, [...prefix, k]));
  return prefix.length ? [prefix, ...own] : own;
}
function variant(base: unknown, path: string[], change: Change): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let o: Record<string, unknown> = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = path.at(-1)!;
  if (change === 'delete') delete o[last];
  else o[last] = change === 'number' ? 42 : 'x'.repeat(10_000);
  return copy;
}
const cases = (fixture: unknown, classify: (p: string, c: Change) => Expected) =>
  paths(fixture).flatMap((p) =>
    (['delete', 'number', 'huge'] as const).map((c) => {
      const e = classify(p.join('.'), c);
      return [`${e.kind}: ${c} ${p.join('.')}`, variant(fixture, p, c), e] as const;
    }),
  );

/** A fake state machine that records what it ran and answers a contact per action. */
function recordingRunner(answer: (i: TurnInput) => TurnOutput | Promise<TurnOutput>) {
  const ran: TurnInput[] = [];
  const runner: TurnRunner = {
    run: async (i) => {
      ran.push(i);
      return answer(i);
    },
  };
  return { ran, runner };
}

// ---------------------------------------------------------------- Connect

const verifyingContact = startedContact('voice'); // stage VERIFY
const offeringContact: Contact = {
  ...verifyingContact,
  stage: 'OFFER',
  verification: { ...verifyingContact.verification, status: 'VERIFIED' },
};
const connectContacts: Partial<Record<TurnInput['action'], Contact>> = {
  start: verifyingContact,
  verify: offeringContact,
};
const connectRunner = () =>
  recordingRunner((i) => ({ outcome: 'ok', action: i.action, contact: connectContacts[i.action]! }));

const CONNECT_REQUIRED = new Set(['Details', 'Details.ContactData', 'Details.ContactData.ContactId']);
/** Optional in the schema but typed (and length-capped where strings): only their removal is well-formed. */
const CONNECT_TYPED = new Set([
  'Details.ContactData.Channel',
  'Details.ContactData.CustomerEndpoint',
  'Details.ContactData.CustomerEndpoint.Address',
  'Details.ContactData.Attributes',
  'Details.Parameters',
]);
const NOT_CONNECT = (p: string) => `not a Connect contact-flow event (${p})`;

function classifyConnect(step: 'start' | 'verify') {
  return (p: string, c: Change): Expected => {
    if (CONNECT_REQUIRED.has(p)) return { kind: 'malformed', reason: NOT_CONNECT(p) };
    if (CONNECT_TYPED.has(p) && c !== 'delete') return { kind: 'malformed', reason: NOT_CONNECT(p) };
    // No step (or no usable one: a number, over 100 characters) is the documented default, start.
    const action = p === 'Details.Parameters' || p === 'Details.Parameters.step' ? 'start' : step;
    // A start needs the caller's number or an account id; these fixtures identify by the number.
    if (action === 'start' && p.startsWith('Details.ContactData.CustomerEndpoint') && !p.endsWith('.Type'))
      return { kind: 'malformed', reason: 'no caller number or account id to identify the caller' };
    return { kind: 'well-formed', actions: [action] };
  };
}

const isFlat = (m: Record<string, unknown>) =>
  Object.entries(m).every(([k, v]) => /^[A-Za-z0-9]{1,40}$/.test(k) && typeof v === 'string') &&
  Buffer.byteLength(JSON.stringify(m)) < 32 * 1024;

/** The turn ran once with the expected action and its contact is answered: no fallback, its stage and queue. */
function expectConnectWellFormed(out: FlatMap, ran: TurnInput[], action: TurnInput['action']) {
  const c = connectContacts[action]!;
  expect(out.fallback, JSON.stringify(out)).toBeUndefined();
  expect(ran.map((i) => i.action)).toEqual([action]);
  expect(out).toMatchObject({ stage: c.stage, queue: c.route.queue, priority: String(c.route.priority) });
  expect(isFlat(out)).toBe(true);
}
/** Exactly the documented safe route with its reason, and nothing was run. */
function expectConnectMalformed(out: FlatMap, ran: TurnInput[], reason: string) {
  expect(out).toEqual(safeRoute(reason));
  expect(ran).toEqual([]);
}

describe('Connect adapter: every field missing, mistyped or huge', () => {
  it.each([
    ...cases(connectStart, classifyConnect('start')),
    ...cases(connectVerify, classifyConnect('verify')),
  ])('%s', async (_n, event, e) => {
    const { ran, runner } = connectRunner();
    const out = await connectHandler({ runner, clock: () => new Date(NOW) })(event);
    if (e.kind === 'well-formed') expectConnectWellFormed(out, ran, e.actions[0]!);
    else expectConnectMalformed(out, ran, e.reason!);
  });

  it.each<[string, TurnRunner['run']]>([
    [
      'a runner that throws',
      async () => {
        throw new Error('boom');
      },
    ],
    ['a runner that answers a wrong shape', async (i) => ({ outcome: 'ok', action: i.action }) as TurnOutput],
    [
      'a runner whose state machine failed',
      async () => ({
        outcome: 'fallback',
        failedAt: 'DecideTurn',
        error: 'States.Timeout',
        route: { queue: 'RETENTION_SPECIALIST', priority: 1, reasons: [], ruleId: 'SAFE_FALLBACK' },
      }),
    ],
  ])('%s makes the well-formed check fail', async (_n, run) => {
    const { ran, runner } = recordingRunner(run);
    const out = await connectHandler({ runner, clock: () => new Date(NOW) })(connectStart);
    expect(() => expectConnectWellFormed(out, ran, 'start')).toThrow();
  });

  it('the catch-all answer, or a runner that was called, makes the malformed check fail', async () => {
    const reason = NOT_CONNECT('Details.ContactData.ContactId');
    expect(() => expectConnectMalformed(safeRoute('adapter error'), [], reason)).toThrow();
    const ran = [{ action: 'offers', now: NOW, contactId: { channel: 'voice', externalContactId: 'x' } }];
    expect(() => expectConnectMalformed(safeRoute(reason), ran as TurnInput[], reason)).toThrow();
  });

  it('a CHAT contact is served on the chat channel', async () => {
    const { ran, runner } = connectRunner();
    await connectHandler({ runner })({
      ...connectStart,
      Details: {
        ...connectStart.Details,
        ContactData: { ...connectStart.Details.ContactData, Channel: 'CHAT' },
      },
    });
    expect(ran[0]).toMatchObject({ request: { channel: 'chat' } });
  });
});

// ---------------------------------------------------------------- Lex

const offer: PresentedOffer = {
  offerId: 'annual-fee-waiver',
  kind: 'RETENTION',
  title: 'Annual fee waived',
  scripts: {
    voice: 'We can waive your fee.',
    chat: 'We can waive your annual fee this year. Shall we?',
    agent: '-',
  },
  reasons: [],
  economics: { cost: 95, customerValue: 400, acceptProbability: 0.4, expectedNetValue: 122 },
  presentedAt: NOW,
};
const chatContact = startedContact('chat');
const lexContacts: Partial<Record<TurnInput['action'], Contact>> = {
  get: {
    ...chatContact,
    stage: 'OFFER',
    verification: { ...chatContact.verification, status: 'VERIFIED' },
    offers: [offer],
    current: [offer.offerId],
  },
  respond: { ...chatContact, stage: 'RETAINED', current: [] },
};
const lexRunner = () =>
  recordingRunner((i) => ({ outcome: 'ok', action: i.action, contact: lexContacts[i.action]! }));

const LEX_REQUIRED = new Set([
  'sessionId',
  'sessionState',
  'sessionState.intent',
  'sessionState.intent.name',
]);
/** Optional, typed, with no length cap: a 10 KB string is still of their type. */
const LEX_TYPED_UNCAPPED = (p: string) =>
  p === 'sessionState.intent.state' || p.startsWith('sessionState.sessionAttributes.');
/** Optional, typed and capped (or an enum): a number or 10 KB breaks them. */
const LEX_TYPED_CAPPED = new Set([
  'inputTranscript',
  'sessionState.sessionAttributes',
  'sessionState.intent.slots',
  'sessionState.intent.confirmationState',
]);

function classifyLex(p: string, c: Change): Expected {
  const malformed = { kind: 'malformed' } as const;
  if (LEX_REQUIRED.has(p)) return malformed;
  if (LEX_TYPED_CAPPED.has(p) && c !== 'delete') return malformed;
  if (LEX_TYPED_UNCAPPED(p) && c === 'number') return malformed;
  // Without the caller's confirmation nothing is answered: the offer on the table is put again.
  if (p === 'sessionState.intent.confirmationState')
    return { kind: 'well-formed', actions: ['get'], answer: 'offer' };
  return { kind: 'well-formed', actions: ['get', 'respond'], answer: 'retained' };
}

const LexResponseSchema = z.object({
  sessionState: z.object({
    sessionAttributes: z.record(z.string(), z.string()),
    dialogAction: z.object({
      type: z.enum(['ElicitSlot', 'ConfirmIntent', 'Close', 'Delegate', 'ElicitIntent']),
      slotToElicit: z.string().optional(),
    }),
    intent: z.object({
      name: z.string(),
      slots: z.record(z.string(), z.unknown()),
      state: z.enum(['InProgress', 'Fulfilled', 'Failed', 'ReadyForFulfillment']),
    }),
  }),
  messages: z.array(z.object({ contentType: z.literal('PlainText'), content: z.string().min(1) })).min(1),
});

/** The turns ran in order and the answer is the contact's, never the close towards a specialist. */
function expectLexWellFormed(
  out: LexResponse,
  ran: TurnInput[],
  e: Extract<Expected, { kind: 'well-formed' }>,
) {
  expect(LexResponseSchema.safeParse(out).success, JSON.stringify(out).slice(0, 300)).toBe(true);
  expect(out.messages[0]?.content).not.toMatch(/retention specialist/);
  expect(ran.map((i) => i.action)).toEqual(e.actions);
  expect(out.sessionState.intent.name).toBe('CloseAccount');
  if (e.answer === 'retained') {
    expect(out.sessionState.dialogAction).toEqual({ type: 'Close' });
    expect(out.sessionState.intent.state).toBe('Fulfilled');
    expect(out.messages).toEqual([
      { contentType: 'PlainText', content: 'Done. Thank you for staying with us!' },
    ]);
  } else {
    expect(out.sessionState.dialogAction).toEqual({ type: 'ConfirmIntent' });
    expect(out.messages).toEqual([{ contentType: 'PlainText', content: offer.scripts.chat }]);
  }
}
/**
 * Exactly the documented fallback: Lex has no field for a reason, so the reason is its shape — the
 * close towards a specialist for no parsed event (FallbackIntent, nothing echoed), before any run.
 */
function expectLexMalformed(out: LexResponse, ran: TurnInput[]) {
  expect(out).toEqual(toAgent());
  expect(ran).toEqual([]);
}

describe('Lex adapter: every field missing, mistyped or huge', () => {
  it.each(cases(lexConfirm, classifyLex))('%s', async (_n, event, e) => {
    const { ran, runner } = lexRunner();
    const out = await lexHandler({ runner, clock: () => new Date(NOW) })(event);
    if (e.kind === 'well-formed') expectLexWellFormed(out, ran, e);
    else expectLexMalformed(out, ran);
  });

  it.each<[string, TurnRunner['run']]>([
    [
      'a runner that throws',
      async () => {
        throw new Error('boom');
      },
    ],
    ['a runner that answers a wrong shape', async (i) => ({ outcome: 'ok', action: i.action }) as TurnOutput],
  ])('%s makes the well-formed check fail', async (_n, run) => {
    const { ran, runner } = recordingRunner(run);
    const out = await lexHandler({ runner, clock: () => new Date(NOW) })(lexConfirm);
    expect(() =>
      expectLexWellFormed(out, ran, { kind: 'well-formed', actions: ['get', 'respond'], answer: 'retained' }),
    ).toThrow();
  });

  it('a fault after parsing, or a runner that was called, makes the malformed check fail', async () => {
    const { ran, runner } = recordingRunner(async () => {
      throw new Error('boom');
    });
    const out = await lexHandler({ runner, clock: () => new Date(NOW) })(lexConfirm);
    expect(out.sessionState.intent.name).toBe('CloseAccount'); // toAgent(e): the event is echoed
    expect(() => expectLexMalformed(out, ran)).toThrow();
    expect(() => expectLexMalformed(toAgent(), ran)).toThrow();
  });
});
