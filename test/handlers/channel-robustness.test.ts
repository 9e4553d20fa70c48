import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { makeHandler as connectHandler } from '../../functions/connect-adapter';
import { makeHandler as lexHandler } from '../../functions/lex-adapter';
import type { TurnRunner } from '../../shared/ports';
import { NOW, startedContact } from '../fakes/accounts';
import connectStart from '../fixtures/connect/start-voice-close.json';
import connectVerify from '../fixtures/connect/verify-dtmf.json';
import lexConfirm from '../fixtures/lex/confirm-offer.json';

/**
 * Both channel adapters against every fixture with each field removed in turn, set to a wrong
 * type, or made 10 KB long: always a well-formed answer, never an exception.
 */
const contact = startedContact('chat');
const runner: TurnRunner = { run: async (i) => ({ outcome: 'ok', action: i.action, contact }) };

/** Every path to a leaf or object of a JSON value. */
function paths(v: unknown, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object') return [prefix];
  const own = Object.entries(v as Record<string, unknown>).flatMap(([k, c]) => paths(c, [...prefix, k]));
  return prefix.length ? [prefix, ...own] : own;
}
function variant(base: unknown, path: string[], change: 'delete' | 'number' | 'huge'): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let o: Record<string, unknown> = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = path.at(-1)!;
  if (change === 'delete') delete o[last];
  else o[last] = change === 'number' ? 42 : 'x'.repeat(10_000);
  return copy;
}

/** The Lex V2 response shape (Lambda output format for a code hook). */
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
const isFlat = (m: Record<string, unknown>) =>
  Object.entries(m).every(([k, v]) => /^[A-Za-z0-9]{1,40}$/.test(k) && typeof v === 'string') &&
  Buffer.byteLength(JSON.stringify(m)) < 32 * 1024;

const cases = (fixture: unknown) =>
  paths(fixture).flatMap((p) =>
    (['delete', 'number', 'huge'] as const).map(
      (c) => [`${c} ${p.join('.')}`, variant(fixture, p, c)] as const,
    ),
  );

describe('Connect adapter: every field missing, mistyped or huge', () => {
  const h = connectHandler({ runner, clock: () => new Date(NOW) });
  it.each([...cases(connectStart), ...cases(connectVerify)])('%s', async (_n, event) => {
    const out = await h(event);
    expect(isFlat(out)).toBe(true);
    expect(out.queue).toBeTruthy();
  });
  it('a CHAT contact is served on the chat channel', async () => {
    const inputs: unknown[] = [];
    const spy = connectHandler({
      runner: {
        run: async (i) => {
          inputs.push(i);
          return { outcome: 'ok', action: i.action, contact };
        },
      },
    });
    await spy({
      ...connectStart,
      Details: {
        ...connectStart.Details,
        ContactData: { ...connectStart.Details.ContactData, Channel: 'CHAT' },
      },
    });
    expect(inputs[0]).toMatchObject({ request: { channel: 'chat' } });
  });
});

describe('Lex adapter: every field missing, mistyped or huge', () => {
  const h = lexHandler({ runner, clock: () => new Date(NOW) });
  it.each(cases(lexConfirm))('%s', async (_n, event) => {
    const out = await h(event);
    expect(LexResponseSchema.safeParse(out).success, JSON.stringify(out).slice(0, 300)).toBe(true);
  });
  it('the fixture itself gets a documented Lex response', async () => {
    const out = await h(lexConfirm);
    expect(LexResponseSchema.parse(out).sessionState.intent.name).toBe('CloseAccount');
  });
});
