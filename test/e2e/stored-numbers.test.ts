import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { FolderObjectStore } from '../../infra/local/folder-bucket';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { DynamoAccountStore, documentClient } from '../../shared/adapters/dynamo';
import { importObject } from '../../shared/application/feed';
import { DYNAMO_NUMBER_MESSAGE } from '../../shared/schemas/account';
import { SALT, TEST_PEPPER } from '../fakes/accounts';
import { localClient } from '../fakes/local-client';

/**
 * Numbers DynamoDB cannot store (issue 9, finding 8), against the local stack and DynamoDB Local:
 * a record holding one is rejected on its own, with its line and path, and the batch's other
 * records are written (the admin API and an import file); a configuration holding one is a 400
 * naming the path, and no version is created. Before the fix, both answered 503 after validation.
 */
const FIXTURE = resolve(import.meta.dirname, '../fixtures/import/accounts.jsonl');
const RECORD = JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0]!);
const record = (accountId: string, over: Record<string, unknown> = {}) => ({ ...RECORD, accountId, ...over });

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 0 });
});
afterAll(async () => stack?.stop());
const { http, account: get } = localClient(() => stack);

describe('an import batch with numbers DynamoDB cannot store', () => {
  it('the admin API rejects exactly those records, by line and path, and imports the others', async () => {
    const r = await http('POST', '/admin/accounts/import', {
      firstLine: 10,
      records: [
        record('NUM-API-01'),
        record('NUM-API-02', { creditLimit: 1e200 }),
        record('NUM-API-03'),
        record('NUM-API-04', { riskScore: '1e-200' }),
        record('NUM-API-05', { monthlySpend: [...RECORD.monthlySpend.slice(1), -1e-200] }),
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ read: 5, imported: 2, rejected: 3 });
    expect(r.json.rejects).toEqual([
      { line: 11, path: 'creditLimit', message: expect.stringContaining('DynamoDB') },
      { line: 13, path: 'riskScore', message: DYNAMO_NUMBER_MESSAGE },
      { line: 14, path: 'monthlySpend.11', message: DYNAMO_NUMBER_MESSAGE },
    ]);
    expect((await get('NUM-API-01'))?.creditLimit).toBe(RECORD.creditLimit);
    expect(await get('NUM-API-03')).toBeDefined();
    for (const id of ['NUM-API-02', 'NUM-API-04', 'NUM-API-05']) expect(await get(id)).toBeUndefined();
  });

  it.each([
    {
      format: 'jsonl',
      text: [
        JSON.stringify(record('NUM-FILE-J1')),
        JSON.stringify(record('NUM-FILE-J2', { balance: -1e200 })),
        JSON.stringify(record('NUM-FILE-J3')),
      ].join('\n'),
      bad: { line: 2, path: 'balance' },
    },
    {
      format: 'csv',
      text: ['accountId,balance', 'NUM-FILE-C1,1', 'NUM-FILE-C2,1e-200', 'NUM-FILE-C3,2'].join('\n'),
      bad: { line: 3, path: 'balance' },
    },
  ])(
    'an import file ($format, as ImportAccounts reads it) rejects that line and imports the others',
    async ({ format, text, bad }) => {
      const root = mkdtempSync(join(tmpdir(), 'rd-numbers-'));
      const key = `incoming/numbers.${format}`;
      mkdirSync(join(root, 'incoming'));
      // CSV rows carry only the account id and balance here: the rest comes from the fixture record.
      const body = format === 'csv' ? csvOf(text.split('\n').map((l) => l.split(','))) : `${text}\n`;
      writeFileSync(join(root, key), body);
      const summary = await importObject(key, {
        objects: new FolderObjectStore(root),
        importer: {
          store: new DynamoAccountStore(documentClient(), stack.env.ACCOUNTS_TABLE!),
          salt: () => SALT,
          pepper: TEST_PEPPER,
        },
        now: () => new Date().toISOString(),
      });
      expect(summary).toMatchObject({ read: 3, imported: 2, rejected: 1 });
      const rejects = readFileSync(join(root, summary.rejectsKey!), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(rejects).toEqual([{ ...bad, message: expect.stringContaining('DynamoDB') }]);
      const ids = text.match(/NUM-FILE-[JC]\d/g)!;
      expect(await get(ids[0]!)).toBeDefined();
      expect(await get(ids[1]!)).toBeUndefined();
      expect(await get(ids[2]!)).toBeDefined();
    },
  );
});

/** The fixture record as CSV of dotted paths, each row overriding the given columns. */
function csvOf(rows: string[][]): string {
  const [cols, ...data] = rows as [string[], ...string[][]];
  const flat: Record<string, string> = {};
  const walk = (v: unknown, p: string) => {
    if (Array.isArray(v) && ['phones', 'productsHeld', 'tags'].includes(p)) flat[p] = v.join(';');
    else if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, p ? `${p}.${k}` : k);
    else flat[p] = String(v);
  };
  walk(RECORD, '');
  const header = Object.keys(flat);
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const line = (row: string[]) =>
    header.map((h) => (cols.includes(h) ? row[cols.indexOf(h)]! : cell(flat[h]!))).join(',');
  return `${header.join(',')}\n${data.map(line).join('\n')}\n`;
}

describe('a decision configuration with a number DynamoDB cannot store', () => {
  const versions = async () =>
    (
      await stack.db.send(
        new QueryCommand({
          TableName: stack.env.CATALOG_TABLE!,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': 'DECISION_CONFIG' },
        }),
      )
    ).Items ?? [];
  it.each([
    ['a condition value of 1e200', 'offers.0.conditions.0.value', 1e200],
    ['an accept probability of 1e-200', 'offers.0.acceptProbability', 1e-200],
    ['a fixed cost of 1e200', 'offers.0.cost.fixed', 1e200],
    ['a churn risk of 1e-200', 'callTypes.CLOSE_ACCOUNT.churnRisk', 1e-200],
  ])('%s is a 400 naming %s, on validate and on create, and no version is created', async (_n, path, x) => {
    const before = await versions();
    const c = structuredClone(DEFAULT_CONFIG) as Record<string, any>;
    c.version = 'numbers-1';
    if (!c.offers[0].conditions.length)
      c.offers[0].conditions = [{ fact: 'annualSpend', op: 'gte', value: 0 }];
    const keys = path.split('.');
    const last = keys.pop()!;
    keys.reduce((o, k) => o[k], c)[last] = x;
    for (const route of ['/admin/config/validate', '/admin/config/versions']) {
      const r = await http('POST', route, c);
      expect(r.status, route).toBe(400);
      expect(r.type).toBe('application/problem+json');
      expect(r.json.errors).toContainEqual(expect.objectContaining({ path }));
    }
    expect(await versions()).toEqual(before);
    expect((await http('GET', '/admin/config/versions/numbers-1')).status).toBe(404);
  });
});

describe('a decision configuration with large numbers DynamoDB can store', () => {
  it('a condition value of 1.6e124 (past 2^53, under 1e126) is stored and read back as the same number', async () => {
    // Found by the hostile-input suite: it validated, then the SDK's marshaller refused it (a 503).
    const c = structuredClone(DEFAULT_CONFIG) as Record<string, any>;
    c.version = 'numbers-large-1';
    c.offers[0].conditions = [{ fact: 'annualSpend', op: 'lte', value: 1.6027996190135272e124 }];
    const r = await http('POST', '/admin/config/versions', c);
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const back = await http('GET', '/admin/config/versions/numbers-large-1');
    expect(back.status).toBe(200);
    expect(JSON.stringify(back.json)).toContain('1.6027996190135272e+124');
  });
});
