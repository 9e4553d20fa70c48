import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import {
  AccountSchema,
  DYNAMO_NUMBER_MESSAGE,
  isDynamoNumber,
  StoredNumberSchema,
} from '../../shared/schemas/account';
import { DecisionConfigSchema } from '../../shared/schemas/config';
import { AccountEventSchema, ImportRecordSchema } from '../../shared/schemas/import';
import { makeAccount } from '../fakes/accounts';

/**
 * DynamoDB stores numbers of up to 38 significant digits, magnitude 1e-130 to 9.99…e125, or 0. A
 * number outside that validated, then failed the write (a 503 for the import batch or the new
 * configuration version): every number of a stored document must be refused at validation, with
 * its path (issue 9, finding 8).
 */
const UNSTORABLE = [1e200, -1e200, 1e126, 1e-200, -1e-200, 1e-131, 5e-324];

/** Dotted paths of every number in a document (list items as `list.0`). */
function numberPaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'number') return [prefix];
  if (Array.isArray(value))
    return value.flatMap((v, i) => numberPaths(v, prefix ? `${prefix}.${i}` : `${i}`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => numberPaths(v, prefix ? `${prefix}.${k}` : k));
  return [];
}
function withValue<T>(doc: T, path: string, value: number): T {
  const copy = structuredClone(doc) as Record<string, any>;
  const keys = path.split('.');
  const last = keys.pop()!;
  keys.reduce((o, k) => o[k], copy)[last] = value;
  return copy as T;
}
const issuesAt = (schema: z.ZodType, doc: unknown, path: string) =>
  (schema.safeParse(doc).error?.issues ?? []).filter((i) => i.path.join('.') === path);

describe('isDynamoNumber', () => {
  it.each([
    [0, true],
    [-0, true],
    [1e-130, true],
    [-1e-130, true],
    [9.99e125, true],
    [0.1 + 0.2, true],
    [Number.MAX_SAFE_INTEGER, true],
    [1e126, false],
    [1e-131, false],
    [5e-324, false],
    [Number.MAX_VALUE, false],
  ])('%s → %s', (x, ok) => {
    expect(isDynamoNumber(x)).toBe(ok);
    expect(StoredNumberSchema.safeParse(x).success).toBe(ok);
  });
});

/** The optional parts of the configuration that hold numbers, so the walk reaches them too. */
const FULL_CONFIG = {
  ...structuredClone(DEFAULT_CONFIG),
  value: { ...DEFAULT_CONFIG.value, contactCost: 2.5 },
  contactPolicy: { suppressDaysAfterDecline: 30, maxPresentations: 3 },
  learning: { priorStrength: 20, explorationShare: 0.1, controlShare: 0.05 },
};
FULL_CONFIG.offers[0] = {
  ...FULL_CONFIG.offers[0]!,
  annualMargin: 100,
  budget: { period: 'DAY', maxAccepts: 10, maxCost: 5000 },
  contactPolicy: { suppressDaysAfterDecline: 7, maxPresentations: 2 },
};
const IMPORT_RECORD = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../fixtures/import/accounts.jsonl'), 'utf8').split('\n')[0]!,
);

describe.each([
  { name: 'the decision configuration', schema: DecisionConfigSchema as z.ZodType, doc: FULL_CONFIG },
  { name: 'the import record', schema: ImportRecordSchema as z.ZodType, doc: IMPORT_RECORD },
  {
    name: 'the stored account',
    schema: AccountSchema as z.ZodType,
    doc: makeAccount({ transactionsByCategory: makeAccount().spendByCategory }),
  },
  {
    name: 'a PRODUCT_CHANGED event',
    schema: AccountEventSchema as z.ZodType,
    doc: {
      type: 'PRODUCT_CHANGED',
      accountId: 'ACC-TEST01',
      asOf: '2026-11-23T09:00:00Z',
      product: makeAccount().product,
    },
  },
])('$name: no number DynamoDB cannot store validates', ({ schema, doc }) => {
  const paths = numberPaths(doc);
  it('the document as it is validates, and has numbers to try', () => {
    expect(schema.safeParse(doc).error?.issues ?? []).toEqual([]);
    expect(paths.length).toBeGreaterThanOrEqual(3);
  });
  it.each(paths)('%s', (path) => {
    for (const x of UNSTORABLE)
      expect(issuesAt(schema, withValue(doc, path, x), path).length, `${path} = ${x}`).toBeGreaterThan(0);
  });
});

describe('the message names the rule (the path names the field)', () => {
  it.each([
    { schema: DecisionConfigSchema as z.ZodType, doc: FULL_CONFIG, path: 'offers.0.acceptProbability' },
    { schema: DecisionConfigSchema as z.ZodType, doc: FULL_CONFIG, path: 'offers.0.conditions.0.value' },
    { schema: ImportRecordSchema as z.ZodType, doc: IMPORT_RECORD, path: 'riskScore' },
    { schema: ImportRecordSchema as z.ZodType, doc: IMPORT_RECORD, path: 'balance' },
  ])('$path = 1e-200', ({ schema, doc, path }) => {
    expect(numberPaths(doc)).toContain(path);
    expect(issuesAt(schema, withValue(doc, path, 1e-200), path).map((i) => i.message)).toEqual([
      DYNAMO_NUMBER_MESSAGE,
    ]);
  });
});
