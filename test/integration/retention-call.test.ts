import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import validator from 'asl-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalRunner } from '../../infra/local/runner';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import type { TurnOutput, TurnRunner } from '../../shared/ports';
import type { TurnInput } from '../../shared/schemas/api';
import type { Contact } from '../../shared/schemas/contact';

/**
 * The synthesized state machine, executed in-process with the real handlers against DynamoDB
 * Local: every path of the call.
 */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 100 });
});
afterAll(async () => stack?.stop());

const now = () => new Date().toISOString();
const persona = (
  pred: (e: { customerSegment: string; cardSegment: string; routeQueue: string }) => boolean,
) => {
  const p = stack.personas.find((x) => pred(x.persona.expect));
  if (!p) throw new Error('no such persona');
  return p.persona;
};
type Ok = Extract<TurnOutput, { outcome: 'ok' }>;
type WithoutNow<T> = T extends unknown ? Omit<T, 'now'> : never;
/** An agent-desk turn comes with the person the authorizer verified: a supervisor here, as the API would send. */
const DESK = { sub: 'test-supervisor-sub', username: 'test-supervisor', roles: ['supervisor'] } as const;
async function ok(runner: TurnRunner, input: WithoutNow<TurnInput>): Promise<Contact> {
  const out = await runner.run({ now: now(), actor: DESK, ...input } as TurnInput);
  expect(out.outcome, JSON.stringify(out)).toBe('ok');
  return (out as Ok).contact;
}
const start = (r: TurnRunner, phone: string, callType: Contact['callType'] = 'CLOSE_ACCOUNT') =>
  ok(r, { action: 'start', request: { channel: 'agent', callType, callerPhone: phone } });
const log = async (contactId: string) =>
  (
    (
      await stack.db.send(
        new QueryCommand({
          TableName: stack.env.OFFER_LOG_TABLE!,
          KeyConditionExpression: 'contactId = :c',
          ExpressionAttributeValues: { ':c': contactId },
        }),
      )
    ).Items ?? []
  ).map((i) => i.event as string);

describe('retention call state machine (synthesized definition, real handlers, DynamoDB Local)', () => {
  it('the definition taken from the template is valid ASL', () => {
    const r = validator(structuredClone(stack.definition.stateMachine.definition), {
      checkArn: true,
      checkPaths: true,
    });
    expect(r.isValid, JSON.stringify(r.errors)).toBe(true);
  });

  it('verified → offers → accept: the customer is RETAINED and the log shows what was presented and accepted', async () => {
    const p = persona((e) => e.customerSegment === 'PREMIUM_TRANSACTOR');
    const c = await start(stack.runner, p.phone);
    expect(c.stage).toBe('VERIFY');
    const v = await ok(stack.runner, {
      action: 'verify',
      contactId: c.contactId,
      request: { last4: p.last4, zip: p.zip },
    });
    expect(v).toMatchObject({ stage: 'OFFER', verification: { status: 'VERIFIED' } });
    const o = await ok(stack.runner, { action: 'offers', contactId: c.contactId });
    expect(o.current.length).toBeGreaterThan(0);
    const a = await ok(stack.runner, {
      action: 'respond',
      contactId: c.contactId,
      request: { offerId: o.current[0]!, response: 'ACCEPTED' },
    });
    expect(a).toMatchObject({ stage: 'RETAINED', outcome: 'SAVED' });
    expect(await log(c.contactId)).toEqual([...o.current.map(() => 'PRESENTED'), 'ACCEPTED']);
  });

  it('wrong factors leave the call in VERIFY with fewer attempts; three lock it and route to security', async () => {
    const p = persona((e) => e.customerSegment === 'PROFITABLE_REVOLVER');
    const c = await start(stack.runner, p.phone);
    const wrong = {
      action: 'verify' as const,
      contactId: c.contactId,
      request: { last4: p.last4 === '0000' ? '1111' : '0000', zip: p.zip },
    };
    expect(await ok(stack.runner, wrong)).toMatchObject({
      stage: 'VERIFY',
      verification: { attemptsLeft: 2 },
    });
    expect(await ok(stack.runner, wrong)).toMatchObject({
      stage: 'VERIFY',
      verification: { attemptsLeft: 1 },
    });
    const locked = await ok(stack.runner, wrong);
    expect(locked).toMatchObject({
      stage: 'LOCKED',
      route: { queue: 'SECURITY' },
      verification: { status: 'LOCKED', attemptsLeft: 0 },
    });
    const again = await stack.runner.run({
      now: now(),
      action: 'verify',
      contactId: c.contactId,
      request: { last4: p.last4, zip: p.zip },
    });
    expect(again).toMatchObject({
      outcome: 'rejected',
      problem: { name: 'VerificationLocked', status: 423 },
    });
    // The lock is on the account: a new call from the same number is LOCKED from the start.
    const next = await start(stack.runner, p.phone);
    expect(next).toMatchObject({ stage: 'LOCKED', route: { queue: 'SECURITY' } });
  });

  it('decline → next offer → cross-sell → closed, each step stored and logged', async () => {
    // The frequent traveller: retention offers on a fee card, and a travel card that suits his spend.
    const p = stack.personas.find((x) => x.persona.name.startsWith('Hiro'))!.persona;
    const c = await start(stack.runner, p.phone);
    await ok(stack.runner, {
      action: 'verify',
      contactId: c.contactId,
      request: { last4: p.last4, dob: p.dob },
    });
    let cur = await ok(stack.runner, { action: 'offers', contactId: c.contactId });
    for (let i = 0; i < 12 && cur.current.length > 0; i++)
      cur = await ok(stack.runner, {
        action: 'respond',
        contactId: c.contactId,
        request: { offerId: cur.current[0]!, response: 'DECLINED' },
      });
    expect(cur).toMatchObject({ stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED' });
    expect(cur.history.map((h) => h.stage)).toEqual(['VERIFY', 'OFFER', 'CROSS_SELL', 'CLOSED']);
    const kinds = cur.offers.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'RETENTION').length).toBeGreaterThan(1);
    expect(kinds).toContain('CROSS_SELL');
    const events = await log(c.contactId);
    expect(events.filter((e) => e === 'DECLINED')).toHaveLength(cur.offers.length);
    expect(events.at(-1)).toBe('CLOSURE_REQUESTED');
  });

  it('a fraud report is routed to fraud with no offer at all', async () => {
    const p = persona((e) => e.customerSegment === 'PREMIUM_TRANSACTOR');
    const c = await start(stack.runner, p.phone, 'FRAUD_REPORT');
    expect(c).toMatchObject({ stage: 'ROUTED', route: { queue: 'FRAUD' } });
    const o = await ok(stack.runner, { action: 'offers', contactId: c.contactId });
    expect(o.offers).toEqual([]);
    expect(await log(c.contactId)).toEqual([]);
  });

  it('an account on fraud hold asking to close is routed to fraud, not offered anything', async () => {
    const p = persona((e) => e.routeQueue === 'FRAUD');
    const c = await start(stack.runner, p.phone);
    expect(c).toMatchObject({ stage: 'ROUTED', route: { queue: 'FRAUD' }, offers: [] });
  });

  it('a delinquent customer is routed to collections', async () => {
    const p = persona((e) => e.routeQueue === 'COLLECTIONS');
    const c = await start(stack.runner, p.phone);
    expect(c).toMatchObject({ stage: 'ROUTED', route: { queue: 'COLLECTIONS' } });
  });

  it('an unknown contact is rejected with a 404 problem', async () => {
    const r = await stack.runner.run({
      now: now(),
      action: 'get',
      contactId: '00000000-0000-4000-8000-00000000dead',
    });
    expect(r).toMatchObject({ outcome: 'rejected', problem: { name: 'ContactNotFound', status: 404 } });
  });

  it('a failing task ends in the safe answer: route to a retention agent, with the reason', async () => {
    // The decision itself fails on the offers turn (a bug, say): the earlier turns were stored.
    const real = stack.runner.handlers.DecideTurn!;
    const broken = await createLocalRunner(stack.definition.stateMachine, {
      DecideTurn: async (event) => {
        if ((event as { action?: string }).action === 'offers') throw new TypeError('boom');
        return real(event);
      },
    });
    const p = persona((e) => e.customerSegment === 'PREMIUM_TRANSACTOR');
    const c = await start(broken, p.phone);
    await ok(broken, { action: 'verify', contactId: c.contactId, request: { last4: p.last4, zip: p.zip } });
    const r = await broken.run({ now: now(), action: 'offers', contactId: c.contactId });
    expect(r).toMatchObject({
      outcome: 'fallback',
      failedAt: 'DecideTurn',
      route: { queue: 'RETENTION_SPECIALIST', ruleId: 'SAFE_FALLBACK' },
    });
    expect((r as { route: { reasons: string[] } }).route.reasons[0]).toContain('DecideTurn');
    // Nothing was stored by the failed turn.
    expect((await ok(stack.runner, { action: 'get', contactId: c.contactId })).current).toEqual([]);
  });

  it('a task that hangs past its timeout ends in the safe answer too', async () => {
    const slow = await createLocalRunner(stack.definition.stateMachine, {
      DecideTurn: () => new Promise(() => undefined),
    });
    const r = await slow.run({
      now: now(),
      action: 'get',
      contactId: '00000000-0000-4000-8000-00000000beef',
    });
    expect(r).toMatchObject({ outcome: 'fallback', failedAt: 'DecideTurn', error: 'States.Timeout' });
  });

  it('a transient storage error is retried once and the turn succeeds', async () => {
    let calls = 0;
    const real = stack.runner.handlers.DecideTurn!;
    const flaky = await createLocalRunner(stack.definition.stateMachine, {
      DecideTurn: async (event) => {
        calls++;
        if (calls === 1) {
          const e = new Error('Throughput exceeded');
          e.name = 'TransientStorageError';
          throw e;
        }
        return real(event);
      },
    });
    const r = await flaky.run({
      now: now(),
      action: 'get',
      contactId: '00000000-0000-4000-8000-00000000f00d',
    });
    expect(r).toMatchObject({ outcome: 'rejected', problem: { name: 'ContactNotFound' } });
    expect(calls).toBe(2);
  });

  it('a failure of the save itself routes to an agent and leaves the contact as it was', async () => {
    const p = persona((e) => e.customerSegment === 'PREMIUM_TRANSACTOR');
    const c = await start(stack.runner, p.phone);
    const noSave = await createLocalRunner(stack.definition.stateMachine, {
      SaveTurn: async () => {
        throw new Error('disk on fire');
      },
    });
    const r = await noSave.run({
      now: now(),
      action: 'verify',
      contactId: c.contactId,
      request: { last4: p.last4, zip: p.zip },
    });
    expect(r).toMatchObject({ outcome: 'fallback', failedAt: 'SaveTurn' });
    expect(await ok(stack.runner, { action: 'get', contactId: c.contactId })).toMatchObject({
      stage: 'VERIFY',
      version: 1,
    });
  });

  it('a new contact is dated on its account, and the next call counts it (contact frequency)', async () => {
    const p = persona((e) => e.customerSegment === 'DORMANT');
    const read = async () =>
      (
        await stack.db.send(
          new GetCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Key: { accountId: p.accountId } }),
        )
      ).Item?.recentContacts as string[] | undefined;
    const before = (await read())?.length ?? 0;
    const first = await start(stack.runner, p.phone, 'FEE_COMPLAINT');
    expect((await read())?.length).toBe(before + 1);
    const second = await start(stack.runner, p.phone, 'FEE_COMPLAINT');
    expect(second.facts!.contactsLast12m).toBe(first.facts!.contactsLast12m + 1);
  });
});
