import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../infra/local/stack';
import { fnv1a } from '../../shared/domain/learning';
import { FACTORS, premiumAccount } from '../fakes/accounts';
import { connectEvent, invokeConnect } from '../fakes/connect';
import { localClient } from '../fakes/local-client';
import { startTestStack } from '../fakes/stack';

/**
 * The attacks of the hardening review, kept as black-box tests: each drives the local stack from
 * outside as the attacker did, and failed before its fix.
 */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(() => stack.faults.reset());

const { http } = localClient(() => stack, '');
let accounts = 0;
/** An account of the test's own (nothing else touches its counters), and its number. */
async function victim() {
  const n = ++accounts;
  const phone = `+1555555${String(3000 + n).padStart(4, '0')}`;
  const accountId = `ATTACK-${n}`;
  await stack.db.send(
    new PutCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Item: premiumAccount({ accountId, phone }) }),
  );
  return { phone, accountId };
}
async function start(body: Record<string, unknown>) {
  const r = await http('POST', '/v1/contacts', { channel: 'agent', callType: 'CLOSE_ACCOUNT', ...body });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json.contactId as string;
}
const verify = (contactId: string, body: Record<string, string>) =>
  http('POST', `/v1/contacts/${contactId}/verification`, body);
/** Nineteen wrong last 4s, none of them the right one. */
const wrongLast4 = Array.from({ length: 19 }, (_, i) => String(1000 + i * 7)).filter(
  (x) => x !== FACTORS.last4,
);

/**
 * A verification as a well-behaved client sends it: a 409 ("the contact changed: retry") is sent
 * once more. Every later contact of an account copied it before the account's last guess: its first
 * try finds the copy stale, judges nothing, and refreshes it.
 */
async function verifyRetrying(contactId: string, body: Record<string, string>) {
  const first = await verify(contactId, body);
  return first.status === 409 ? verify(contactId, body) : first;
}

describe('finding 1: the verification lockout cannot be raced', () => {
  it('20 guesses at once on 20 contacts of one account: one is judged, the right one placed last is not, and no answer tells it apart', async () => {
    const { phone } = await victim();
    // The caller's number matches (a spoofed caller id), so a right last 4 alone would verify.
    const contacts = [];
    for (let i = 0; i < 20; i++) contacts.push(await start({ callerPhone: phone }));
    // The interleaving that let the right guess through: every guess read before any write, and
    // the right guess's write last.
    stack.faults.barrier(['TransactWriteItems'], 20, (a, b) => verifiedLast(a) - verifiedLast(b));
    const guesses = [...wrongLast4, FACTORS.last4];
    const answers = await Promise.all(contacts.map((c, i) => verify(c, { last4: guesses[i]! })));
    const judged = answers.filter((a) => a.status !== 409);
    expect(judged).toHaveLength(1);
    expect(judged[0]!.json).toMatchObject({ verified: false, result: 'WRONG_FACTORS', attemptsLeft: 2 });
    const right = answers.at(-1)!;
    expect(right.status).toBe(409);
    // "Try again" says nothing of the guess: the right one's answer is the wrong ones' answer.
    const wrongTryAgain = answers.find((a, i) => i < 19 && a.status === 409)!;
    expect(right.json).toEqual(wrongTryAgain.json);

    // The guesses that were not judged, sent again one at a time: two more are judged, then the lock.
    // A contact's copy of the account made before another contact's guess is stale: its first try
    // is a 409 that judges nothing and brings the copy up to date, so the client's retry is judged.
    stack.faults.reset();
    const again = [];
    for (let i = 0; i < 20; i++)
      if (answers[i]!.status === 409) again.push(await verifyRetrying(contacts[i]!, { last4: guesses[i]! }));
    expect(again[0]!.json).toMatchObject({ verified: false, attemptsLeft: 1 });
    expect(again.slice(1).map((a) => a.status)).toEqual(Array(again.length - 1).fill(423));
  });

  it('whatever the interleaving, at most 3 wrong guesses per lockout window are judged, and none after the lock', async () => {
    for (let window = 0; window < 6; window++) {
      const { phone } = await victim();
      const contacts = [];
      for (let i = 0; i < 20; i++) contacts.push(await start({ callerPhone: phone }));
      const guesses = [...wrongLast4, FACTORS.last4];
      // The attacker sends everything at once, and sends again whatever was not judged.
      let pending = contacts.map((c, i) => ({ c, guess: guesses[i]! }));
      // Answers of one round come back together: their order is not the order they were judged in, so
      // the checks below compare rounds, never places within a round.
      const verdicts: Array<{ guess: string; status: number; json: Record<string, unknown>; round: number }> =
        [];
      for (let round = 0; round < 25 && pending.length > 0; round++) {
        const answers = await Promise.all(pending.map((p) => verify(p.c, { last4: p.guess })));
        // "Try again" (409) and a fault (503, on a loaded machine) carry no verdict: sent again. A rate
        // limit (429) carries none either, and is not worth sending again in this window.
        const retry = (status: number) => status === 409 || status === 503;
        answers.forEach((a, i) => {
          if (!retry(a.status) && a.status !== 429)
            verdicts.push({ guess: pending[i]!.guess, status: a.status, json: a.json, round });
        });
        pending = pending.filter((_, i) => retry(answers[i]!.status));
      }
      expect(pending).toHaveLength(0);
      const seen = verdicts
        .map(
          (v) => `${v.guess === FACTORS.last4 ? 'R' : 'w'}${v.status}${v.json.verified === true ? 'v' : ''}`,
        )
        .join(' ');
      const failed = verdicts.filter((v) => v.status === 200 && v.json.verified === false);
      const right = verdicts.find((v) => v.guess === FACTORS.last4);
      const lockRound = Math.min(...verdicts.filter((v) => v.status === 423).map((v) => v.round));
      if (right?.status === 200 && right.json.verified === true) {
        // Verified: only before the lock, so no round before the right guess's saw it.
        expect(lockRound, seen).toBeGreaterThanOrEqual(right.round);
      } else {
        // Not verified: the lock came (the right guess locked out, or never judged), after at most 2
        // answered failures (a 503 whose write landed may make it fewer).
        if (right) expect(right.status, seen).toBe(423);
        expect(Number.isFinite(lockRound), seen).toBe(true);
        expect(failed.length, seen).toBeLessThanOrEqual(2);
      }
      // Nothing judged after the lock: every answer of a later round is the lock.
      expect(
        verdicts.filter((v) => v.round > lockRound).every((v) => v.status === 423),
        seen,
      ).toBe(true);
    }
  });
});

/** Sort key of a held TransactWriteItems: 1 if its contact item is being verified (the right guess). */
function verifiedLast(send: { input: Record<string, unknown> }): number {
  const items = (send.input.TransactItems ?? []) as Array<{ Put?: { Item?: Record<string, any> } }>;
  return items.some((i) => i.Put?.Item?.verification?.status === 'VERIFIED') ? 1 : 0;
}

describe('finding 2: no contact takeover through externalContactId', () => {
  it('a second start with the same externalContactId from another phone gets no contact of the first caller', async () => {
    const a = await victim();
    const b = await victim();
    const ext = `desk-${Date.now()}`;
    const first = await start({ callerPhone: a.phone, externalContactId: ext });
    const retried = await start({ callerPhone: a.phone, externalContactId: ext });
    // The same caller retrying finds the same contact.
    expect(retried).toBe(first);
    const other = await http('POST', '/v1/contacts', {
      channel: 'agent',
      callType: 'CLOSE_ACCOUNT',
      callerPhone: b.phone,
      externalContactId: ext,
    });
    expect(other.status).toBe(409);
    expect(other.type).toMatch(/problem\+json/);
    expect(JSON.stringify(other.json)).not.toContain(first);
    // Nor by account id, nor by another reason or channel.
    for (const body of [
      { channel: 'agent', callType: 'CLOSE_ACCOUNT', accountId: a.accountId, externalContactId: ext },
      { channel: 'agent', callType: 'FEE_COMPLAINT', callerPhone: a.phone, externalContactId: ext },
    ]) {
      const r = await http('POST', '/v1/contacts', body);
      expect(r.status, JSON.stringify(body)).toBe(409);
      expect(JSON.stringify(r.json)).not.toContain(first);
    }
  });

  it('the contact id of an externalContactId cannot be derived without the key', async () => {
    const { createHash } = await import('node:crypto');
    const a = await victim();
    const ext = `derive-${Date.now()}`;
    const id = await start({ callerPhone: a.phone, externalContactId: ext });
    // What the old derivation gave: a hash of channel and external id, no secret.
    const h = createHash('sha256').update(`retention-desk:agent:${ext}`).digest('hex');
    expect(id.replace(/-/g, '').slice(0, 12)).not.toBe(h.slice(0, 12));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('findings 3 and 4: the chat session is ours, and a typed number is no factor', () => {
  const lex = async (event: unknown) => {
    const r = await fetch(`${stack.url}/2015-03-31/functions/lex-adapter/invocations`, {
      method: 'POST',
      body: JSON.stringify(event),
    });
    return (await r.json()) as {
      sessionState: { dialogAction: { type: string; slotToElicit?: string }; sessionAttributes: object };
      messages: Array<{ content: string }>;
    };
  };
  const lexEvent = (
    sessionId: string,
    slots: Record<string, string>,
    opts: { attrs?: Record<string, string>; confirmation?: string } = {},
  ) => ({
    sessionId,
    inputTranscript: 'x',
    invocationSource: 'DialogCodeHook',
    sessionState: {
      sessionAttributes: opts.attrs ?? {},
      intent: {
        name: 'CloseAccount',
        state: 'InProgress',
        confirmationState: opts.confirmation ?? 'None',
        slots: Object.fromEntries(
          Object.entries(slots).map(([k, v]) => [k, { value: { interpretedValue: v, originalValue: v } }]),
        ),
      },
    },
  });

  it("a Confirmed event from another session naming the victim's contact changes nothing of it", async () => {
    const v = await victim();
    const sid = `victim-${Date.now()}`;
    const slots = { phone: v.phone, last4: FACTORS.last4, zip: FACTORS.zip };
    await lex(lexEvent(sid, { phone: v.phone }));
    const offered = await lex(lexEvent(sid, slots));
    expect(offered.sessionState.dialogAction.type).toBe('ConfirmIntent');
    // Nothing of ours is handed to the client to forge: no contact id in the session.
    expect(JSON.stringify(offered.sessionState.sessionAttributes)).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}/);
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const items =
      (await stack.db.send(new ScanCommand({ TableName: stack.env.CONTACTS_TABLE! }))).Items ?? [];
    const contact = items.find((c) => c.externalContactId === `lex-${sid}`)!;
    expect(contact.stage).toBe('OFFER');
    // The attacker's own session, with the victim's contact id in every attribute it can set.
    const forged = lexEvent(
      `attacker-${Date.now()}`,
      {},
      {
        attrs: { contactId: contact.contactId, sessionId: sid, callerPhone: '+15555550999' },
        confirmation: 'Confirmed',
      },
    );
    const r = await lex(forged);
    // Its own session: a number nobody has, so no account (and nothing of the victim's said).
    expect(r.messages[0]!.content).toMatch(/could not find your account/);
    const after = await http('GET', `/v1/contacts/${contact.contactId}`);
    expect(after.json.stage).toBe('OFFER');
    expect(after.json.answers).toEqual([]);
  });

  it('a phone number typed in chat identifies the account but does not count as a factor: a ZIP alone does not verify', async () => {
    const v = await victim();
    const sid = `zip-only-${Date.now()}`;
    await lex(lexEvent(sid, { phone: v.phone }));
    const r = await lex(lexEvent(sid, { phone: v.phone, zip: FACTORS.zip }));
    expect(r.sessionState.dialogAction).toMatchObject({ type: 'ElicitSlot' });
    // Over the API too: a chat contact with the right number and one right factor is not verified.
    const c = await start({ channel: 'chat', callerPhone: v.phone });
    const one = await verify(c, { zip: FACTORS.zip });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ verified: false, result: 'MORE_FACTORS_NEEDED' });
    // An agent-desk or voice contact from the same number still counts it.
    const voice = await start({ channel: 'voice', callerPhone: v.phone });
    expect((await verify(voice, { zip: FACTORS.zip })).json).toMatchObject({ verified: true });
  });

  it('a second chat attempt is judged, not replayed: wrong last four, then the right ones, verifies', async () => {
    const v = await victim();
    const sid = `retry-${Date.now()}`;
    await lex(lexEvent(sid, { phone: v.phone }));
    const wrong = await lex(lexEvent(sid, { phone: v.phone, last4: '0000', zip: FACTORS.zip }));
    expect(wrong.messages[0]!.content).toMatch(/^That did not match\. 2 attempt\(s\) left/);
    // The same slot names, other values: before, the key named only the slots, so this replayed the miss.
    const right = await lex(lexEvent(sid, { phone: v.phone, last4: FACTORS.last4, zip: FACTORS.zip }));
    expect(right.sessionState.dialogAction.type).toBe('ConfirmIntent');
  });
});

describe('finding 7: the factors entered leave no trace in the contact', () => {
  it("a verification's stored key is keyed, so no hash of the digits entered can be tried back", async () => {
    const v = await victim();
    const contactId = `keys-${Date.now()}`;
    const digits = `${FACTORS.last4}${FACTORS.zip}`;
    await invokeConnect(stack.url, connectEvent(contactId, v.phone, { step: 'start' }));
    const m = await invokeConnect(
      stack.url,
      connectEvent(contactId, v.phone, { step: 'verify', last4: FACTORS.last4, zip: FACTORS.zip }),
    );
    expect(m.json.stage).toBe('OFFER');
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const items =
      (await stack.db.send(new ScanCommand({ TableName: stack.env.CONTACTS_TABLE! }))).Items ?? [];
    const keys = items.map((c) => c.verification?.lastAttemptKey).filter((k): k is string => Boolean(k));
    expect(items.find((c) => c.externalContactId === contactId)?.verification.lastAttemptKey).toMatch(
      /^k1:[0-9a-f]{40}$/,
    );
    // Every contact of this suite: Connect's and Lex's keys held fnv1a of the digits (a billion to try).
    expect(keys.length).toBeGreaterThan(1);
    for (const k of keys) expect(k).toMatch(/^k1:[0-9a-f]{40}$/);
    expect(JSON.stringify(items)).not.toContain(fnv1a(digits).toString(36));
  });
});

describe('finding 6: rate limits on starts and verification', () => {
  it('the 21st contact from one number in 10 minutes is a 429 with Retry-After, and stores nothing', async () => {
    const { phone } = await victim();
    for (let i = 0; i < 20; i++) await start({ callerPhone: phone });
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const count = async () =>
      (await stack.db.send(new ScanCommand({ TableName: stack.env.CONTACTS_TABLE!, Select: 'COUNT' }))).Count;
    const before = await count();
    const over = await http('POST', '/v1/contacts', {
      channel: 'agent',
      callType: 'CLOSE_ACCOUNT',
      callerPhone: phone,
    });
    expect(over.status).toBe(429);
    expect(over.type).toMatch(/problem\+json/);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(600);
    expect(await count()).toBe(before);
    // An unknown number is limited the same way (no account needed to flood).
    const nobody = '+15555559876';
    const answers = [];
    for (let i = 0; i < 21; i++)
      answers.push(
        (
          await http('POST', '/v1/contacts', {
            channel: 'agent',
            callType: 'CLOSE_ACCOUNT',
            callerPhone: nobody,
          })
        ).status,
      );
    expect(answers.slice(0, 20).every((s) => s === 201)).toBe(true);
    expect(answers[20]).toBe(429);
  });

  it('verification attempts per account are limited whatever the number of contacts: the 21st in 15 minutes is a 429', async () => {
    const { phone, accountId } = await victim();
    // 21 contacts (by number and by account id), one attempt each: 3 wrong ones lock, later ones
    // still reach the account and are counted.
    const contacts = [];
    for (let i = 0; i < 21; i++) contacts.push(await start(i % 2 ? { callerPhone: phone } : { accountId }));
    const statuses = [];
    for (const c of contacts)
      statuses.push((await verifyRetrying(c, { last4: '0001', zip: FACTORS.zip })).status);
    expect(statuses.slice(0, 20).filter((s) => s === 429)).toHaveLength(0);
    expect(statuses.slice(2, 20).every((s) => s === 423)).toBe(true);
    expect(statuses[20]).toBe(429);
    const account = await localClient(() => stack).account(accountId);
    expect(account?.verification.failures).toBe(3);
  });
});

describe('an agent picks up a voice or chat contact by its channel id, as a person, recorded', () => {
  const connect = async (contactId: string, phone: string, params: Record<string, string>) =>
    (await invokeConnect(stack.url, connectEvent(contactId, phone, params))).json;

  it('POST /v1/contacts/pickup: the agent named in the token holds the contact; others are refused', async () => {
    const v = await victim();
    const connectId = `c0ffee00-0000-4000-8000-${String(Date.now()).padStart(12, '0').slice(-12)}`;
    const started = await connect(connectId, v.phone, { step: 'start', callType: 'CLOSE_ACCOUNT' });
    expect(started.stage).toBe('VERIFY');
    const maria = localClient(() => stack, '/v1', { roles: ['agent'], user: 'desk-maria' });
    const picked = await maria.http('POST', '/contacts/pickup', {
      channel: 'voice',
      externalContactId: connectId,
    });
    expect(picked.status, JSON.stringify(picked.json)).toBe(200);
    expect(picked.json.agent).toMatchObject({ username: 'desk-maria' });
    expect(picked.json.channel).toBe('voice');
    // The same contact, stored: the desk can go on with it by its id.
    const again = await maria.http('GET', `/contacts/${picked.json.contactId}`);
    expect(again.json.agent).toMatchObject({ username: 'desk-maria' });
    // No token, a role that may not act on contacts, another channel, an id nobody has: nothing.
    const anonymous = localClient(() => stack, '/v1', null);
    expect(
      (await anonymous.http('POST', '/contacts/pickup', { channel: 'voice', externalContactId: connectId }))
        .status,
    ).toBe(401);
    const ops = localClient(() => stack, '/v1', { roles: ['ops'] });
    expect(
      (await ops.http('POST', '/contacts/pickup', { channel: 'voice', externalContactId: connectId })).status,
    ).toBe(403);
    expect(
      (await maria.http('POST', '/contacts/pickup', { channel: 'chat', externalContactId: connectId }))
        .status,
    ).toBe(404);
    const bad = await maria.http('POST', '/contacts/pickup', { channel: 'agent', externalContactId: 'x y' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'channel',
      'externalContactId',
    ]);
  });
});
