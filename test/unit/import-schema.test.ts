import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { CARD_FAMILIES, PAYMENT_STATUSES, SPEND_CATEGORIES } from '../../shared/schemas/account';
import {
  AccountEventSchema,
  EventBatchSchema,
  ImportBatchSchema,
  ImportRecordSchema,
  MAX_IMPORT_BATCH,
  normalisePhone,
} from '../../shared/schemas/import';

/**
 * A schema table of the account import format: every field of the record, its bad values and the exact
 * path each is reported at, its good values and what they come out as; then the change events and the
 * two batch envelopes. The base record is the README's example (fixture line 1).
 */

const categories = <T>(value: T) => Object.fromEntries(SPEND_CATEGORIES.map((c) => [c, value]));

const BASE = {
  accountId: 'IMP-000001',
  customerId: 'CUS-IMP-1',
  name: 'Zoë Ångström-Ñúñez',
  phones: ['(555) 555-0160', '+15555550161'],
  verification: { last4: '7312', zip: '30301', dob: '1986-07-19', pin: '4242' },
  product: {
    code: 'SUMMIT_REWARDS',
    name: 'Summit Rewards',
    family: 'REWARDS',
    annualFee: 95,
    apr: 0.2399,
    rewardsRate: 0.015,
  },
  openedOn: '2018-03-02',
  creditLimit: 15000,
  balance: 3200.5,
  revolvingBalance: 0,
  monthlySpend: [2600, 2500, 2700, 2400, 2800, 2600, 2500, 2900, 2700, 2600, 2800, 2750],
  spendByCategory: { travel: 6000, dining: 5000, groceries: 8000, fuel: 2500, online: 6800, other: 3550 },
  transactionsByCategory: { travel: 14, dining: 80, groceries: 110, fuel: 40, online: 95, other: 30 },
  payments: Array(12).fill('FULL'),
  monthlyTransactions: [31, 29, 33, 30, 34, 31, 30, 35, 32, 31, 33, 32],
  contacts12m: 1,
  revenue12m: { interchange: 560, interest: 0, fees: 95 },
  cost12m: { rewards: 480, servicing: 40 },
  riskScore: 0.02,
  flags: { fraudHold: false, collections: false, bankruptcy: false, deceased: false, closed: false },
  productsHeld: ['CHECKING'],
  tags: ['IMPORTED_2026_11'],
  timeZone: 'America/New_York',
  consent: { automatedCalls: true, recordedAt: '2026-01-05T10:00:00Z' },
  asOf: '2026-11-20T06:00:00Z',
};

/**
 * Every field path of the record, written out: the test fails if the schema grows a field the table
 * does not know, or if a field silently becomes optional (or required).
 */
const OPTIONAL_FIELDS = [
  'name',
  'verification.pin',
  'transactionsByCategory',
  'tags',
  'timeZone',
  'consent',
  'monthlyTransactions',
  'contacts12m',
];
const REQUIRED_FIELDS = [
  'consent.automatedCalls',
  'consent.recordedAt',
  'accountId',
  'customerId',
  'phones',
  'verification',
  'verification.last4',
  'verification.zip',
  'verification.dob',
  'product',
  'product.code',
  'product.name',
  'product.family',
  'product.annualFee',
  'product.apr',
  'product.rewardsRate',
  'openedOn',
  'creditLimit',
  'balance',
  'revolvingBalance',
  'monthlySpend',
  'spendByCategory',
  ...SPEND_CATEGORIES.map((c) => `spendByCategory.${c}`),
  // Optional as a whole, but each category is required once the object is sent.
  ...SPEND_CATEGORIES.map((c) => `transactionsByCategory.${c}`),
  'payments',
  'revenue12m',
  'revenue12m.interchange',
  'revenue12m.interest',
  'revenue12m.fees',
  'cost12m',
  'cost12m.rewards',
  'cost12m.servicing',
  'riskScore',
  'flags',
  'flags.fraudHold',
  'flags.collections',
  'flags.bankruptcy',
  'flags.deceased',
  'flags.closed',
  'productsHeld',
  'asOf',
];
const ALL_FIELDS = [...REQUIRED_FIELDS, ...OPTIONAL_FIELDS];
/** The strict objects of the record ('' is the record itself). */
const OBJECT_PATHS = [
  '',
  'verification',
  'product',
  'spendByCategory',
  'transactionsByCategory',
  'revenue12m',
  'cost12m',
  'flags',
  'consent',
];
const LIST_PATHS = ['phones', 'monthlySpend', 'payments', 'productsHeld', 'tags', 'monthlyTransactions'];

// ---------------------------------------------------------------------------------------------- helpers

const DELETE = Symbol('delete');
const base = (): any => structuredClone(BASE);
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy of the base record with `path` (dotted, list indexes as numbers) set to `value`, or removed. */
function withField(path: string, value: unknown, record: any = base()): any {
  const keys = path.split('.');
  const last = keys.pop()!;
  const parent = keys.reduce((o, k) => o[k], record);
  if (value === DELETE) delete parent[last];
  else parent[last] = value;
  return record;
}
const getAt = (record: any, path: string): unknown => path.split('.').reduce((o, k) => o?.[k], record);

/** Dotted paths of the data: every object key (recursively) and every list; list items as `list.0`. */
function dataPaths(value: unknown, prefix = '', items = false): string[] {
  if (!isPlainObject(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) return items ? [p, `${p}.0`] : [p];
    return [p, ...dataPaths(v, p, items)];
  });
}

/** Dotted paths the schema declares, read from the zod definition (optional wrappers unwrapped). */
function schemaPaths(schema: any, prefix = ''): string[] {
  const inner = schema.def.type === 'optional' ? schema.def.innerType : schema;
  if (inner.def.type !== 'object') return [];
  return Object.entries(inner.shape).flatMap(([k, s]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return [p, ...schemaPaths(s, p)];
  });
}

const pathOf = (issue: { path: PropertyKey[] }) => issue.path.map(String).join('.');

/** Parses, asserts it failed, and returns the issues. */
function issuesOf(schema: z.ZodType, input: unknown) {
  const r = schema.safeParse(input);
  expect(r.success, `expected a failure, parsed to ${String(JSON.stringify(r.data)).slice(0, 200)}…`).toBe(
    false,
  );
  return r.error!.issues;
}
/** Asserts the parse failed with issues at exactly one path, the expected one. */
function expectFailsAt(schema: z.ZodType, input: unknown, path: string) {
  const issues = issuesOf(schema, input);
  expect([...new Set(issues.map(pathOf))], JSON.stringify(issues)).toEqual([path]);
  return issues;
}
function expectParses<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  expect(r.error?.issues ?? [], 'expected no issues').toEqual([]);
  return r.data as T;
}
/** Short, readable form of a value in a test name. */
function show(v: unknown): string {
  if (v === DELETE) return '(missing)';
  const chars = typeof v === 'string' ? [...v] : [];
  if (chars.length > 24 && new Set(chars).size === 1) return `'${chars[0]}' × ${chars.length}`;
  if (Array.isArray(v) && v.length > 4) return `[${v.length} items]`;
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

// ------------------------------------------------------------------------------------ the base record

describe('the base record and the field list', () => {
  it('the base record parses, and equals the first line of the fixture', () => {
    expectParses(ImportRecordSchema, BASE);
    const line1 = readFileSync('test/fixtures/import/accounts.jsonl', 'utf8').split('\n')[0]!;
    expect(JSON.parse(line1)).toEqual(BASE);
  });
  it('the schema declares exactly the fields listed here, and the base record carries every one', () => {
    expect(schemaPaths(ImportRecordSchema).sort()).toEqual([...ALL_FIELDS].sort());
    expect(dataPaths(BASE).sort()).toEqual([...ALL_FIELDS].sort());
  });
  it('the object and list paths listed here are every object and list of the record', () => {
    const objects = ['', ...ALL_FIELDS.filter((p) => isPlainObject(getAt(BASE, p)))];
    const lists = ALL_FIELDS.filter((p) => Array.isArray(getAt(BASE, p)));
    expect(objects.sort()).toEqual([...OBJECT_PATHS].sort());
    expect(lists.sort()).toEqual([...LIST_PATHS].sort());
  });
  it('the optional fields are exactly name, verification.pin, transactionsByCategory, tags, timeZone, consent, monthlyTransactions and contacts12m', () => {
    const optional = dataPaths(BASE).filter(
      (p) => ImportRecordSchema.safeParse(withField(p, DELETE)).success,
    );
    expect(optional.sort()).toEqual([...OPTIONAL_FIELDS].sort());
  });
});

// ------------------------------------------------------------------------------------ missing fields

describe('a missing field', () => {
  // Generated from the base record's own keys; whether each is required comes from the lists above.
  const rows = dataPaths(BASE).map((field) => ({ field, required: !OPTIONAL_FIELDS.includes(field) }));
  it.each(rows.filter((r) => r.required))('$field is required: missing fails at $field', ({ field }) => {
    const [issue] = expectFailsAt(ImportRecordSchema, withField(field, DELETE), field);
    // An enum reports a missing value as an invalid option; every other type as the wrong type.
    expect(['invalid_type', 'invalid_value']).toContain(issue!.code);
  });
  it.each(rows.filter((r) => !r.required))(
    '$field is optional: missing parses, and stays absent',
    ({ field }) => {
      const data = expectParses(ImportRecordSchema, withField(field, DELETE));
      const keys = field.split('.');
      const owner = keys.length > 1 ? getAt(data, keys.slice(0, -1).join('.')) : data;
      expect(Object.keys(owner as object)).not.toContain(keys.at(-1));
    },
  );
});

// ------------------------------------------------------------------------------------ wrong types

describe('a value of the wrong type', () => {
  /** For each kind of field, values of other kinds (strings are not wrong for numbers: "1200.50" is fine). */
  const wrongFor = (v: unknown): unknown[] => {
    if (typeof v === 'string') return [12345, true, null, ['x']];
    if (typeof v === 'number') return [true, 'lots', null, {}];
    if (typeof v === 'boolean') return ['false', 0, null];
    if (Array.isArray(v)) return ['x', { 0: v[0] }, null];
    return ['x', [], null];
  };
  const rows = dataPaths(BASE, '', true).flatMap((field) =>
    wrongFor(getAt(BASE, field)).map((value) => ({ field, value, label: show(value) })),
  );
  it('every field and every list item has wrong-type rows', () => {
    const covered = new Set(rows.map((r) => r.field));
    for (const p of [...ALL_FIELDS, ...LIST_PATHS.map((l) => `${l}.0`)]) expect(covered).toContain(p);
  });
  it.each(rows)('$field = $label fails at $field', ({ field, value }) => {
    expectFailsAt(ImportRecordSchema, withField(field, value), field);
  });
});

// ------------------------------------------------------------------------------------ out of range / format

type BadRow = { field: string; value: unknown; why: string; path?: string };
const sixPhones = [
  '+15555550161',
  '+15555550162',
  '+15555550163',
  '+15555550164',
  '+15555550165',
  '+15555550166',
];
const BAD_VALUES: BadRow[] = [
  // identifiers
  { field: 'accountId', value: 'IMP-1', why: '5 characters' },
  { field: 'accountId', value: 'A'.repeat(41), why: 'too long' },
  { field: 'accountId', value: 'IMP 000001', why: 'a space' },
  { field: 'accountId', value: 'IMP_000001', why: 'an underscore' },
  { field: 'accountId', value: '', why: 'empty' },
  { field: 'customerId', value: 'CUS', why: '3 characters' },
  { field: 'customerId', value: 'C'.repeat(41), why: 'too long' },
  { field: 'customerId', value: 'CUS/IMP/1', why: 'slashes' },
  // name
  { field: 'name', value: 'a'.repeat(201), why: 'too long' },
  { field: 'name', value: '李'.repeat(201), why: 'CJK, too long' },
  { field: 'name', value: '😀'.repeat(201), why: 'emoji, too long' },
  // phones
  { field: 'phones', value: [], why: 'no phone' },
  { field: 'phones', value: sixPhones, why: '6 phones' },
  { field: 'phones', value: ['abc'], why: 'letters', path: 'phones.0' },
  { field: 'phones', value: [''], why: 'empty', path: 'phones.0' },
  { field: 'phones', value: ['+15555550161', 'abc'], why: 'the second bad', path: 'phones.1' },
  { field: 'phones', value: ['415 555 01000'], why: '11 digits not starting with 1', path: 'phones.0' },
  { field: 'phones', value: ['442079460958'], why: 'international without +', path: 'phones.0' },
  { field: 'phones', value: ['0044 20 7946 0958'], why: '00 prefix', path: 'phones.0' },
  { field: 'phones', value: ['+0 415 555 0100'], why: 'country code 0', path: 'phones.0' },
  { field: 'phones', value: ['+1234567'], why: '7 digits', path: 'phones.0' },
  { field: 'phones', value: ['+1234567890123456'], why: '16 digits', path: 'phones.0' },
  { field: 'phones', value: ['415/555/0100'], why: 'slashes', path: 'phones.0' },
  { field: 'phones', value: ['+1 415 555 0100 ext 2'], why: 'an extension', path: 'phones.0' },
  // verification
  { field: 'verification.last4', value: '482', why: '3 digits' },
  { field: 'verification.last4', value: '48210', why: '5 digits' },
  { field: 'verification.last4', value: '48a1', why: 'a letter' },
  { field: 'verification.last4', value: ' 482', why: 'a space' },
  { field: 'verification.last4', value: '', why: 'empty' },
  { field: 'verification.last4', value: 4821, why: 'a number' },
  { field: 'verification.zip', value: '1234', why: '4 digits' },
  { field: 'verification.zip', value: '123456', why: '6 digits' },
  { field: 'verification.zip', value: '3030A', why: 'a letter' },
  { field: 'verification.zip', value: '30301-1234', why: 'ZIP+4' },
  { field: 'verification.zip', value: 30301, why: 'a number' },
  { field: 'verification.dob', value: '1980-13-01', why: 'month 13' },
  { field: 'verification.dob', value: '1980-02-30', why: 'February 30' },
  { field: 'verification.dob', value: '1981-02-29', why: 'February 29 of a common year' },
  { field: 'verification.dob', value: '1980-04-31', why: 'April 31' },
  { field: 'verification.dob', value: '1980-00-10', why: 'month 0' },
  { field: 'verification.dob', value: '19/07/1986', why: 'day first' },
  { field: 'verification.dob', value: '1986-7-19', why: 'no leading zero' },
  { field: 'verification.dob', value: '1986-07-19T00:00:00Z', why: 'a date-time' },
  { field: 'verification.pin', value: '123', why: '3 digits' },
  { field: 'verification.pin', value: '1234567', why: '7 digits' },
  { field: 'verification.pin', value: '12a4', why: 'a letter' },
  { field: 'verification.pin', value: '', why: 'empty' },
  { field: 'verification.pin', value: 4242, why: 'a number' },
  // product
  { field: 'product.code', value: 'summit_rewards', why: 'lower case' },
  { field: 'product.code', value: 'SR', why: '2 characters' },
  { field: 'product.code', value: `S${'R'.repeat(32)}`, why: '33 characters' },
  { field: 'product.code', value: '1SUMMIT', why: 'a leading digit' },
  { field: 'product.code', value: 'SUMMIT-REWARDS', why: 'a dash' },
  { field: 'product.name', value: '', why: 'empty' },
  { field: 'product.name', value: 'n'.repeat(81), why: 'too long' },
  { field: 'product.family', value: 'GOLD', why: 'not a family' },
  { field: 'product.family', value: 'rewards', why: 'lower case' },
  { field: 'product.annualFee', value: -1, why: 'negative' },
  { field: 'product.annualFee', value: '-0.01', why: 'negative, as a string' },
  { field: 'product.apr', value: 2, why: 'over 1' },
  { field: 'product.apr', value: 23.99, why: 'a percentage' },
  { field: 'product.apr', value: -0.01, why: 'negative' },
  { field: 'product.apr', value: '1.5', why: 'over 1, as a string' },
  { field: 'product.rewardsRate', value: 0.25, why: 'over 0.2' },
  { field: 'product.rewardsRate', value: -0.01, why: 'negative' },
  // dates
  { field: 'openedOn', value: '2018-02-30', why: 'February 30' },
  { field: 'openedOn', value: '03/02/2018', why: 'not ISO' },
  { field: 'openedOn', value: '2018-03-02T00:00:00Z', why: 'a date-time' },
  { field: 'asOf', value: '2026-11-20T06:00:00', why: 'no offset' },
  { field: 'asOf', value: '2026-11-20', why: 'a date only' },
  { field: 'asOf', value: 'yesterday', why: 'not a date' },
  { field: 'asOf', value: '2026-02-30T06:00:00Z', why: 'February 30' },
  { field: 'asOf', value: '2026-11-20T24:00:00Z', why: 'hour 24' },
  { field: 'asOf', value: '2026-11-20 06:00:00Z', why: 'a space for T' },
  { field: 'asOf', value: '2026-11-20T06:00:00+0200', why: 'an offset without colon' },
  { field: 'asOf', value: 1795154400000, why: 'epoch millis' },
  // money and scores
  { field: 'creditLimit', value: -1, why: 'negative' },
  { field: 'creditLimit', value: '-1', why: 'negative, as a string' },
  { field: 'creditLimit', value: '1,200.50', why: 'a thousands separator' },
  { field: 'creditLimit', value: '$1200', why: 'a currency sign' },
  { field: 'creditLimit', value: '', why: 'an empty string' },
  { field: 'creditLimit', value: '   ', why: 'a blank string' },
  { field: 'creditLimit', value: 'Infinity', why: 'Infinity' },
  { field: 'creditLimit', value: '0x10', why: 'hexadecimal' },
  { field: 'creditLimit', value: '0b101', why: 'binary' },
  { field: 'creditLimit', value: '0o17', why: 'octal' },
  { field: 'riskScore', value: '0x0', why: 'hexadecimal zero' },
  { field: 'balance', value: 'lots', why: 'not a number' },
  { field: 'balance', value: '-Infinity', why: '-Infinity' },
  { field: 'revolvingBalance', value: -0.01, why: 'negative' },
  { field: 'riskScore', value: 1.5, why: 'over 1' },
  { field: 'riskScore', value: -0.1, why: 'negative' },
  { field: 'riskScore', value: '1.5', why: 'over 1, as a string' },
  { field: 'riskScore', value: 'NaN', why: 'NaN' },
  // lists
  { field: 'monthlySpend', value: BASE.monthlySpend.slice(1), why: '11 entries' },
  { field: 'monthlySpend', value: [...BASE.monthlySpend, 1], why: '13 entries' },
  { field: 'monthlySpend', value: [], why: 'no entries' },
  { field: 'monthlySpend.3', value: -1, why: 'a negative entry' },
  { field: 'monthlySpend.11', value: '-5', why: 'a negative entry, as a string' },
  { field: 'monthlyTransactions', value: BASE.monthlyTransactions.slice(1), why: '11 entries' },
  { field: 'monthlyTransactions', value: [...BASE.monthlyTransactions, 1], why: '13 entries' },
  { field: 'monthlyTransactions.4', value: -1, why: 'a negative count' },
  { field: 'monthlyTransactions.0', value: 2.5, why: 'a fraction of a transaction' },
  { field: 'monthlyTransactions.11', value: '3.5', why: 'a fraction, as a string' },
  { field: 'monthlyTransactions.2', value: 1e7, why: 'beyond any card' },
  { field: 'contacts12m', value: -1, why: 'negative' },
  { field: 'contacts12m', value: 1.5, why: 'a fraction' },
  { field: 'contacts12m', value: 10_001, why: 'beyond the cap' },
  { field: 'payments', value: Array(11).fill('FULL'), why: '11 entries' },
  { field: 'payments', value: Array(13).fill('FULL'), why: '13 entries' },
  { field: 'payments.5', value: 'BOUNCED', why: 'an unknown status' },
  { field: 'payments.0', value: 'full', why: 'lower case' },
  { field: 'productsHeld.0', value: 'GOLD_CARD', why: 'an unknown product' },
  { field: 'productsHeld.0', value: 'checking', why: 'lower case' },
  { field: 'tags.0', value: 'imported', why: 'lower case' },
  { field: 'timeZone', value: 'Mars/Olympus_Mons', why: 'not an IANA time zone' },
  { field: 'timeZone', value: '../../etc/passwd', why: 'a path' },
  { field: 'consent.automatedCalls', value: 'yes', why: 'not a boolean' },
  { field: 'consent.recordedAt', value: '2026-01-05', why: 'a date without a time' },
  { field: 'tags.0', value: 'A', why: '1 character' },
  { field: 'tags.0', value: `T${'A'.repeat(40)}`, why: '41 characters' },
  { field: 'tags.0', value: '1ST_IMPORT', why: 'a leading digit' },
  { field: 'tags.0', value: 'IMPORTED-2026', why: 'a dash' },
  // nested numbers
  ...SPEND_CATEGORIES.map((c) => ({ field: `spendByCategory.${c}`, value: -1, why: 'negative' })),
  ...SPEND_CATEGORIES.map((c) => ({ field: `transactionsByCategory.${c}`, value: -1, why: 'negative' })),
  { field: 'revenue12m.interchange', value: -1, why: 'negative' },
  { field: 'revenue12m.interest', value: -1, why: 'negative' },
  { field: 'revenue12m.fees', value: '-1', why: 'negative, as a string' },
  { field: 'cost12m.rewards', value: -1, why: 'negative' },
  { field: 'cost12m.servicing', value: -1, why: 'negative' },
  // numbers DynamoDB cannot store (|x| from 1e-130 to 9.99e125, or 0), and money past a trillion
  { field: 'creditLimit', value: 1e200, why: 'past DynamoDB, and past a trillion' },
  { field: 'creditLimit', value: '1e200', why: 'past DynamoDB, as a string' },
  { field: 'creditLimit', value: 1.5e12, why: 'past a trillion' },
  { field: 'balance', value: -1e200, why: 'past DynamoDB, negative' },
  { field: 'balance', value: 1e-200, why: 'below DynamoDB' },
  { field: 'balance', value: '-1e-200', why: 'below DynamoDB, negative, as a string' },
  { field: 'revolvingBalance', value: 5e-324, why: 'the smallest double' },
  { field: 'riskScore', value: 1e-200, why: 'below DynamoDB' },
  { field: 'riskScore', value: '1e-131', why: 'just below DynamoDB, as a string' },
  { field: 'product.annualFee', value: 1e200, why: 'past DynamoDB' },
  { field: 'product.apr', value: 1e-200, why: 'below DynamoDB' },
  { field: 'product.rewardsRate', value: '1e-200', why: 'below DynamoDB, as a string' },
  { field: 'monthlySpend.0', value: 1e-200, why: 'below DynamoDB' },
  { field: 'spendByCategory.travel', value: 1e200, why: 'past DynamoDB' },
  { field: 'transactionsByCategory.dining', value: 1e-200, why: 'below DynamoDB' },
  { field: 'revenue12m.interchange', value: '1e126', why: 'past DynamoDB, as a string' },
  { field: 'cost12m.servicing', value: 1e-200, why: 'below DynamoDB' },
  // flags: only real booleans
  { field: 'flags.fraudHold', value: 'true', why: 'a string' },
  { field: 'flags.collections', value: 1, why: 'a number' },
  { field: 'flags.closed', value: 'no', why: 'a word' },
];

describe('a value out of range or in the wrong format', () => {
  it.each(BAD_VALUES.map((r) => ({ ...r, path: r.path ?? r.field, label: show(r.value) })))(
    '$field = $label ($why) fails at $path',
    ({ field, value, path }) => {
      expectFailsAt(ImportRecordSchema, withField(field, value), path);
    },
  );
});

// ------------------------------------------------------------------------------------ unknown keys

describe('an unknown key (every object is strict)', () => {
  const rows = [
    ...OBJECT_PATHS.map((at) => ({ at, key: 'cardNumber', value: '4111111111111111' })),
    { at: '', key: 'ssn', value: '078-05-1120' },
    { at: '', key: 'Name', value: 'Zoë' },
    { at: '', key: 'phone', value: '+15555550161' },
    { at: '', key: 'constructor', value: 'x' },
    { at: 'verification', key: 'cvv', value: '8031' },
    { at: 'verification', key: 'ssnLast4', value: '1120' },
    { at: 'product', key: 'network', value: 'VISA' },
    { at: 'spendByCategory', key: 'entertainment', value: 10 },
    { at: 'flags', key: 'vip', value: true },
  ].map((r) => ({ ...r, where: r.at || '(top level)' }));
  it.each(rows)('$key at $where is rejected as unrecognized, naming the key', ({ at, key, value }) => {
    const record = base();
    const owner = at ? getAt(record, at) : record;
    (owner as Record<string, unknown>)[key] = value;
    const issues = expectFailsAt(ImportRecordSchema, record, at);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.code).toBe('unrecognized_keys');
    expect((issues[0] as z.core.$ZodIssueUnrecognizedKeys).keys).toContain(key);
    expect(JSON.stringify(issues)).not.toContain(String(value));
  });
  it.each(['', 'verification', 'product'])('a __proto__ key from JSON at "%s" is rejected', (at) => {
    const record = base();
    const owner = at ? getAt(record, at) : record;
    const parsed = JSON.parse('{"__proto__": {"admin": true}}');
    Object.defineProperty(owner, '__proto__', { ...Object.getOwnPropertyDescriptor(parsed, '__proto__') });
    const [issue] = expectFailsAt(ImportRecordSchema, record, at);
    expect(issue!.code).toBe('unrecognized_keys');
    expect((issue as z.core.$ZodIssueUnrecognizedKeys).keys).toContain('__proto__');
    expect(({} as any).admin).toBeUndefined();
  });
  it('a parsed record carries only declared fields', () => {
    const data = expectParses(ImportRecordSchema, BASE);
    const declared = new Set(schemaPaths(ImportRecordSchema));
    for (const p of dataPaths(data)) expect(declared).toContain(p);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });
});

// ------------------------------------------------------------------------------------ no value in messages

describe('verification factors never appear in an issue', () => {
  // Reject reports go to files and logs: the issues (message and every other property) must not echo the value.
  const rows: BadRow[] = [
    { field: 'verification.last4', value: '48a1', why: 'a letter' },
    { field: 'verification.last4', value: '987654', why: '6 digits' },
    { field: 'verification.zip', value: '9O210', why: 'a letter O' },
    { field: 'verification.zip', value: '902101', why: '6 digits' },
    { field: 'verification.dob', value: '1986-19-07', why: 'month 19' },
    { field: 'verification.dob', value: '1980-02-30', why: 'February 30' },
    { field: 'verification.dob', value: '07/19/1986', why: 'US order' },
    { field: 'verification.pin', value: '98x7', why: 'a letter' },
    { field: 'verification.pin', value: '9876543', why: '7 digits' },
    { field: 'phones', value: ['call 415 555 0199'], why: 'words', path: 'phones.0' },
  ];
  it.each(rows.map((r) => ({ ...r, path: r.path ?? r.field, label: show(r.value) })))(
    '$field = $label ($why): the issue at $path does not contain the value',
    ({ field, value, path }) => {
      const issues = expectFailsAt(ImportRecordSchema, withField(field, value), path);
      const secret = Array.isArray(value) ? String(value[0]) : String(value);
      for (const issue of issues) expect(issue.message).not.toContain(secret);
      expect(JSON.stringify(issues)).not.toContain(secret);
      const error = ImportRecordSchema.safeParse(withField(field, value)).error!;
      expect(error.message).not.toContain(secret);
      expect(z.prettifyError(error)).not.toContain(secret);
    },
  );
});

// ------------------------------------------------------------------------------------ good values

describe('good values', () => {
  const numericStrings = [
    { field: 'creditLimit', value: '1200.50', out: 1200.5 },
    { field: 'creditLimit', value: ' 1200.50 ', out: 1200.5 },
    { field: 'creditLimit', value: '0', out: 0 },
    { field: 'balance', value: '-250.75', out: -250.75 },
    { field: 'revolvingBalance', value: '99.99', out: 99.99 },
    { field: 'riskScore', value: '0.03', out: 0.03 },
    { field: 'riskScore', value: '1', out: 1 },
    { field: 'product.annualFee', value: '95', out: 95 },
    { field: 'product.apr', value: '0.2399', out: 0.2399 },
    { field: 'product.rewardsRate', value: '0.2', out: 0.2 },
    { field: 'monthlySpend.0', value: '2600.10', out: 2600.1 },
    { field: 'spendByCategory.travel', value: '6000', out: 6000 },
    { field: 'transactionsByCategory.dining', value: '80', out: 80 },
    { field: 'revenue12m.interchange', value: '560.25', out: 560.25 },
    { field: 'revenue12m.interest', value: '0', out: 0 },
    { field: 'revenue12m.fees', value: '95', out: 95 },
    { field: 'cost12m.rewards', value: '480', out: 480 },
    { field: 'cost12m.servicing', value: '40.5', out: 40.5 },
    { field: 'creditLimit', value: '1e12', out: 1e12 },
    { field: 'balance', value: '-1e12', out: -1e12 },
    { field: 'riskScore', value: '1e-130', out: 1e-130 },
  ];
  it.each(numericStrings)(
    "$field = '$value' is accepted and comes out as the number $out",
    ({ field, value, out }) => {
      const data = expectParses(ImportRecordSchema, withField(field, value));
      expect(getAt(data, field)).toBe(out);
      expect(typeof getAt(data, field)).toBe('number');
    },
  );

  const phones = [
    { raw: '(415) 555-0100', e164: '+14155550100' },
    { raw: '415.555.0100', e164: '+14155550100' },
    { raw: '415-555-0100', e164: '+14155550100' },
    { raw: '4155550100', e164: '+14155550100' },
    { raw: '1 415 555 0100', e164: '+14155550100' },
    { raw: '1-415-555-0100', e164: '+14155550100' },
    { raw: '+1 (415) 555-0100', e164: '+14155550100' },
    { raw: ' 415 555 0100 ', e164: '+14155550100' },
    { raw: '+15555550161', e164: '+15555550161' },
    { raw: '+44 20 7946 0958', e164: '+442079460958' },
    { raw: '+44-20-7946-0958', e164: '+442079460958' },
    { raw: '+33 1 23 45 67 89', e164: '+33123456789' },
  ];
  it.each(phones)("normalisePhone('$raw') is $e164, and so is the parsed phone", ({ raw, e164 }) => {
    expect(normalisePhone(raw)).toBe(e164);
    const data = expectParses(ImportRecordSchema, withField('phones', [raw]));
    expect(data.phones).toEqual([e164]);
  });
  it.each([
    'abc',
    '',
    '555-0100',
    '442079460958',
    '0044 20 7946 0958',
    '415 555 01000',
    '+0 415 555 0100',
    '415/555/0100',
    // North American area codes start with 2 to 9.
    '0155550100',
    '1 155 555 0100',
  ])("normalisePhone('%s') is undefined", (raw) => {
    expect(normalisePhone(raw)).toBeUndefined();
  });
  it('five phones are accepted, each normalised, the first kept first', () => {
    const raw = ['(555) 555-0160', ...sixPhones.slice(0, 4)];
    const data = expectParses(ImportRecordSchema, withField('phones', raw));
    expect(data.phones).toEqual(['+15555550160', ...sixPhones.slice(0, 4)]);
  });

  const names = [
    'Zoë Ñúñez',
    'Zoe\u0308 Smith',
    '李小龍',
    'Ólafur Þór Arnalds',
    'Ελένη Παπαδοπούλου',
    "Siobhán O'Brien-Nic Giolla",
    'Smiley 😀',
    '👩‍👩‍👧',
    'a'.repeat(200),
    '李'.repeat(200),
    '😀'.repeat(200),
  ].map((name) => ({ name, label: show(name) }));
  it.each(names)('the name $label is accepted as sent', ({ name }) => {
    expect(expectParses(ImportRecordSchema, withField('name', name)).name).toBe(name);
  });

  const boundaries = [
    { field: 'accountId', value: 'ABC123' },
    { field: 'accountId', value: 'A'.repeat(40) },
    { field: 'customerId', value: 'C-01' },
    { field: 'verification.pin', value: '0000' },
    { field: 'verification.pin', value: '123456' },
    { field: 'verification.last4', value: '0042' },
    { field: 'verification.zip', value: '02139' },
    { field: 'verification.dob', value: '1980-02-29' },
    { field: 'verification.dob', value: '2000-02-29' },
    { field: 'product.code', value: 'ABC' },
    { field: 'product.name', value: 'n'.repeat(80) },
    { field: 'product.annualFee', value: 0 },
    { field: 'product.apr', value: 0 },
    { field: 'product.apr', value: 1 },
    { field: 'product.rewardsRate', value: 0 },
    { field: 'product.rewardsRate', value: 0.2 },
    { field: 'balance', value: -250.75 },
    { field: 'riskScore', value: 0 },
    { field: 'riskScore', value: 1 },
    { field: 'monthlySpend', value: Array(12).fill(0) },
    { field: 'payments', value: [...PAYMENT_STATUSES, ...PAYMENT_STATUSES] },
    { field: 'productsHeld', value: [] },
    { field: 'productsHeld', value: ['CHECKING', 'SAVINGS', 'MORTGAGE', 'TRAVEL_CARD'] },
    { field: 'tags', value: [] },
    { field: 'tags', value: ['AB', `T${'A'.repeat(39)}`] },
    { field: 'spendByCategory', value: categories(0) },
    { field: 'asOf', value: '2026-11-20T06:00:00+02:00' },
    { field: 'asOf', value: '2026-11-20T06:00:00.123Z' },
    { field: 'asOf', value: '2026-11-20T06:00:00-05:00' },
    { field: 'flags.closed', value: true },
  ].map((r) => ({ ...r, label: show(r.value) }));
  it.each(boundaries)('$field = $label is accepted as sent', ({ field, value }) => {
    expect(getAt(expectParses(ImportRecordSchema, withField(field, value)), field)).toEqual(value);
  });
  it.each(CARD_FAMILIES)('product.family %s is accepted', (family) => {
    expectParses(ImportRecordSchema, withField('product.family', family));
  });
});

// ------------------------------------------------------------------------------------ change events

describe('AccountEventSchema', () => {
  const EV = { accountId: 'IMP-000001', asOf: '2026-11-20T06:00:00Z' };
  const VALID = [
    { type: 'PAYMENT_MISSED', ...EV },
    ...['FULL', 'PARTIAL', 'MINIMUM', 'LATE'].map((status) => ({ type: 'PAYMENT_MADE', ...EV, status })),
    { type: 'CARD_LOST_OR_STOLEN', ...EV },
    { type: 'FRAUD_HOLD_SET', ...EV },
    { type: 'FRAUD_HOLD_CLEARED', asOf: '2026-11-20T06:00:00-05:00', accountId: 'a'.repeat(40) },
    {
      type: 'PRODUCT_CHANGED',
      ...EV,
      product: { ...BASE.product, code: 'CLASSIC_CASH', family: 'CASHBACK' },
    },
    { type: 'SUSPICIOUS_PATTERN', ...EV },
    { type: 'USAGE_DROP', ...EV },
    { type: 'FEE_POSTED_LOW_USE', ...EV },
  ].map((event) => ({ event, label: `${event.type}${'status' in event ? ` ${event.status}` : ''}` }));

  it('every event type of the schema has a valid row', () => {
    const types = AccountEventSchema.options.map((o) => o.shape.type.value);
    expect([...new Set(VALID.map((r) => r.event.type))].sort()).toEqual([...types].sort());
  });
  it.each(VALID)('$label is valid and parses to itself', ({ event }) => {
    expect(expectParses(AccountEventSchema, event)).toEqual(event);
  });
  it('PRODUCT_CHANGED takes figures as text, as imports do', () => {
    const product = { ...BASE.product, annualFee: '95', apr: '0.2199', rewardsRate: '0.015' };
    const parsed = expectParses(AccountEventSchema, { type: 'PRODUCT_CHANGED', ...EV, product });
    expect(parsed).toMatchObject({ product: { annualFee: 95, apr: 0.2199, rewardsRate: 0.015 } });
  });

  const product = BASE.product;
  const BAD: { name: string; event: unknown; path: string; code?: string }[] = [
    { name: 'missing type', event: { ...EV }, path: 'type', code: 'invalid_union' },
    { name: 'unknown type', event: { type: 'PAYMENT_REVERSED', ...EV }, path: 'type', code: 'invalid_union' },
    {
      name: 'lower-case type',
      event: { type: 'payment_missed', ...EV },
      path: 'type',
      code: 'invalid_union',
    },
    { name: 'type not a string', event: { type: 1, ...EV }, path: 'type', code: 'invalid_union' },
    { name: 'PAYMENT_MADE without status', event: { type: 'PAYMENT_MADE', ...EV }, path: 'status' },
    {
      name: 'PAYMENT_MADE with status MISSED',
      event: { type: 'PAYMENT_MADE', ...EV, status: 'MISSED' },
      path: 'status',
      code: 'invalid_value',
    },
    {
      name: 'PAYMENT_MADE with status NO_BALANCE',
      event: { type: 'PAYMENT_MADE', ...EV, status: 'NO_BALANCE' },
      path: 'status',
    },
    {
      name: 'PAYMENT_MADE with status full',
      event: { type: 'PAYMENT_MADE', ...EV, status: 'full' },
      path: 'status',
    },
    {
      name: 'PAYMENT_MISSED with a status',
      event: { type: 'PAYMENT_MISSED', ...EV, status: 'LATE' },
      path: '',
      code: 'unrecognized_keys',
    },
    { name: 'PRODUCT_CHANGED without product', event: { type: 'PRODUCT_CHANGED', ...EV }, path: 'product' },
    {
      name: 'PRODUCT_CHANGED with a bad product code',
      event: { type: 'PRODUCT_CHANGED', ...EV, product: { ...product, code: 'x' } },
      path: 'product.code',
    },
    {
      name: 'PRODUCT_CHANGED with apr 2',
      event: { type: 'PRODUCT_CHANGED', ...EV, product: { ...product, apr: 2 } },
      path: 'product.apr',
    },
    {
      name: 'PRODUCT_CHANGED, no product.family',
      event: { type: 'PRODUCT_CHANGED', ...EV, product: { ...product, family: undefined } },
      path: 'product.family',
    },
    {
      name: 'PRODUCT_CHANGED, extra key in product',
      event: { type: 'PRODUCT_CHANGED', ...EV, product: { ...product, network: 'VISA' } },
      path: 'product',
      code: 'unrecognized_keys',
    },
    {
      name: 'an extra key',
      event: { type: 'FRAUD_HOLD_SET', ...EV, reason: 'x' },
      path: '',
      code: 'unrecognized_keys',
    },
    {
      name: 'an extra key on PAYMENT_MADE',
      event: { type: 'PAYMENT_MADE', ...EV, status: 'FULL', amount: 10 },
      path: '',
      code: 'unrecognized_keys',
    },
    { name: 'missing accountId', event: { type: 'PAYMENT_MISSED', asOf: EV.asOf }, path: 'accountId' },
    {
      name: 'accountId too short',
      event: { type: 'PAYMENT_MISSED', ...EV, accountId: 'IMP-1' },
      path: 'accountId',
    },
    {
      name: 'accountId with a space',
      event: { type: 'CARD_LOST_OR_STOLEN', ...EV, accountId: 'IMP 000001' },
      path: 'accountId',
    },
    {
      name: 'accountId a number',
      event: { type: 'PAYMENT_MISSED', ...EV, accountId: 123456 },
      path: 'accountId',
    },
    { name: 'missing asOf', event: { type: 'PAYMENT_MISSED', accountId: EV.accountId }, path: 'asOf' },
    {
      name: 'asOf without offset',
      event: { type: 'PAYMENT_MISSED', ...EV, asOf: '2026-11-20T06:00:00' },
      path: 'asOf',
    },
    {
      name: 'asOf a date only',
      event: { type: 'FRAUD_HOLD_CLEARED', ...EV, asOf: '2026-11-20' },
      path: 'asOf',
    },
    { name: 'asOf not a date', event: { type: 'PAYMENT_MISSED', ...EV, asOf: 'now' }, path: 'asOf' },
    { name: 'not an object', event: 'PAYMENT_MISSED', path: '' },
    { name: 'null', event: null, path: '' },
  ];
  it.each(BAD)('$name fails at "$path"', ({ event, path, code }) => {
    const issues = expectFailsAt(AccountEventSchema, event, path);
    if (code) expect(issues.map((i) => i.code)).toContain(code);
  });
});

// ------------------------------------------------------------------------------------ batches

describe('the batch envelopes', () => {
  it('MAX_IMPORT_BATCH is the 200 the README promises', () => {
    expect(MAX_IMPORT_BATCH).toBe(200);
  });
  const records = (n: number) => Array.from({ length: n }, () => BASE);
  it.each([
    { name: 'one record', batch: { records: records(1) } },
    { name: 'MAX_IMPORT_BATCH records', batch: { records: records(MAX_IMPORT_BATCH) } },
    { name: 'firstLine 1', batch: { records: records(1), firstLine: 1 } },
    { name: 'firstLine 40001', batch: { records: records(2), firstLine: 40001 } },
    {
      name: '2 invalid records (checked one by one)',
      batch: { records: [1, 'x'] },
    },
  ])('ImportBatchSchema accepts $name', ({ batch }) => {
    expect(expectParses(ImportBatchSchema, batch)).toEqual(batch);
  });
  it.each([
    { name: 'no records', batch: { records: [] }, path: 'records' },
    {
      name: 'MAX_IMPORT_BATCH + 1 records',
      batch: { records: records(MAX_IMPORT_BATCH + 1) },
      path: 'records',
    },
    { name: 'records missing', batch: {}, path: 'records' },
    { name: 'records an object', batch: { records: { 0: BASE } }, path: 'records' },
    { name: 'firstLine 0', batch: { records: records(1), firstLine: 0 }, path: 'firstLine' },
    { name: 'firstLine -1', batch: { records: records(1), firstLine: -1 }, path: 'firstLine' },
    { name: 'firstLine 1.5', batch: { records: records(1), firstLine: 1.5 }, path: 'firstLine' },
    { name: "firstLine '3'", batch: { records: records(1), firstLine: '3' }, path: 'firstLine' },
    { name: 'an extra key', batch: { records: records(1), file: 'a.jsonl' }, path: '' },
  ])('ImportBatchSchema rejects $name at "$path"', ({ batch, path }) => {
    expectFailsAt(ImportBatchSchema, batch, path);
  });

  const event = { type: 'PAYMENT_MISSED', accountId: 'IMP-000001', asOf: '2026-11-20T06:00:00Z' };
  const events = (n: number) => Array.from({ length: n }, () => event);
  it.each([
    { name: 'one event', batch: { events: events(1) } },
    { name: '100 events', batch: { events: events(100) } },
  ])('EventBatchSchema accepts $name', ({ batch }) => {
    expect(expectParses(EventBatchSchema, batch)).toEqual(batch);
  });
  it.each([
    { name: 'no events', batch: { events: [] }, path: 'events' },
    { name: '101 events', batch: { events: events(101) }, path: 'events' },
    { name: 'events missing', batch: {}, path: 'events' },
    { name: 'events a single event', batch: { events: event }, path: 'events' },
    { name: 'an extra key', batch: { events: events(1), firstLine: 1 }, path: '' },
  ])('EventBatchSchema rejects $name at "$path"', ({ batch, path }) => {
    expectFailsAt(EventBatchSchema, batch, path);
  });
});
