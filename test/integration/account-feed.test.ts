import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { makeHandler as eventsHandler } from '../../functions/account-events';
import type { makeHandler as importHandler } from '../../functions/import-accounts';
import { FolderObjectStore, s3Event } from '../../infra/local/folder-bucket';
import { fakeContext } from '../../infra/local/runner';
import type { LocalStack } from '../../infra/local/stack';
import { DynamoAccountStore, documentClient } from '../../shared/adapters/dynamo';
import { ACCOUNT_CHANGE_DETAIL_TYPE } from '../../shared/application/feed';
import type { AccountImportStore, ObjectStore } from '../../shared/ports';
import { MAX_IMPORT_BATCH } from '../../shared/schemas/import';
import { localClient } from '../fakes/local-client';
import { captureLogs } from '../fakes/logs';

/**
 * The AWS account feed with its real handlers on DynamoDB Local: ImportAccounts (S3 notification →
 * import → report) with a folder standing in for the bucket, and AccountEvents (EventBridge "Account
 * Change" events). Every log line is captured and checked for clear factors and names.
 */
const FIXTURE = resolve(import.meta.dirname, '../fixtures/import/accounts.jsonl');
const BUCKET = 'rd-import-bucket';
const CLEAR = ['7312', '30301', '1986-07-19', '4242', '0042', '02139', '1990-01-31', 'Zoë', '李小龙'];

let stack: LocalStack;
let bucket: FolderObjectStore;
let runImport: ReturnType<typeof importHandler>;
let runEvent: ReturnType<typeof eventsHandler>;
let store: DynamoAccountStore;
let logs: ReturnType<typeof captureLogs> | undefined;
const logLines = (): string[] => logs?.lines ?? [];

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  logs = captureLogs();
  const { startLocalStack } = await import('../../infra/local/stack');
  stack = await startLocalStack({ port: 0, accounts: 0 });
  bucket = new FolderObjectStore(mkdtempSync(join(tmpdir(), 'rd-bucket-')));
  store = new DynamoAccountStore(documentClient(), stack.env.ACCOUNTS_TABLE!);
  const { pepper } = await import('../../shared/adapters/pepper');
  runImport = (await import('../../functions/import-accounts')).makeHandler({
    bucket: BUCKET,
    objects: bucket,
    store,
    pepper,
  });
  runEvent = (await import('../../functions/account-events')).makeHandler({ store });
});
afterAll(async () => {
  logs?.restore();
  await stack?.stop();
});

const ctx = () => fakeContext('import-accounts', 900_000);
const drop = (key: string, from: string) => {
  mkdirSync(join(bucket.root, key, '..'), { recursive: true });
  copyFileSync(from, join(bucket.root, key));
};
const { http, call, account: get } = localClient(() => stack);
const change = (detail: unknown, id: string = crypto.randomUUID()) => ({
  version: '0',
  id,
  'detail-type': ACCOUNT_CHANGE_DETAIL_TYPE,
  source: 'issuer.core-banking',
  account: '123456789012',
  time: '2026-11-23T09:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

describe('ImportAccounts: a new object in the bucket', () => {
  it('is imported with the admin API’s rules, and its report is written under reports/', async () => {
    drop('incoming/2026-11-23/core accounts.jsonl', FIXTURE);
    const [out] = await runImport(s3Event(BUCKET, 'incoming/2026-11-23/core accounts.jsonl'), ctx());
    expect(out?.summary).toMatchObject({
      source: 'incoming/2026-11-23/core accounts.jsonl',
      format: 'jsonl',
      read: 7,
      imported: 3,
      stale: 1,
      unchanged: 0,
      rejected: 3,
      rejectsKey: 'reports/2026-11-23/core accounts.jsonl.rejects.jsonl',
    });
    const rejects = readFileSync(join(bucket.root, out!.summary!.rejectsKey!), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects.map((r) => `${r.line} ${r.path}`)).toEqual([
      '3 creditLimit',
      '4 cardNumber',
      '4 verification.dob',
      '7 (line)',
    ]);
    const summary = JSON.parse(
      readFileSync(join(bucket.root, 'reports/2026-11-23/core accounts.jsonl.summary.json'), 'utf8'),
    );
    expect(summary).toMatchObject({ read: 7, imported: 3 });
    // The reports hold lines, paths and reasons: no value of the bad records.
    const reports = readFileSync(join(bucket.root, out!.summary!.rejectsKey!), 'utf8');
    for (const v of [...CLEAR, '4111111111111111', '1986-13-45']) expect(reports).not.toContain(v);
    expect((await get('IMP-000001'))?.phone).toBe('+15555550160');
  });

  it('the imported account verifies against the same pepper the caller check reads', async () => {
    const c = await call('+15555550160');
    const v = await http('POST', `/contacts/${c.json.contactId}/verification`, {
      last4: '7312',
      dob: '1986-07-19',
    });
    expect(v.json).toMatchObject({ verified: true, stage: 'OFFER' });
  });

  it('a second delivery of the same notification changes nothing', async () => {
    const before = await get('IMP-000001');
    const [out] = await runImport(s3Event(BUCKET, 'incoming/2026-11-23/core accounts.jsonl'), ctx());
    expect(out?.summary).toMatchObject({ imported: 0, unchanged: 3, stale: 1, rejected: 3 });
    expect(await get('IMP-000001')).toEqual(before);
  });

  it('objects outside incoming/ or of another bucket are skipped; a malformed notification is dropped', async () => {
    expect(await runImport(s3Event(BUCKET, 'reports/x.jsonl'), ctx())).toEqual([
      { key: 'reports/x.jsonl', skipped: expect.any(String) },
    ]);
    expect(await runImport(s3Event('someone-elses', 'incoming/x.jsonl'), ctx())).toEqual([
      { key: 'incoming/x.jsonl', skipped: expect.any(String) },
    ]);
    expect(await runImport({ Records: [{ eventName: 'ObjectRemoved:Delete' }] }, ctx())).toEqual([]);
    expect(await runImport('not an event', ctx())).toEqual([]);
    const refused = logLines().filter((l) => l.includes('import notification refused'));
    expect(refused.length).toBe(2);
    expect(refused[0]).toContain('Records.0.s3');
  });

  it('a storage failure midway is thrown (Lambda retries the object); the retry completes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-feed-'));
    const base = JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0]!);
    const lines = Array.from({ length: 450 }, (_, i) =>
      JSON.stringify({
        ...base,
        accountId: `FEED-${String(i).padStart(6, '0')}`,
        phones: [`+1555777${String(i).padStart(4, '0')}`],
      }),
    );
    writeFileSync(join(dir, 'big.jsonl'), `${lines.join('\n')}\n`);
    drop('incoming/big.jsonl', join(dir, 'big.jsonl'));
    let writes = 0;
    const flaky: AccountImportStore = {
      upsert: async (a) => {
        if (++writes === 300)
          throw Object.assign(new Error('Throughput exceeds the table'), { name: 'ThrottlingException' });
        return store.upsert(a);
      },
      applyEvent: (e) => store.applyEvent(e),
    };
    const { makeHandler } = await import('../../functions/import-accounts');
    const { pepper } = await import('../../shared/adapters/pepper');
    const failing = makeHandler({ bucket: BUCKET, objects: bucket, store: flaky, pepper });
    await expect(failing(s3Event(BUCKET, 'incoming/big.jsonl'), ctx())).rejects.toThrow(/Throughput/);
    const [out] = await runImport(s3Event(BUCKET, 'incoming/big.jsonl'), ctx());
    expect(out?.summary).toMatchObject({ read: 450, rejected: 0 });
    expect(out!.summary!.imported + out!.summary!.unchanged).toBe(450);
    expect(out!.summary!.unchanged).toBeGreaterThan(0);
    expect(await get('FEED-000449')).toBeDefined();
  });
});

describe('ImportAccounts: a 50 MB file', () => {
  it('is streamed: exact counts, every bad line reported by number, never more than a few batches ahead of the writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-50mb-'));
    const base = JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0]!);
    const names = ['Zoë Ångström-Ñúñez', '李小龙', 'Siobhán Ó Briain', 'Ørjan Sæther', 'Łucja Żółć'];
    const bad = new Set<number>();
    const chunks: string[] = [];
    let bytes = 0;
    let line = 0;
    while (bytes < 50 * 1024 * 1024) {
      line++;
      const rec = {
        ...base,
        accountId: `BIG-${String(line).padStart(7, '0')}`,
        customerId: `CUS-BIG-${line}`,
        name: names[line % names.length],
        phones: [`+1646${String(line).padStart(7, '0')}`],
        creditLimit: line % 2 ? 15000 : '15000.00',
        asOf: '2026-11-21T06:00:00Z',
      };
      let text = JSON.stringify(rec);
      if (line % 4999 === 0) {
        bad.add(line);
        text = JSON.stringify({ ...rec, riskScore: 7 });
      }
      chunks.push(text);
      bytes += Buffer.byteLength(text) + 1;
    }
    // A truncated last line, as a transfer cut short would leave it.
    chunks.push(chunks.at(-1)!.slice(0, 300));
    bad.add(line + 1);
    writeFileSync(join(dir, 'big.jsonl'), `${chunks.join('\n')}`);
    chunks.length = 0;
    drop('incoming/50mb.jsonl', join(dir, 'big.jsonl'));
    // Back-pressure, counted: lines pulled from the object against accounts written. A stream stays
    // a few batches ahead (4 batches of 200 in flight, one being filled); reading ahead of the
    // writes (a file held whole) would show as a lead of thousands.
    let pulled = 0;
    let written = 0;
    let lead = 0;
    const objects: ObjectStore = {
      async *lines(key) {
        for await (const l of bucket.lines(key)) {
          pulled++;
          lead = Math.max(lead, pulled - written);
          yield l;
        }
      },
      put: (key, body, type) => bucket.put(key, body, type),
    };
    const counting: AccountImportStore = {
      upsert: async (a) => {
        const r = await store.upsert(a);
        written++;
        return r;
      },
      applyEvent: (e) => store.applyEvent(e),
    };
    const { makeHandler } = await import('../../functions/import-accounts');
    const { pepper } = await import('../../shared/adapters/pepper');
    const run = makeHandler({ bucket: BUCKET, objects, store: counting, pepper });
    const t0 = performance.now();
    const [out] = await run(s3Event(BUCKET, 'incoming/50mb.jsonl'), ctx());
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `50 MB file: ${line + 1} lines in ${secs.toFixed(1)} s (${Math.round((line + 1) / secs)} records/s); at most ${lead} lines ahead of the writes`,
    );
    expect(out?.summary).toMatchObject({
      read: line + 1,
      imported: line + 1 - bad.size,
      rejected: bad.size,
      unchanged: 0,
      stale: 0,
    });
    const rejects = readFileSync(join(bucket.root, out!.summary!.rejectsKey!), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { line: number; path: string });
    expect(rejects.map((r) => r.line)).toEqual([...bad]);
    expect(rejects.at(-1)?.path).toBe('(line)');
    expect(rejects[0]?.path).toBe('riskScore');
    expect((await get(`BIG-${String(line).padStart(7, '0')}`))?.creditLimit).toBe(15000);
    expect(lead).toBeLessThanOrEqual(5 * MAX_IMPORT_BATCH + bad.size);
  }, 600_000);
});

describe('AccountEvents: an "Account Change" event from the bus', () => {
  it('is applied at once: the next call from that customer is routed to the fraud team', async () => {
    const r = await runEvent(
      change({ type: 'CARD_LOST_OR_STOLEN', accountId: 'IMP-000005', asOf: '2026-11-23T08:00:00Z' }),
      fakeContext('account-events', 30_000),
    );
    expect(r).toEqual({ result: 'applied' });
    const phone = (await get('IMP-000005'))?.phone as string;
    const c = await call(phone);
    expect(c.json).toMatchObject({ stage: 'ROUTED' });
  });

  it('a redelivered or older event is stale; an unknown account is said so', async () => {
    const e = change(
      { type: 'FRAUD_HOLD_SET', accountId: 'IMP-000001', asOf: '2026-11-23T10:00:00Z' },
      'evt-1',
    );
    expect(await runEvent(e, fakeContext('account-events', 30_000))).toEqual({ result: 'applied' });
    expect(await runEvent(e, fakeContext('account-events', 30_000))).toEqual({ result: 'stale' });
    expect(
      await runEvent(
        change({ type: 'FRAUD_HOLD_CLEARED', accountId: 'IMP-000001', asOf: '2026-11-01T10:00:00Z' }),
        fakeContext('account-events', 30_000),
      ),
    ).toEqual({ result: 'stale' });
    expect((await get('IMP-000001'))?.flags.fraudHold).toBe(true);
    expect(
      await runEvent(
        change({ type: 'PAYMENT_MISSED', accountId: 'NOPE-000001', asOf: '2026-11-23T10:00:00Z' }),
        fakeContext('account-events', 30_000),
      ),
    ).toEqual({ result: 'unknown-account' });
  });

  it('a bad event is refused with its field paths, changes nothing, and is not retried', async () => {
    const before = await get('IMP-000002');
    const r = await runEvent(
      change({
        type: 'PAYMENT_MADE',
        accountId: 'IMP-000002',
        asOf: '2026-11-23T11:00:00Z',
        status: 'SOMETIMES',
      }),
      fakeContext('account-events', 30_000),
    );
    expect(r).toMatchObject({ result: 'rejected', errors: [{ path: 'status' }] });
    expect(
      await runEvent(
        { 'detail-type': 'Something Else', id: 'x', detail: {} },
        fakeContext('account-events', 30_000),
      ),
    ).toMatchObject({ result: 'rejected', errors: [{ path: 'detail-type' }] });
    expect(await get('IMP-000002')).toEqual(before);
  });

  it('the admin API path (npm run import, npm run event) is logged in the same lines', async () => {
    const { importFile } = await import('../../infra/local/import');
    expect(await importFile(FIXTURE, stack.url)).toMatchObject({ read: 7, rejected: 3 });
    const r = await http('POST', '/admin/accounts/events', {
      events: [
        { type: 'PAYMENT_MADE', accountId: 'IMP-000002', asOf: '2026-11-23T12:00:00Z', status: 'FULL' },
        { type: 'PAYMENT_MADE', accountId: 'IMP-000002', asOf: '2026-11-23T12:00:00Z', status: '7312' },
      ],
    });
    expect(r.json.results.map((x: { result: string }) => x.result)).toEqual(['applied', 'rejected']);
    expect(logLines().some((l) => l.includes('/v1/admin/accounts/import'))).toBe(true);
  });

  it('no log line of the feed holds a clear factor, a name or a phone number', () => {
    expect(logLines().some((l) => l.includes('"import done"'))).toBe(true);
    expect(logLines().some((l) => l.includes('"account event"'))).toBe(true);
    expect(logLines().some((l) => l.includes('"account event refused"'))).toBe(true);
    const all = logLines().join('\n');
    // As a value of its own, not inside a request id or a hash: a UUID's hex groups are joined by
    // dashes (one held 7312, another "-4242-", the test PIN), so a dash is no boundary either.
    const alone = (v: string) =>
      new RegExp(`(?<![0-9A-Za-z-])${v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![0-9A-Za-z-])`);
    for (const v of [...CLEAR, '+15555550160', '555-0160']) expect(all).not.toMatch(alone(v));
  });
});
