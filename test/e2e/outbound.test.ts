import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatOutbound } from '../../infra/local/outbound-cli';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { maskPhone } from '../../shared/domain/outbound';
import type { Account } from '../../shared/schemas/account';
import { FACTORS, premiumAccount, TEST_PEPPER } from '../fakes/accounts';
import { localClient } from '../fakes/local-client';
import { putPremiumAccount } from '../fakes/stack';

/**
 * Contact that Retention Desk starts, end to end on the local stack: events place accounts in the
 * at-risk strategy's CALL stage (an outbound call), the placement's outbox item is published from the
 * counters table's stream, StartOutbound judges the outbound contact policy and asks Connect's
 * stand-in, and the results come back on the bus. Who is called and who is not is checked by name.
 */
let stack: LocalStack;
type Json = Record<string, any>;
const { http } = localClient(() => stack, '');
const ops = localClient(() => stack, '', { roles: ['ops'] }).http;
/** The outbound policy's clock: 15:00 UTC is 10:00 in New York and 07:00 in Los Angeles (quiet). */
/** How the stand-in shows the number +155555700NN. */
const masked = (nn: string) => maskPhone(`+155555700${nn}`);
let clock = '2026-12-01T15:00:00.000Z';

beforeAll(async () => {
  const pepperFile = join(mkdtempSync(join(tmpdir(), 'rd-pepper-')), 'pepper');
  writeFileSync(pepperFile, `${TEST_PEPPER}\n`, { mode: 0o600 });
  stack = await startLocalStack({ port: 0, accounts: 0, pepperFile, outboundNow: () => clock });
});
afterAll(async () => {
  await stack?.stop();
});

const falling = Array(9).fill(5000).concat([200, 100, 50]);
const CONSENT = { automatedCalls: true, recordedAt: '2026-01-01T00:00:00.000Z' };
const put = (id: string, over: Partial<Account> = {}) =>
  putPremiumAccount(stack, id, '+1555557', {
    monthlySpend: falling,
    timeZone: 'America/New_York',
    consent: CONSENT,
    ...over,
  });
const account = async (id: string) =>
  (await stack.db.send(new GetCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Key: { accountId: id } })))
    .Item!;
/** Two signals of falling use: the account enters WATCH, then CALL (whose scenario is an outbound call). */
async function toCallStage(id: string) {
  for (const [i, at] of ['2026-12-01T09:00:00.000Z', '2026-12-01T10:00:00.000Z'].entries()) {
    const r = await ops('POST', '/v1/admin/accounts/events', {
      events: [{ type: 'USAGE_DROP', accountId: id, asOf: at }],
    });
    expect(r.json.results, `event ${i}`).toEqual([{ index: 0, result: 'applied' }]);
  }
  // The outbox to the bus to StartOutbound, and its result back through the outbox to the bus.
  await stack.streams.drain();
  await stack.streams.drain();
}
const results = (id: string) =>
  stack.outbound.bus.delivered.filter((e) => e.detail.accountId === id).map((e) => e['detail-type']);

describe('an event that moves an account into an outbound stage starts one contact, under the policy', () => {
  it('a customer who consented is called, once, in the outbound flow, and it is recorded with the account', async () => {
    await put('OUTB-0001');
    await toCallStage('OUTB-0001');
    const calls = stack.outbound.connect.calls.filter((c) => c.kind === 'VOICE' && c.to === masked('01'));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.attributes).toMatchObject({ strategyId: 'at-risk-retention', stageId: 'CALL' });
    expect(results('OUTB-0001')).toEqual(['Outbound Contact Requested', 'Outbound Contact Started']);
    const a = await account('OUTB-0001');
    expect(a.outbound).toEqual([
      expect.objectContaining({
        channel: 'VOICE',
        strategyId: 'at-risk-retention',
        stageId: 'CALL',
        contactId: calls[0]!.contactId,
      }),
    ]);
    // No full number anywhere the stand-in keeps.
    expect(JSON.stringify(stack.outbound.connect.calls)).not.toContain('+15555570001');
  });

  it('a redelivered event, and a redelivered request, start nothing twice', async () => {
    const before = stack.outbound.connect.calls.length;
    const again = await ops('POST', '/v1/admin/accounts/events', {
      events: [{ type: 'USAGE_DROP', accountId: 'OUTB-0001', asOf: '2026-12-01T10:00:00.000Z' }],
    });
    expect(again.json.results[0].result).toBe('stale');
    const requested = stack.outbound.bus.delivered.find(
      (e) => e['detail-type'] === 'Outbound Contact Requested' && e.detail.accountId === 'OUTB-0001',
    )!;
    const { id, at, ...detail } = requested.detail as { id: string; at: string };
    await stack.outbound.bus.publish([{ id, type: 'Outbound Contact Requested', at, detail }]);
    await stack.outbound.bus.publish([{ id, type: 'Outbound Contact Requested', at, detail }]);
    await stack.streams.drain();
    expect(stack.outbound.connect.calls.length).toBe(before);
    expect((await account('OUTB-0001')).outbound).toHaveLength(1);
  });

  it('never for the deceased, the bankrupt, a do-not-call tag; an agent calls who gave no consent', async () => {
    await put('OUTB-0002', { flags: { ...premiumAccount().flags, deceased: true } });
    await put('OUTB-0003', { flags: { ...premiumAccount().flags, bankruptcy: true } });
    await put('OUTB-0004', { tags: ['DO_NOT_CALL'] });
    const { consent: _c, ...noConsent } = premiumAccount({ accountId: 'OUTB-0005' });
    await stack.db.send(
      new PutCommand({
        TableName: stack.env.ACCOUNTS_TABLE!,
        Item: {
          ...noConsent,
          phone: '+15555570005',
          asOf: '2026-11-01T00:00:00.000Z',
          monthlySpend: falling,
          timeZone: 'America/New_York',
        },
      }),
    );
    for (const id of ['OUTB-0002', 'OUTB-0003', 'OUTB-0004', 'OUTB-0005']) await toCallStage(id);
    const skipped = (id: string) =>
      stack.outbound.bus.delivered.find(
        (e) => e['detail-type'] === 'Outbound Contact Skipped' && e.detail.accountId === id,
      )?.detail.reason;
    expect(skipped('OUTB-0002')).toBe('DECEASED');
    expect(skipped('OUTB-0003')).toBe('BANKRUPTCY');
    expect(skipped('OUTB-0004')).toBe('DO_NOT_CALL');
    for (const n of ['02', '03', '04', '05'])
      expect(stack.outbound.connect.calls.some((c) => c.to === masked(n))).toBe(false);
    // No consent to automated calls: a task for an agent to call, not a dialled call.
    const task = stack.outbound.connect.calls.filter(
      (c) => c.kind === 'TASK' && c.attributes.accountId === 'OUTB-0005',
    );
    expect(task).toHaveLength(1);
    expect(task[0]!.attributes.note).toBe('NO_CONSENT_FOR_AUTOMATED_CALLS');
    expect(results('OUTB-0005')).toContain('Outbound Contact Started');
  });

  it('quiet hours in the customer time zone defer the call to their end; then it is made', async () => {
    await put('OUTB-0006', { timeZone: 'America/Los_Angeles' });
    await toCallStage('OUTB-0006');
    expect(stack.outbound.connect.calls.some((c) => c.to === masked('06'))).toBe(false);
    const deferred = stack.outbound.bus.delivered.find(
      (e) => e['detail-type'] === 'Outbound Contact Deferred' && e.detail.accountId === 'OUTB-0006',
    );
    // 08:00 in Los Angeles on 1 December (PST, UTC-8).
    expect(deferred?.detail.until).toBe('2026-12-01T16:00:00.000Z');
    expect(await stack.outbound.scheduler.fireDue('2026-12-01T15:59:00.000Z')).toBe(0);
    clock = '2026-12-01T16:01:00.000Z';
    expect(await stack.outbound.scheduler.fireDue(clock)).toBe(1);
    expect(stack.outbound.connect.calls.filter((c) => c.to === masked('06'))).toHaveLength(1);
    clock = '2026-12-01T15:00:00.000Z';
  });

  it('at most the policy number of outbound contacts per account and period', async () => {
    const recent = [
      {
        id: 'ob-1',
        at: '2026-11-20T15:00:00.000Z',
        channel: 'VOICE',
        strategyId: 'x-strategy',
        stageId: 'CALL',
      },
      {
        id: 'ob-2',
        at: '2026-11-25T15:00:00.000Z',
        channel: 'MESSAGE',
        strategyId: 'x-strategy',
        stageId: 'CALL',
      },
    ] as Account['outbound'];
    await put('OUTB-0007', { outbound: recent, outboundSeq: 2 });
    await toCallStage('OUTB-0007');
    expect(stack.outbound.connect.calls.some((c) => c.to === masked('07'))).toBe(false);
    expect(
      stack.outbound.bus.delivered.find(
        (e) => e['detail-type'] === 'Outbound Contact Skipped' && e.detail.accountId === 'OUTB-0007',
      )?.detail.reason,
    ).toBe('FREQUENCY_CAP');
  });

  it('a suspicious pattern, a fee on a quiet card, a missed payment: each moves a watched account to the call', async () => {
    const signals = ['SUSPICIOUS_PATTERN', 'FEE_POSTED_LOW_USE', 'PAYMENT_MISSED'];
    for (const [i, type] of signals.entries()) {
      const id = `OUTB-001${i}`;
      await put(id);
      for (const [e, at] of [
        ['USAGE_DROP', '2026-12-01T09:00:00.000Z'],
        [type, '2026-12-01T10:00:00.000Z'],
      ] as const) {
        const r = await ops('POST', '/v1/admin/accounts/events', {
          events: [{ type: e, accountId: id, asOf: at }],
        });
        expect(r.json.results[0].result, `${id} ${e}`).toBe('applied');
      }
      expect((await account(id)).strategies['at-risk-retention']).toMatchObject({
        stageId: 'CALL',
        cause: type,
      });
    }
    await stack.streams.drain();
    await stack.streams.drain();
    for (const i of [0, 1, 2])
      expect(
        stack.outbound.connect.calls.filter((c) => c.kind === 'VOICE' && c.to === masked(`1${i}`)),
        `OUTB-001${i}`,
      ).toHaveLength(1);
  });

  it('GET /outbound.json lists what would be dialled, masked (npm run outbound reads it)', async () => {
    const r = await ops('GET', '/outbound.json');
    expect(r.status).toBe(200);
    expect(r.json.started.map((c: Json) => c.to).filter(Boolean)).toEqual(
      expect.arrayContaining([masked('01'), masked('06')]),
    );
    expect(JSON.stringify(r.json)).not.toMatch(/\+1555557\d{4}/);
    const text = formatOutbound(r.json as never);
    expect(text).toContain(masked('01'));
    expect(text).toMatch(/OUTB-0002\s+at-risk-retention\s+CALL\s+DECEASED/);
  });
});

describe('the start of a contact places the account too (conditions on time and contact history)', () => {
  it('two weeks at WATCH: the contact moves it to CALL in its own write, gets that stage, and asks for the call', async () => {
    const watchSince = new Date(Date.now() - 20 * 86_400_000).toISOString();
    await put('OUTB-0008', { asOf: new Date(Date.now() - 30 * 86_400_000).toISOString() });
    const e = await ops('POST', '/v1/admin/accounts/events', {
      events: [{ type: 'FEE_POSTED_LOW_USE', accountId: 'OUTB-0008', asOf: watchSince }],
    });
    expect(e.json.results[0].result).toBe('applied');
    expect((await account('OUTB-0008')).strategies['at-risk-retention']).toMatchObject({
      stageId: 'WATCH',
      cause: 'FEE_POSTED_LOW_USE',
    });
    const funnel = async () =>
      Object.fromEntries(
        ((await http('GET', '/v1/admin/strategies/at-risk-retention/funnel')).json.stages as Json[]).map(
          (x) => [x.stageId, x.accounts],
        ),
      );
    const before = await funnel();
    const c = await http('POST', '/v1/contacts', {
      channel: 'agent',
      callType: 'FEE_COMPLAINT',
      accountId: 'OUTB-0008',
    });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    const placed = (await account('OUTB-0008')).strategies['at-risk-retention'];
    expect(placed).toMatchObject({ stageId: 'CALL', cause: 'CONTACT' });
    expect(await funnel()).toEqual({ ...before, WATCH: before.WATCH - 1, CALL: before.CALL + 1 });
    // The contact gets the stage it is now in: CALL's route and script.
    expect(c.json.route).toMatchObject({ queue: 'RETENTION_SPECIALIST' });
    await stack.streams.drain();
    await stack.streams.drain();
    const requested = stack.outbound.bus.delivered.filter(
      (x) => x['detail-type'] === 'Outbound Contact Requested' && x.detail.accountId === 'OUTB-0008',
    );
    expect(requested.map((x) => [x.detail.stageId, x.detail.cause])).toEqual([['CALL', 'CONTACT']]);
    // A second contact moves nothing (no write of the placement, no second request).
    const c2 = await http('POST', '/v1/contacts', {
      channel: 'agent',
      callType: 'FEE_COMPLAINT',
      accountId: 'OUTB-0008',
    });
    expect(c2.status).toBe(201);
    expect((await account('OUTB-0008')).placementSeq).toBe(2);
  });
});

describe('decisions reach the issuer systems through the outbox', () => {
  it('an accepted offer and a closure request are published once each, with a stable id', async () => {
    await stack.db.send(
      new PutCommand({
        TableName: stack.env.ACCOUNTS_TABLE!,
        Item: premiumAccount({ accountId: 'DECIDE-0001', phone: '+15555580001' }),
      }),
    );
    const play = async (answer: 'ACCEPTED' | 'DECLINED') => {
      const c = await http('POST', '/v1/contacts', {
        channel: 'agent',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: '+15555580001',
      });
      expect(c.status, JSON.stringify(c.json)).toBe(201);
      const id = c.json.contactId as string;
      await http('POST', `/v1/contacts/${id}/verification`, { last4: FACTORS.last4, zip: FACTORS.zip });
      let offers = (await http('GET', `/v1/contacts/${id}/offers`)).json.offers as Json[];
      let r: Json = {};
      while (offers.length) {
        r = await http('POST', `/v1/contacts/${id}/responses`, {
          offerId: offers[0]!.offerId,
          response: answer,
        });
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        if (answer === 'ACCEPTED') return { id, offerId: offers[0]!.offerId };
        offers = r.json.offers ?? [];
      }
      return { id, offerId: undefined };
    };
    const kept = await play('ACCEPTED');
    const closed = await play('DECLINED');
    await stack.streams.drain();
    const of = (contactId: string) =>
      stack.outbound.bus.delivered.filter((e) => e.detail.contactId === contactId);
    expect(of(kept.id).map((e) => [e['detail-type'], e.detail.offerId])).toEqual([
      ['Offer Accepted', kept.offerId],
    ]);
    expect(of(kept.id)[0]!.detail.id).toMatch(new RegExp(`^${kept.id}\\.\\d+$`));
    expect(of(closed.id).map((e) => e['detail-type'])).toEqual(['Closure Requested']);
    expect(JSON.stringify(of(kept.id))).not.toMatch(/\+1555558|last4|dob/);
  });
});
