import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importHandler } from '../../infra/local/runner';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { FACTORS, premiumAccount, TEST_PEPPER } from '../fakes/accounts';
import { localClient } from '../fakes/local-client';

/**
 * The KPI report, exact: calls with known endings are played over HTTP (retried and concurrent
 * answers among them), the offer log's stream feeds the aggregates as Lambda's mapping would, and
 * every count and sum of the report is checked against what the calls did, computed here on its own.
 */
let stack: LocalStack;
const ROOT = resolve(import.meta.dirname, '../..');
type Json = Record<string, any>;
const { http } = localClient(() => stack, '');
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  const pepperFile = join(mkdtempSync(join(tmpdir(), 'rd-pepper-')), 'pepper');
  writeFileSync(pepperFile, `${TEST_PEPPER}\n`, { mode: 0o600 });
  stack = await startLocalStack({ port: 0, accounts: 0, pepperFile });
});
afterAll(async () => {
  await stack?.stop();
});

/** What the client saw of one call: the offers shown (with their economics) and its answers. */
interface Played {
  closing: boolean;
  shown: Map<string, { kind: string; cost: number; customerValue: number }>;
  accepted?: string;
  declines: number;
}
const played: Played[] = [];

let n = 0;
async function call(callType: string, answers: ('accept' | 'decline')[], how?: 'retried' | 'concurrent') {
  const i = ++n;
  const phone = `+155555503${String(i).padStart(2, '0')}`;
  await stack.db.send(
    new PutCommand({
      TableName: stack.env.ACCOUNTS_TABLE!,
      Item: premiumAccount({ accountId: `KPI-ACCT-${i}`, phone }),
    }),
  );
  const c = await http('POST', '/v1/contacts', { channel: 'agent', callType, callerPhone: phone });
  expect(c.status, JSON.stringify(c.json)).toBe(201);
  const id = c.json.contactId as string;
  const v = await http('POST', `/v1/contacts/${id}/verification`, { last4: FACTORS.last4, zip: FACTORS.zip });
  expect(v.json.verified).toBe(true);
  const p: Played = { closing: callType === 'CLOSE_ACCOUNT', shown: new Map(), declines: 0 };
  played.push(p);
  let offers = (await http('GET', `/v1/contacts/${id}/offers`)).json.offers as Json[];
  for (const a of answers) {
    for (const o of offers)
      p.shown.set(o.offerId, {
        kind: o.kind,
        cost: o.economics.cost,
        customerValue: o.economics.customerValue,
      });
    const o = offers[0];
    if (!o) break;
    const body = { offerId: o.offerId, response: a === 'accept' ? 'ACCEPTED' : 'DECLINED' };
    let r: Awaited<ReturnType<typeof http>>;
    if (how === 'concurrent') {
      const rs = await Promise.all(
        Array.from({ length: 4 }, () => http('POST', `/v1/contacts/${id}/responses`, body)),
      );
      r = rs.find((x) => x.status === 200)!;
      for (const x of rs) expect([200, 409]).toContain(x.status);
    } else {
      const key = { 'Idempotency-Key': `kpi-${i}-${o.offerId}` };
      r = await http('POST', `/v1/contacts/${id}/responses`, body, key);
      if (how === 'retried') {
        // The same answer (status and body); headers such as Date may differ by a second.
        const again = await http('POST', `/v1/contacts/${id}/responses`, body, key);
        expect({ status: again.status, json: again.json }).toEqual({ status: r.status, json: r.json });
      }
    }
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    if (a === 'accept') p.accepted = o.offerId;
    else p.declines++;
    offers = r.json.offers ?? [];
  }
  for (const o of offers)
    p.shown.set(o.offerId, {
      kind: o.kind,
      cost: o.economics.cost,
      customerValue: o.economics.customerValue,
    });
  return id;
}

const cents = (x: number) => Math.round(x * 100);
/** The report's figures as the calls played them, computed without the report's code. */
function expected(of: Played[]) {
  let spend = 0;
  let kept = 0;
  let sold = 0;
  for (const p of of) {
    if (!p.accepted) continue;
    const o = p.shown.get(p.accepted)!;
    spend += cents(o.cost);
    if (o.kind === 'RETENTION') kept += cents(o.customerValue);
    else sold += cents(o.customerValue);
  }
  const accepted = of.filter((p) => p.accepted);
  return {
    contacts: of.length,
    closingContacts: of.filter((p) => p.closing).length,
    saves: accepted.filter((p) => p.closing && p.shown.get(p.accepted!)!.kind === 'RETENTION').length,
    presentations: of.reduce((s, p) => s + p.shown.size, 0),
    accepts: accepted.length,
    declines: of.reduce((s, p) => s + p.declines, 0),
    crossSells: accepted.filter((p) => p.shown.get(p.accepted!)!.kind === 'CROSS_SELL').length,
    incentiveSpend: spend / 100,
    valueKept: kept / 100,
    crossSellValue: sold / 100,
    netValue: (kept + sold - spend) / 100,
  };
}

const report = async (query: string) => {
  await stack.streams.drain();
  return http('GET', `/v1/admin/reports/kpis?${query}`);
};

describe('the KPI report is exact', () => {
  beforeAll(async () => {
    await call('CLOSE_ACCOUNT', ['accept']);
    await call('CLOSE_ACCOUNT', ['decline', 'accept'], 'retried');
    await call('CLOSE_ACCOUNT', ['accept'], 'concurrent');
    await call('CLOSE_ACCOUNT', Array(12).fill('decline'));
    await call('FEE_COMPLAINT', ['accept']);
    await call('FEE_COMPLAINT', ['decline', 'decline', 'decline']);
    // Two calls at once, each answered twice at once.
    await Promise.all([call('CLOSE_ACCOUNT', ['accept'], 'concurrent'), call('CLOSE_ACCOUNT', ['decline'])]);
  }, 120_000);

  it('totals: every count and sum', async () => {
    const r = await report(`from=${today}&to=${today}`);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const e = expected(played);
    expect(e.accepts).toBeGreaterThanOrEqual(4);
    expect(e.saves).toBeGreaterThanOrEqual(3);
    expect(r.json.totals).toMatchObject(e);
    expect(r.json.totals.saveRate).toBeCloseTo(e.saves / e.closingContacts, 12);
    expect(r.json.totals.acceptanceRate).toBeCloseTo(e.accepts / e.presentations, 12);
    expect(r.json).toMatchObject({ from: today, to: today, groupBy: [] });
  });

  it('by offer: each offer its presentations, accepts and money', async () => {
    const r = await report(`from=${today}&to=${today}&groupBy=offer`);
    expect(r.status).toBe(200);
    const ids = new Set(played.flatMap((p) => [...p.shown.keys()]));
    for (const id of ids) {
      const with_ = played.filter((p) => p.shown.has(id));
      const row = r.json.rows.find((x: Json) => x.key.offer === id);
      const took = with_.filter((p) => p.accepted === id);
      const o = with_[0]!.shown.get(id)!;
      expect(row, id).toMatchObject({
        contacts: with_.length,
        presentations: with_.length,
        accepts: took.length,
        incentiveSpend: (took.length * cents(o.cost)) / 100,
      });
    }
    // The contact-level row (no offer) holds the contacts; the rows add up to the totals.
    const none = r.json.rows.find((x: Json) => x.key.offer === '-');
    expect(none.contacts).toBe(played.length);
    expect(r.json.rows.reduce((s: number, x: Json) => s + x.accepts, 0)).toBe(expected(played).accepts);
  });

  it('by call type and policy: each group its own figures; the lift names its method', async () => {
    const r = await report(`from=${today}&to=${today}&groupBy=callType,channel`);
    expect(r.status).toBe(200);
    const close = r.json.rows.find((x: Json) => x.key.callType === 'CLOSE_ACCOUNT');
    expect(close).toMatchObject({
      key: { callType: 'CLOSE_ACCOUNT', channel: 'agent' },
      ...expected(played.filter((p) => p.closing)),
    });
    const fee = r.json.rows.find((x: Json) => x.key.callType === 'FEE_COMPLAINT');
    expect(fee).toMatchObject({ ...expected(played.filter((p) => !p.closing)), saves: 0, saveRate: null });
    const byPolicy = await report(`from=${today}&to=${today}&groupBy=policy`);
    const sum = byPolicy.json.rows.reduce((s: number, x: Json) => s + x.contacts, 0);
    expect(sum).toBe(played.length);
    expect(byPolicy.json.lift.acceptance.method).toMatch(/Newcombe/);
    expect(byPolicy.json.lift.netValuePerContact.method).toMatch(/Welch/);
    const l = byPolicy.json.lift;
    expect(l.learning.contacts + l.control.contacts).toBe(
      byPolicy.json.rows
        .filter((x: Json) => x.key.policy !== '-')
        .reduce((s: number, x: Json) => s + x.contacts, 0),
    );
  });

  it('npm run report prints the same figures as a table; a bad parameter exits 1 naming it', async () => {
    await stack.streams.drain();
    const token = await stack.issuer.sign({ roles: ['ops'], user: 'ops-cli' });
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((ok) => {
        const p = spawn(
          process.execPath,
          [
            resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'),
            'infra/local/report.ts',
            '--url',
            stack.url,
            '--token',
            token,
            ...args,
          ],
          { cwd: ROOT },
        );
        let out = '';
        let err = '';
        p.stdout.on('data', (d) => (out += d));
        p.stderr.on('data', (d) => (err += d));
        p.on('close', (code) => ok({ code, out, err }));
      });
    const e = expected(played);
    const table = await run('--from', today, '--to', today, '--group-by', 'callType');
    expect(table.code, table.err).toBe(0);
    const total = table.out.split('\n').find((l) => l.startsWith('total'))!;
    const money = (x: number) =>
      x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    expect(total.split(/\s{2,}/)).toEqual([
      'total',
      String(e.contacts),
      String(e.closingContacts),
      String(e.saves),
      `${((e.saves / e.closingContacts) * 100).toFixed(1)} %`,
      String(e.presentations),
      String(e.accepts),
      `${((e.accepts / e.presentations) * 100).toFixed(1)} %`,
      money(e.incentiveSpend),
      money(e.valueKept),
      money(e.crossSellValue),
      money(e.netValue),
    ]);
    expect(table.out).toMatch(/^CLOSE_ACCOUNT\s/m);
    expect(table.out).toMatch(/Newcombe/);
    const bad = await run('--group-by', 'offers');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/400.*\n\s+query\.groupBy: unknown key "offers"/);
  });

  it('a day with no contact reports zeros, not an error', async () => {
    const r = await report('from=2020-01-01&to=2020-01-31&groupBy=day');
    expect(r.status).toBe(200);
    expect(r.json.rows).toEqual([]);
    expect(r.json.totals).toMatchObject({ contacts: 0, saves: 0, saveRate: null, acceptanceRate: null });
  });

  it('the stream handed over again (whole, and twice at once) changes no figure', async () => {
    const before = (await report(`from=${today}&to=${today}&groupBy=offer`)).json;
    const local = {
      endpoint: stack.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    const db = new DynamoDBClient(local);
    const streams = new DynamoDBStreamsClient(local);
    try {
      const arn = (await db.send(new DescribeTableCommand({ TableName: stack.env.OFFER_LOG_TABLE! }))).Table!
        .LatestStreamArn!;
      const shards = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription!
        .Shards!;
      const handler = await importHandler('aggregate-kpis');
      let redelivered = 0;
      for (const s of shards) {
        let it = (
          await streams.send(
            new GetShardIteratorCommand({
              StreamArn: arn,
              ShardId: s.ShardId!,
              ShardIteratorType: 'TRIM_HORIZON',
            }),
          )
        ).ShardIterator;
        const records: _Record[] = [];
        for (let k = 0; it && k < 20; k++) {
          const r = await streams.send(new GetRecordsCommand({ ShardIterator: it }));
          records.push(...(r.Records ?? []));
          if ((r.Records ?? []).length === 0) break;
          it = r.NextShardIterator;
        }
        const event = { Records: records, shardId: s.ShardId, state: {} };
        redelivered += records.length;
        await handler(JSON.parse(JSON.stringify(event)), {} as never);
        await Promise.all([handler(event, {} as never), handler(event, {} as never)]);
      }
      expect(redelivered).toBeGreaterThan(played.length);
      // A batch without its shard id (the mapping lost its tumbling window) is refused, and counts nothing.
      await expect(handler({ Records: [] }, {} as never)).rejects.toThrow(/shardId/);
    } finally {
      db.destroy();
      streams.destroy();
    }
    const after = (await report(`from=${today}&to=${today}&groupBy=offer`)).json;
    expect(after).toEqual(before);
  });

  it('the aggregates hold figures only: no account, contact or phone in the table', async () => {
    const items = (await stack.db.send(new ScanCommand({ TableName: stack.env.KPI_TABLE! }))).Items ?? [];
    expect(items.length).toBeGreaterThan(0);
    const text = JSON.stringify(items);
    expect(text).not.toMatch(/KPI-ACCT|\+1555|contactId/);
  });
});

describe('bad report queries are a 400 naming the parameter, and only the right roles may ask', () => {
  it.each([
    ['groupBy=offer,bogus', 'query.groupBy', /unknown key "bogus"/],
    ['groupBy=offer,offer', 'query.groupBy', /twice/],
    ['groupBy=day,offer,channel,policy', 'query.groupBy', /at most 3/],
    ['from=2026-03-02&to=2026-03-01', 'query.from', /after/],
    ['from=2024-01-01&to=2025-06-01', 'query.to', /over 366 days/],
    ['from=2026-02-30', 'query.from', /calendar date/],
    ['from=yesterday', 'query.from', /calendar date/],
    ['to=2026-01-01T00:00:00Z', 'query.to', /calendar date/],
    ['from=2026-01-01&from=2026-01-02', 'query.from', /more than once/],
    ['group=offer', 'query.group', /unknown field/],
    ['__proto__=1', 'query.__proto__', /unknown field/],
  ])('%s', async (q, path, message) => {
    const r = await http('GET', `/v1/admin/reports/kpis?${q}`);
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.type).toBe('application/problem+json');
    const err = (r.json.errors as Json[]).find((x) => x.path === path);
    expect(err, JSON.stringify(r.json.errors)).toBeDefined();
    expect(err!.message).toMatch(message);
  });

  it('the desk may not read it; ops and the product owner may', async () => {
    const as = (roles: any) => localClient(() => stack, '', { roles }).http;
    expect((await as(['supervisor'])('GET', '/v1/admin/reports/kpis')).status).toBe(403);
    expect((await as(['ops'])('GET', '/v1/admin/reports/kpis')).status).toBe(200);
    expect((await as(['productOwner'])('GET', '/v1/admin/reports/kpis?groupBy=day')).status).toBe(200);
  });
});
