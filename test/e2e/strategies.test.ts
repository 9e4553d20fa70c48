import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import type { Account } from '../../shared/schemas/account';
import { localClient } from '../fakes/local-client';
import { captureLogs } from '../fakes/logs';
import { putPremiumAccount } from '../fakes/stack';

/**
 * Strategies placing accounts as events change them, over the local stack's real admin API and
 * DynamoDB Local: the funnel endpoint against a recount of the accounts table, under redelivered and
 * concurrent events.
 */
let stack: LocalStack;
type Json = Record<string, any>;
const { http } = localClient(() => stack, '');
const ops = localClient(() => stack, '', { roles: ['ops'] }).http;

let logs: ReturnType<typeof captureLogs> | undefined;
beforeAll(async () => {
  // The functions' INFO lines (the stage log) are read by a test below.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  logs = captureLogs();
  stack = await startLocalStack({ port: 0, accounts: 0 });
});
afterAll(async () => {
  logs?.restore();
  await stack?.stop();
});

/** Spend that fell to almost nothing in the last quarter, on a profitable account: at risk. */
const falling = Array(9).fill(5000).concat([200, 100, 50]);
const put = (id: string, over: Partial<Account> = {}) =>
  putPremiumAccount(stack, id, '+1555556', { ...over });
const events = (list: Json[]) => ops('POST', '/v1/admin/accounts/events', { events: list });
const funnel = async (id: string) => {
  const r = await http('GET', `/v1/admin/strategies/${id}/funnel`);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return Object.fromEntries((r.json.stages as Json[]).map((s) => [s.stageId, s.accounts]));
};
/** The funnel as the accounts table holds it: every account's placement, counted. */
async function recount(strategyId: string) {
  const items = (await stack.db.send(new ScanCommand({ TableName: stack.env.ACCOUNTS_TABLE! }))).Items ?? [];
  const out: Record<string, number> = {};
  for (const i of items) {
    const p = (i.strategies as Json | undefined)?.[strategyId];
    if (p) out[p.stageId] = (out[p.stageId] ?? 0) + 1;
  }
  return out;
}
const nonZero = (o: Record<string, number>) =>
  Object.fromEntries(Object.entries(o).filter(([, n]) => n !== 0));

describe('an event places the account in the active strategies, in the same write', () => {
  it('use falls: the account enters the at-risk strategy, and a second signal moves it to the outbound call', async () => {
    await put('STRAT-0001', { monthlySpend: falling });
    const r1 = await events([
      { type: 'USAGE_DROP', accountId: 'STRAT-0001', asOf: '2026-12-01T09:00:00.000Z' },
    ]);
    expect(r1.json.results).toEqual([{ index: 0, result: 'applied' }]);
    expect(await funnel('at-risk-retention')).toEqual({ WATCH: 1, CALL: 0, SPECIALIST: 0 });
    const r2 = await events([
      { type: 'USAGE_DROP', accountId: 'STRAT-0001', asOf: '2026-12-01T10:00:00.000Z' },
    ]);
    expect(r2.json.results[0].result).toBe('applied');
    expect(await funnel('at-risk-retention')).toEqual({ WATCH: 0, CALL: 1, SPECIALIST: 0 });
    // Stored with the account, with the change that moved it and when.
    const item = (
      await stack.db.send(
        new GetCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Key: { accountId: 'STRAT-0001' } }),
      )
    ).Item!;
    expect(item.strategies['at-risk-retention']).toEqual({
      version: 1,
      stageId: 'CALL',
      since: '2026-12-01T10:00:00.000Z',
      cause: 'USAGE_DROP',
    });
    expect(item.lastEvent).toEqual({ type: 'USAGE_DROP', at: '2026-12-01T10:00:00.000Z' });
  });

  it('every entry and exit is logged with its strategy, stage and time there, never the account', async () => {
    const lines = (logs?.lines ?? []).filter((l) => l.includes('"strategy stage"')).map((l) => JSON.parse(l));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event: 'STAGE_ENTRY',
          strategyId: 'at-risk-retention',
          stageId: 'WATCH',
          cause: 'USAGE_DROP',
        }),
        expect.objectContaining({
          event: 'STAGE_EXIT',
          strategyId: 'at-risk-retention',
          stageId: 'WATCH',
          at: '2026-12-01T10:00:00.000Z',
          daysInStage: 0.04,
        }),
        expect.objectContaining({ event: 'STAGE_ENTRY', strategyId: 'at-risk-retention', stageId: 'CALL' }),
      ]),
    );
    for (const l of lines) expect(JSON.stringify(l)).not.toMatch(/STRAT-\d|\+1555/);
  });

  it('a redelivered event is stale and moves nothing', async () => {
    const before = await funnel('at-risk-retention');
    const again = await events([
      { type: 'USAGE_DROP', accountId: 'STRAT-0001', asOf: '2026-12-01T10:00:00.000Z' },
    ]);
    expect(again.json.results[0].result).toBe('stale');
    expect(await funnel('at-risk-retention')).toEqual(before);
  });

  it('a missed payment enters early collections; the payment made takes it out again', async () => {
    await put('STRAT-0002');
    await events([{ type: 'PAYMENT_MISSED', accountId: 'STRAT-0002', asOf: '2026-12-01T09:00:00.000Z' }]);
    expect(nonZero(await funnel('early-collections'))).toEqual({ REMIND: 1 });
    await events([
      { type: 'PAYMENT_MADE', status: 'FULL', accountId: 'STRAT-0002', asOf: '2026-12-02T09:00:00.000Z' },
    ]);
    expect(nonZero(await funnel('early-collections'))).toEqual({});
  });

  it('many accounts at once, events redelivered and raced: the funnel equals a recount of the accounts', async () => {
    const ids = Array.from({ length: 24 }, (_, i) => `STRAT-1${String(i).padStart(3, '0')}`);
    await Promise.all(ids.map((id, i) => put(id, i % 2 ? { monthlySpend: falling } : {})));
    const batch = ids.flatMap((id, i) => [
      { type: i % 3 ? 'USAGE_DROP' : 'PAYMENT_MISSED', accountId: id, asOf: '2026-12-01T09:00:00.000Z' },
      { type: 'SUSPICIOUS_PATTERN', accountId: id, asOf: '2026-12-01T09:30:00.000Z' },
      { type: 'USAGE_DROP', accountId: id, asOf: '2026-12-01T11:00:00.000Z' },
    ]);
    // Every event sent three times, in four concurrent requests of shuffled order.
    const all = [...batch, ...batch, ...batch];
    const shuffled = all
      .map((e, i) => ({ e, k: (i * 7919) % all.length }))
      .sort((a, b) => a.k - b.k)
      .map((x) => x.e);
    const quarter = Math.ceil(shuffled.length / 4);
    const rs = await Promise.all(
      [0, 1, 2, 3].map(async (q) => {
        const part = shuffled.slice(q * quarter, (q + 1) * quarter);
        const out: Json[] = [];
        for (let i = 0; i < part.length; i += 50)
          out.push(...(await events(part.slice(i, i + 50))).json.results);
        return out;
      }),
    );
    expect(rs.flat().every((r) => ['applied', 'stale'].includes(r.result))).toBe(true);
    // And each account's next event sent eight times at once, each in a request of its own.
    const next = ids.map((id) => ({
      type: 'FEE_POSTED_LOW_USE',
      accountId: id,
      asOf: '2026-12-01T12:00:00.000Z',
    }));
    const raced = await Promise.all(next.flatMap((e) => Array.from({ length: 8 }, () => events([e]))));
    const applied = raced.filter((r) => r.json.results[0].result === 'applied').length;
    expect(applied).toBe(ids.length);
    for (const s of ['at-risk-retention', 'early-collections', 'vip-service'])
      expect(nonZero(await funnel(s)), s).toEqual(await recount(s));
    // Some accounts did move: the test is not comparing two empty funnels.
    expect(Object.values(await recount('at-risk-retention')).reduce((a, b) => a + b, 0)).toBeGreaterThan(10);
  }, 60_000);
});

describe("an inbound contact gets its stages' scenario", () => {
  it("the at-risk account's call goes to the retention specialists with the stage's script", async () => {
    // STRAT-0001 is at the at-risk strategy's CALL stage (the events above put it there).
    const c = await http('POST', '/v1/contacts', {
      channel: 'agent',
      callType: 'CLOSE_ACCOUNT',
      callerPhone: '+15555560001',
    });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    expect(c.json.route).toMatchObject({
      queue: 'RETENTION_SPECIALIST',
      ruleId: 'STRATEGY:at-risk-retention',
      reasons: expect.arrayContaining([
        'strategy at-risk-retention: Card use has fallen: lead with the spend credit.',
      ]),
    });
    // An account in no stage is routed by the routing table alone.
    await put('STRAT-0099');
    const plain = await http('POST', '/v1/contacts', {
      channel: 'agent',
      callType: 'CLOSE_ACCOUNT',
      callerPhone: '+15555560099',
    });
    expect(plain.json.route.ruleId).not.toMatch(/^STRATEGY:/);
  });
});

describe('the strategies and funnel routes', () => {
  it('lists the active strategies, one of each kind, with their stages', async () => {
    const r = await http('GET', '/v1/admin/strategies');
    expect(r.status).toBe(200);
    expect(r.json.strategies.map((s: Json) => s.kind).sort()).toEqual([
      'COLLECTIONS',
      'CROSS_SELL',
      'RETENTION_AT_RISK',
      'TELEMARKETING',
      'VIP_SERVICE',
    ]);
  });

  it('a malformed strategy id is a 400 naming it; an unknown one a 404; the desk may not read funnels', async () => {
    const bad = await http('GET', '/v1/admin/strategies/Not_An_Id/funnel');
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].path).toBe('strategyId');
    expect((await http('GET', '/v1/admin/strategies/no-such-strategy/funnel')).status).toBe(404);
    const desk = localClient(() => stack, '', { roles: ['supervisor'] }).http;
    expect((await desk('GET', '/v1/admin/strategies/vip-service/funnel')).status).toBe(403);
  });
});

describe('the whole portfolio placed: after an activation (backfill), and again', () => {
  const waitPlaced = async (strategyId: string) => {
    for (let i = 0; i < 200; i++) {
      const r = await http('GET', `/v1/admin/strategies/${strategyId}/funnel`);
      if (r.json.placing?.complete) return r.json;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    throw new Error('placement did not finish');
  };

  it('accounts written without a placement are placed by the backfill; the funnel says when it is complete', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `STRAT-2${String(i).padStart(3, '0')}`);
    await Promise.all(ids.map((id, i) => put(id, i % 3 === 0 ? { monthlySpend: falling } : {})));
    const r = await ops('POST', '/v1/admin/strategies/placement');
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    const f = await waitPlaced('at-risk-retention');
    expect(f.placing.scanned).toBeGreaterThanOrEqual(ids.length);
    for (const s of ['at-risk-retention', 'savings-cross-sell', 'vip-service', 'early-collections'])
      expect(nonZero(await funnel(s)), s).toEqual(await recount(s));
    expect((await recount('savings-cross-sell')).OFFER_ON_CONTACT).toBeGreaterThanOrEqual(20);
  }, 60_000);

  it('a new version of a strategy, activated, moves its accounts without losing count', async () => {
    const active = (await http('GET', '/v1/admin/config')).json;
    const config = structuredClone(active.config);
    const s = config.strategies.find((x: Json) => x.strategyId === 'savings-cross-sell');
    const before = Object.values(await recount('savings-cross-sell')).reduce(
      (a: number, b) => a + (b as number),
      0,
    );
    s.version = 2;
    config.version = `${active.version}-sav2`;
    expect((await http('POST', '/v1/admin/config/versions', config)).status).toBe(201);
    // Four eyes: a second product owner approves it before it may be activated.
    const approver = localClient(() => stack, '', { roles: ['productOwner'], user: 'po.approver' }).http;
    expect((await approver('POST', `/v1/admin/config/versions/${config.version}/approval`)).status).toBe(200);
    const act = await http('POST', `/v1/admin/config/versions/${config.version}/activate`);
    expect(act.json.placement).toBe('started');
    await waitPlaced('savings-cross-sell');
    const f = await http('GET', '/v1/admin/strategies/savings-cross-sell/funnel');
    expect(f.json.version).toBe(2);
    const v2 = Object.fromEntries((f.json.stages as Json[]).map((x) => [x.stageId, x.accounts]));
    expect(nonZero(v2)).toEqual(await recount('savings-cross-sell'));
    expect(Object.values(v2).reduce((a: number, b) => a + (b as number), 0)).toBe(before);
    expect(before).toBeGreaterThan(10);
    // Version 1's counters are back to zero: every account moved, none lost, none counted twice.
    const { DynamoFunnelStore } = await import('../../shared/adapters/dynamo/funnel');
    const v1 = await new DynamoFunnelStore(stack.db, stack.env.COUNTERS_TABLE!).counts(
      'savings-cross-sell',
      1,
    );
    expect(nonZero(v1)).toEqual({});
  }, 60_000);
});

describe('a dry run of strategies over the portfolio, before activation', () => {
  it('the active version, simulated, holds what its funnels hold; nothing is written', async () => {
    const active = (await http('GET', '/v1/admin/config')).json;
    const before = await recount('savings-cross-sell');
    const r = await http('POST', '/v1/admin/strategies/simulation', { version: active.version, days: 10 });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json.sampled).toBeGreaterThan(50);
    for (const s of r.json.strategies as Json[]) {
      const f = await funnel(s.strategyId);
      for (const st of s.stages as Json[])
        expect(st.onActivation, `${s.strategyId}/${st.stageId}`).toBe(f[st.stageId]);
      expect(s.outbound.perDay).toHaveLength(10);
    }
    expect(await recount('savings-cross-sell')).toEqual(before);
  });

  it('a new strategy, simulated: who it would take in, and the outbound contacts it would start', async () => {
    const active = (await http('GET', '/v1/admin/config')).json;
    const config = structuredClone(active.config);
    config.version = 'dry-run-1';
    config.strategies.push({
      strategyId: 'everyone-call',
      version: 1,
      kind: 'TELEMARKETING',
      name: 'Everyone, a call after 3 days',
      active: true,
      segment: { expression: 'true' },
      stages: [
        { stageId: 'WAIT', name: 'wait', launch: 'true', scenario: { offers: { first: ['travel-card'] } } },
        {
          stageId: 'CALL',
          name: 'call',
          launch: 'daysInStage >= 3',
          scenario: { outbound: { channel: 'VOICE', purpose: 'test' } },
        },
      ],
    });
    const r = await http('POST', '/v1/admin/strategies/simulation', { config, sample: 40, days: 5 });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const s = (r.json.strategies as Json[]).find((x) => x.strategyId === 'everyone-call')!;
    expect(r.json.sampled).toBe(40);
    expect(s.stages.map((x: Json) => [x.stageId, x.onActivation, x.afterDays])).toEqual([
      ['WAIT', 40, 0],
      ['CALL', 0, 40],
    ]);
    // Day 3 after the activation: every account moves to the call.
    expect(s.outbound).toEqual({ onActivation: 0, perDay: [0, 0, 40, 0, 0] });
    // Not stored: the dry run wrote no version and activated nothing.
    expect((await http('GET', '/v1/admin/config')).json.version).toBe(active.version);
  });

  it('a body with both a version and a configuration, or a sample too large, is a 400 naming it', async () => {
    const both = await http('POST', '/v1/admin/strategies/simulation', { version: 'x', config: {} });
    expect(both.status).toBe(400);
    const big = await http('POST', '/v1/admin/strategies/simulation', { version: 'x', sample: 1e9 });
    expect(big.json.errors.map((e: Json) => e.path)).toContain('sample');
    expect((await http('POST', '/v1/admin/strategies/simulation', { version: 'no-such' })).status).toBe(404);
  });
});

describe('an import places the accounts it writes, in the same write', () => {
  const FIXTURE = resolve(import.meta.dirname, '../fixtures/import/accounts.jsonl');
  const RECORD = JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0]!);
  const record = (accountId: string, phone: string, over: Record<string, unknown> = {}) => ({
    ...RECORD,
    accountId,
    phones: [phone],
    ...over,
  });
  const importAs = localClient(() => stack, '', { roles: ['ops'] }).http;

  it('new accounts are placed as they are put; a newer record moves them; the funnel equals a recount', async () => {
    const before = await recount('early-collections');
    const missed = [...RECORD.payments.slice(0, 11), 'MISSED'];
    const r = await importAs('POST', '/v1/admin/accounts/import', {
      records: [
        record('IMPSTRAT-01', '+15555570001', { payments: missed, asOf: '2026-12-01T00:00:00Z' }),
        record('IMPSTRAT-02', '+15555570002', { asOf: '2026-12-01T00:00:00Z' }),
      ],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ imported: 2, rejected: 0 });
    expect(nonZero(await funnel('early-collections'))).toEqual(await recount('early-collections'));
    expect((await recount('early-collections')).REMIND ?? 0).toBe((before.REMIND ?? 0) + 1);
    // The newer record of the first has its payment made: it leaves collections with the import.
    const again = await importAs('POST', '/v1/admin/accounts/import', {
      records: [record('IMPSTRAT-01', '+15555570001', { asOf: '2026-12-02T00:00:00Z' })],
    });
    expect(again.json).toMatchObject({ imported: 1 });
    expect((await recount('early-collections')).REMIND ?? 0).toBe(before.REMIND ?? 0);
    expect(nonZero(await funnel('early-collections'))).toEqual(await recount('early-collections'));
    // The same record again: unchanged, nothing moves.
    const same = await importAs('POST', '/v1/admin/accounts/import', {
      records: [record('IMPSTRAT-01', '+15555570001', { asOf: '2026-12-02T00:00:00Z' })],
    });
    expect(same.json).toMatchObject({ unchanged: 1 });
    expect(nonZero(await funnel('early-collections'))).toEqual(await recount('early-collections'));
  });
});
