import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import type { Account } from '../../shared/schemas/account';
import { premiumAccount } from '../fakes/accounts';
import { localClient } from '../fakes/local-client';

/**
 * Strategies placing accounts as events change them, over the local stack's real admin API and
 * DynamoDB Local: the funnel endpoint against a recount of the accounts table, under redelivered and
 * concurrent events.
 */
let stack: LocalStack;
type Json = Record<string, any>;
const { http } = localClient(() => stack, '');
const ops = localClient(() => stack, '', { roles: ['ops'] }).http;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 0 });
});
afterAll(async () => {
  await stack?.stop();
});

/** Spend that fell to almost nothing in the last quarter, on a profitable account: at risk. */
const falling = Array(9).fill(5000).concat([200, 100, 50]);
async function put(id: string, over: Partial<Account> = {}) {
  await stack.db.send(
    new PutCommand({
      TableName: stack.env.ACCOUNTS_TABLE!,
      Item: premiumAccount({
        accountId: id,
        phone: `+1555556${id.slice(-4)}`,
        asOf: '2026-11-01T00:00:00.000Z',
        ...over,
      }),
    }),
  );
}
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
    const account = await http('POST', '/v1/admin/decisions/dry-run', {
      accountId: 'STRAT-0001',
      callType: 'CLOSE_ACCOUNT',
    });
    expect(account.status).toBe(200);
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
