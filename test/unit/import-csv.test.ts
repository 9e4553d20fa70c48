import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importBatch } from '../../shared/application/import';
import {
  type BatchResult,
  importLines,
  type ParsedLine,
  parseLines,
} from '../../shared/application/import-file';
import { SALT, TEST_PEPPER } from '../fakes/accounts';
import { memoryImportStore } from '../fakes/import-store';

/**
 * CSV files against the real record schema and importBatch, with an in-memory store: whatever the
 * quoting, every data row is imported or rejected at its line, never neither (issue 9, finding 7).
 */
const FIXTURE = resolve(import.meta.dirname, '../fixtures/import/accounts.jsonl');

const LIST_FIELDS = ['phones', 'productsHeld', 'tags'];
/** The fixture's first record as a CSV header of dotted paths and its cells. */
function flatRecord(): Record<string, string> {
  const rec = JSON.parse(readFileSync(FIXTURE, 'utf8').split('\n')[0]!);
  const flat: Record<string, string> = {};
  const walk = (v: unknown, p: string) => {
    if (Array.isArray(v) && LIST_FIELDS.includes(p)) flat[p] = v.join(';');
    else if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, p ? `${p}.${k}` : k);
    else flat[p] = String(v);
  };
  walk(rec, '');
  return flat;
}
/** RFC 4180 quoting where a cell needs it; `raw` cells are written as they are (a hand-typed export). */
const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

async function* from(lines: string[]) {
  for (const l of lines) yield l;
}
const importCsv = async (text: string) => {
  const { accounts, store } = memoryImportStore();
  const run = await importLines(from(text.split(/\r\n|\r|\n/)), 'csv', (records) =>
    importBatch(records, 1, { store, salt: () => SALT, pepper: TEST_PEPPER }),
  );
  return { run, accounts };
};

describe('CSV: a stray quote in an unquoted cell (12" screen)', () => {
  it('300 rows, a few with 12" screen as product name: every row is imported, none lost', async () => {
    const flat = flatRecord();
    const header = Object.keys(flat);
    const stray = new Set([17, 40, 41, 150, 222, 299]);
    const rows = Array.from({ length: 300 }, (_, i) =>
      header
        .map((h) =>
          h === 'accountId'
            ? `CSV-${String(i).padStart(6, '0')}`
            : h === 'product.name'
              ? stray.has(i)
                ? '12" screen' // as a hand-made export writes it: unquoted, the quote meaning inches
                : 'Summit Rewards'
              : cell(flat[h]!),
        )
        .join(','),
    );
    const { run, accounts } = await importCsv(`${header.join(',')}\n${rows.join('\n')}\n`);
    const neither = 300 - (run.imported + run.unchanged + run.stale + run.rejected);
    expect({ ...run, neither, rejects: run.rejects.length }).toMatchObject({
      read: 300,
      imported: 300,
      rejected: 0,
      neither: 0,
    });
    expect(accounts.get('CSV-000040')?.product.name).toBe('12" screen');
    expect(accounts.get('CSV-000041')?.product.name).toBe('12" screen');
  });
});

const parsed = async (lines: string[]) => {
  const out: ParsedLine[] = [];
  for await (const p of parseLines(from(lines), 'csv')) out.push(p);
  return out;
};
const rejectAt = (line: number, message: string | RegExp) => ({
  line,
  reject: {
    line,
    path: '(line)',
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  },
});

describe('CSV: quotes that do not close where they should', () => {
  it('a cell that opens with a quote and closes mid-cell on its line is taken literally ("Big" Joe)', async () => {
    expect(await parsed(['id,name,note', 'A1,"Big" Joe,x', 'A2,"12" screen,y'])).toEqual([
      { line: 2, record: { id: 'A1', name: '"Big" Joe', note: 'x' } },
      { line: 3, record: { id: 'A2', name: '"12" screen', note: 'y' } },
    ]);
  });

  it('a stray opening quote closed by a later one: its row is rejected and every row after it read', async () => {
    const out = await parsed([
      'id,name',
      'A1,"stray',
      'A2,plain',
      'A3,"stray again',
      'A4,plain',
      'A5,"ok, quoted"',
    ]);
    expect(out).toEqual([
      rejectAt(2, /does not close properly/),
      { line: 3, record: { id: 'A2', name: 'plain' } },
      rejectAt(4, /does not close properly/),
      { line: 5, record: { id: 'A4', name: 'plain' } },
      { line: 6, record: { id: 'A5', name: 'ok, quoted' } },
    ]);
  });

  it('a row with another cell count than the header is rejected; spanning lines, the lines after it are read again', async () => {
    const out = await parsed(['id,name', 'A1,x,extra', 'A2', 'A3,"two', 'lines",extra', 'A4,y']);
    expect(out).toEqual([
      rejectAt(2, '3 cells where the header has 2'),
      rejectAt(3, '1 cells where the header has 2'),
      rejectAt(4, '3 cells where the header has 2'),
      // The rest of the broken row, read again as a row (the record schema then judges it).
      { line: 5, record: { id: 'lines"', name: 'extra' } },
      { line: 6, record: { id: 'A4', name: 'y' } },
    ]);
  });

  it('a BOM, blank lines and lines of spaces are not rows; CRLF files read the same', async () => {
    const text = '\uFEFFid,name\r\n\r\n  \r\nA1,"a\r\nb"\r\n\r\nA2,c\r\n';
    expect(await parsed(text.split(/\r\n|\r|\n/))).toEqual([
      { line: 4, record: { id: 'A1', name: 'a\nb' } },
      { line: 7, record: { id: 'A2', name: 'c' } },
    ]);
  });
});

// ------------------------------------------------------------------------------ properties (fast-check)

/** Characters that break hand-written parsers, and some text around them. */
const HOSTILE = [
  '"',
  '""',
  ',',
  '\r',
  '\n',
  '\r\n',
  ' ',
  ';',
  '\uFEFF',
  '\u00A0',
  'é',
  'e\u0301',
  '李',
  '🙂',
  'x',
];
const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 3 })), {
    maxLength: 6,
  })
  .map((parts) => parts.join(''));
/** A cell as a writer would put it: quoted (RFC 4180) whatever it holds, or bare when it can be. */
const quotedCell = hostileText.map((v) => ({ value: v, text: `"${v.replace(/"/g, '""')}"` }));
/** A bare cell: no comma or line break, not opening with a quote, but quotes inside (12" screen). */
const bareCell = hostileText
  .map((v) => v.replace(/[,\r\n]/g, ''))
  .filter((v) => !v.startsWith('"'))
  .map((v) => ({ value: v, text: v }));
/** What the record holds for a cell: lines as the file's reader splits them; empty cells absent. */
const expected = (header: string[], values: string[]) =>
  Object.fromEntries(
    values
      .map((v, i) => [header[i]!, v.replace(/\r\n|\r/g, '\n')] as const)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => [k, v === 'true' ? true : v === 'false' ? false : v]),
  );
const linesOf = (text: string) => text.split(/\r\n|\r|\n/);
const accept = async (records: unknown[]): Promise<BatchResult> => ({
  read: records.length,
  imported: records.length,
  unchanged: 0,
  stale: 0,
  rejected: 0,
  rejects: [],
});

describe('CSV properties: nothing is lost', () => {
  it('any cells, quoted or bare with quotes inside: every row comes back whole, at its first line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }).chain((width) =>
          fc.record({
            width: fc.constant(width),
            rows: fc.array(fc.array(fc.oneof(quotedCell, bareCell), { minLength: width, maxLength: width }), {
              maxLength: 30,
            }),
            eol: fc.constantFrom('\n', '\r\n'),
            bom: fc.boolean(),
            trailing: fc.boolean(),
          }),
        ),
        async ({ width, rows, eol, bom, trailing }) => {
          const header = Array.from({ length: width }, (_, i) => `c${i}`);
          const rowTexts = rows.map((r) => r.map((c) => c.text).join(','));
          const text = `${bom ? '\uFEFF' : ''}${[header.join(','), ...rowTexts].join(eol)}${trailing ? eol : ''}`;
          let line = 2;
          const want = rows.map((r, i) => {
            const at = line;
            line += linesOf(rowTexts[i]!).length;
            return {
              line: at,
              record: expected(
                header,
                r.map((c) => c.value),
              ),
            };
          });
          expect(await parsed(linesOf(text))).toEqual(want);
          const run = await importLines(from(linesOf(text)), 'csv', accept);
          expect(run.imported + run.unchanged + run.stale + run.rejected).toBe(rows.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stray opening quotes (a bare cell starting with ", never closed): that row is rejected at its line, every other row read', async () => {
    const plain = fc.string({ unit: 'grapheme', maxLength: 5 }).map((v) => v.replace(/[",\r\n]/g, ''));
    const stray = plain.filter((v) => v !== '').map((v) => `"${v}`);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }).chain((width) =>
          fc.record({
            width: fc.constant(width),
            rows: fc.array(
              fc.record({
                cells: fc.array(plain, { minLength: width, maxLength: width }),
                stray: fc.option(fc.tuple(fc.nat(width - 1), stray), { freq: 3 }),
              }),
              { minLength: 1, maxLength: 40 },
            ),
          }),
        ),
        async ({ width, rows }) => {
          const header = Array.from({ length: width }, (_, i) => `c${i}`);
          const lines = [
            header.join(','),
            ...rows.map(({ cells, stray }) =>
              cells.map((c, i) => (stray && stray[0] === i ? stray[1] : c)).join(','),
            ),
          ];
          // A row of empty cells is still a row (its commas), so every line after the header is one.
          const want = rows.map(({ cells, stray }, i) =>
            stray
              ? { line: i + 2, reject: expect.objectContaining({ line: i + 2, path: '(line)' }) }
              : { line: i + 2, record: expected(header, cells) },
          );
          expect(await parsed(lines)).toEqual(want);
          const run = await importLines(from(lines), 'csv', accept);
          expect(run).toMatchObject({
            read: rows.length,
            imported: rows.filter((r) => !r.stray).length,
            rejected: rows.filter((r) => r.stray).length,
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
