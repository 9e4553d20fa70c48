import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEventsFile } from '../../infra/local/event';
import { importFile } from '../../infra/local/import';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { localClient } from '../fakes/local-client';

/** Accounts from a hand-written file, imported into the local stack and called at once. */
const FILE = resolve(import.meta.dirname, '../fixtures/import/accounts.jsonl');
let stack: LocalStack;
const inbox = mkdtempSync(join(tmpdir(), 'rd-inbox-'));
const inboxEvents: string[] = [];
beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    accounts: 0,
    inboxDir: inbox,
    onInbox: (key) => inboxEvents.push(key),
  });
});
afterAll(async () => stack?.stop());
const { http, call, account: get } = localClient(() => stack);

describe('account import (JSON Lines and CSV) into the local stack', () => {
  it('imports the good records, rejects the bad ones with line, path and reason, and refuses the stale one', async () => {
    const out = await importFile(FILE, stack.url);
    expect(out).toMatchObject({ read: 7, imported: 3, stale: 1, unchanged: 0, rejected: 3 });
    expect(out.rejects).toEqual([
      { line: 3, path: 'creditLimit', message: expect.any(String) },
      { line: 4, path: 'cardNumber', message: 'unknown field' },
      { line: 4, path: 'verification.dob', message: 'Invalid ISO date' },
      { line: 7, path: '(line)', message: expect.stringContaining('malformed JSON') },
    ]);
    expect(await get('IMP-000003')).toBeUndefined();
    expect((await get('IMP-000005'))?.creditLimit).toBe(15000);
  });

  it('normalises phones, coerces numbers given as strings, and stores no name, no clear factor', async () => {
    const a = await get('IMP-000001');
    expect(a?.phone).toBe('+15555550160');
    expect((await get('IMP-000002'))?.creditLimit).toBe(9000);
    const stored = JSON.stringify(
      (await stack.db.send(new ScanCommand({ TableName: stack.env.ACCOUNTS_TABLE! }))).Items,
    );
    for (const secret of ['Zoë', '李小龙', '1986-07-19', '"7312"', '"4242"', '"30301"', '4111111111111111'])
      expect(stored).not.toContain(secret);
  });

  it('re-importing the same file changes nothing', async () => {
    const before = await get('IMP-000001');
    const again = await importFile(FILE, stack.url);
    expect(again).toMatchObject({ imported: 0, unchanged: 3, stale: 1, rejected: 3 });
    expect(await get('IMP-000001')).toEqual(before);
  });

  it('an imported account can be called, verified and offered to at once', async () => {
    const c = await call('+15555550160');
    expect(c.status).toBe(201);
    const v = await http('POST', `/contacts/${c.json.contactId}/verification`, {
      last4: '7312',
      dob: '1986-07-19',
    });
    expect(v.json).toMatchObject({ verified: true, stage: 'OFFER' });
    const o = await http('GET', `/contacts/${c.json.contactId}/offers`);
    expect(o.status).toBe(200);
    expect(o.json.offers.length).toBeGreaterThan(0);
  });

  it('a call from the customer’s other number finds the same account', async () => {
    const c = await call('+15555550161', 'FEE_COMPLAINT');
    expect(c.status).toBe(201);
    const v = await http('POST', `/contacts/${c.json.contactId}/verification`, { last4: '7312' });
    // The caller's number matched the account: one knowledge factor is enough.
    expect(v.json).toMatchObject({ verified: true });
  });

  it('a newer record updates the account but keeps its verification counters and contact history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-import-'));
    const first = (await import('node:fs')).readFileSync(FILE, 'utf8').split('\n')[0]!;
    const rec = JSON.parse(first);
    // A wrong verification attempt first: one failure counted on the account.
    const c = await call('+15555550160', 'FEE_COMPLAINT');
    await http('POST', `/contacts/${c.json.contactId}/verification`, { last4: '0000', zip: '30301' });
    const before = await get('IMP-000001');
    expect(before?.verification.failures).toBe(1);
    writeFileSync(
      join(dir, 'newer.jsonl'),
      JSON.stringify({ ...rec, creditLimit: 20000, asOf: '2026-11-22T06:00:00Z' }) + '\n',
    );
    expect(await importFile(join(dir, 'newer.jsonl'), stack.url)).toMatchObject({ imported: 1 });
    const after = await get('IMP-000001');
    expect(after?.creditLimit).toBe(20000);
    expect(after?.verification.failures).toBe(1);
    expect(after?.recentContacts).toEqual(before?.recentContacts);
  });

  it('CSV with a header of dotted paths; an empty file imports nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-import-'));
    const rec = JSON.parse((await import('node:fs')).readFileSync(FILE, 'utf8').split('\n')[0]!);
    const flat: Record<string, string> = {};
    const walk = (v: unknown, p: string) => {
      if (Array.isArray(v) && ['phones', 'productsHeld', 'tags'].includes(p)) flat[p] = v.join(';');
      else if (v && typeof v === 'object')
        for (const [k, c] of Object.entries(v)) walk(c, p ? `${p}.${k}` : k);
      else flat[p] = String(v);
    };
    walk({ ...rec, accountId: 'IMP-CSV-01', phones: ['+15555550170'] }, '');
    const header = Object.keys(flat);
    const row = header
      .map((h) => (/[",]/.test(flat[h]!) ? `"${flat[h]!.replace(/"/g, '""')}"` : flat[h]))
      .join(',');
    const bad = header
      .map((h) => (h === 'accountId' ? 'IMP-CSV-02' : h === 'riskScore' ? '7' : flat[h]))
      .join(',');
    writeFileSync(join(dir, 'a.csv'), `${header.join(',')}\n${row}\n${bad}\n`);
    const out = await importFile(join(dir, 'a.csv'), stack.url);
    expect(out).toMatchObject({ imported: 1, rejected: 1 });
    expect(out.rejects[0]).toMatchObject({ line: 3, path: 'riskScore' });
    expect((await get('IMP-CSV-01'))?.phone).toBe('+15555550170');
    writeFileSync(join(dir, 'empty.jsonl'), '');
    expect(await importFile(join(dir, 'empty.jsonl'), stack.url)).toMatchObject({
      read: 0,
      imported: 0,
      rejected: 0,
    });
  });

  it('the inbox (the import bucket on one machine): a file put under incoming/ is imported, its report under reports/', async () => {
    const rec = JSON.parse(readFileSync(FILE, 'utf8').split('\n')[0]!);
    const lines = [
      JSON.stringify({ ...rec, accountId: 'INBOX-0001', phones: ['+15555550190'] }),
      JSON.stringify({ ...rec, accountId: 'INBOX-0002', phones: ['+15555550191'], riskScore: 2 }),
    ];
    mkdirSync(join(inbox, 'incoming', 'today'), { recursive: true });
    // Written aside and moved in, as a careful uploader would; the inbox also waits for a file to stop growing.
    writeFileSync(join(inbox, 'draft.jsonl'), `${lines.join('\n')}\n`);
    renameSync(join(inbox, 'draft.jsonl'), join(inbox, 'incoming', 'today', 'feed.jsonl'));
    const summaryFile = join(inbox, 'reports', 'today', 'feed.jsonl.summary.json');
    for (let i = 0; i < 150 && !existsSync(summaryFile); i++) await new Promise((ok) => setTimeout(ok, 100));
    expect(JSON.parse(readFileSync(summaryFile, 'utf8'))).toMatchObject({
      read: 2,
      imported: 1,
      rejected: 1,
    });
    expect(readFileSync(join(inbox, 'reports', 'today', 'feed.jsonl.rejects.jsonl'), 'utf8')).toContain(
      '"path":"riskScore"',
    );
    expect(inboxEvents).toEqual(['incoming/today/feed.jsonl']);
    const c = await call('+15555550190');
    const v = await http('POST', `/contacts/${c.json.contactId}/verification`, { last4: '7312' });
    expect(v.json).toMatchObject({ verified: true });
    // Not imported twice while it stays as it is.
    await new Promise((ok) => setTimeout(ok, 2500));
    expect(inboxEvents.length).toBe(1);
  });

  it('EventBridge PutEvents (the AWS SDK against the local endpoint): an Account Change reaches AccountEvents', async () => {
    const bus = new EventBridgeClient({
      endpoint: stack.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const entry = (detail: unknown, DetailType = 'Account Change') => ({
      Source: 'issuer.core',
      DetailType,
      Detail: typeof detail === 'string' ? detail : JSON.stringify(detail),
    });
    const out = await bus.send(
      new PutEventsCommand({
        Entries: [
          entry({
            type: 'PRODUCT_CHANGED',
            accountId: 'IMP-000005',
            asOf: '2026-11-22T07:00:00Z',
            product: {
              code: 'CLASSIC_CASH',
              name: 'Classic Cash',
              family: 'CASHBACK',
              annualFee: '0',
              apr: 0.2599,
              rewardsRate: 0.01,
            },
          }),
          entry('{"type":'),
          entry(
            { type: 'FRAUD_HOLD_SET', accountId: 'IMP-000005', asOf: '2026-11-22T07:00:00Z' },
            'Something Else',
          ),
        ],
      }),
    );
    bus.destroy();
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual(['ok', 'MalformedDetail', 'ok']);
    const a = await get('IMP-000005');
    expect(a?.product).toMatchObject({ code: 'CLASSIC_CASH', annualFee: 0 });
    // The event that matches no rule went nowhere.
    expect(a?.flags.fraudHold).toBe(false);
  });

  it('change events apply at once (the next call sees them), in order, under the asOf guard', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-events-'));
    const events = [
      { type: 'FRAUD_HOLD_SET', accountId: 'IMP-000002', asOf: '2026-11-23T09:00:00Z' },
      { type: 'PAYMENT_MISSED', accountId: 'IMP-000002', asOf: '2026-11-01T09:00:00Z' },
      { type: 'PAYMENT_MADE', accountId: 'NOPE-00001', asOf: '2026-11-23T10:00:00Z', status: 'FULL' },
      { type: 'PAYMENT_MADE', accountId: 'IMP-000002', asOf: '2026-11-23T10:00:00Z', status: 'SOMETIMES' },
    ];
    writeFileSync(join(dir, 'events.jsonl'), `${events.map((e) => JSON.stringify(e)).join('\n')}\n{"type":`);
    const results = await applyEventsFile(join(dir, 'events.jsonl'), stack.url);
    expect(results.map((r) => r.result)).toEqual([
      'applied',
      'stale',
      'unknown-account',
      'rejected',
      'rejected',
    ]);
    expect(JSON.stringify(results[3]!.errors)).toContain('status');
    const a = await get('IMP-000002');
    expect(a?.flags.fraudHold).toBe(true);
    expect(a?.payments.at(-1)).toBe('FULL');
    // The next call from that customer goes to the fraud team.
    const c = await call('+15555550162');
    expect(c.json).toMatchObject({ stage: 'ROUTED', route: { queue: 'FRAUD' } });
    // A snapshot produced before the event cannot undo it.
    const older = await importFile(FILE, stack.url);
    expect(older.stale).toBeGreaterThanOrEqual(2);
    expect((await get('IMP-000002'))?.flags.fraudHold).toBe(true);
  });
});
