import { describe, expect, it } from 'vitest';
import { type BatchResult, importLines, parseLines } from '../../shared/application/import-file';
import { MAX_IMPORT_BATCH } from '../../shared/schemas/import';

async function* from(lines: string[]) {
  for (const l of lines) yield l;
}
const all = async (lines: string[], format: 'jsonl' | 'csv') => {
  const out = [];
  for await (const p of parseLines(from(lines), format)) out.push(p);
  return out;
};

describe('parseLines: JSON Lines', () => {
  it('numbers records by their line; blank lines are skipped; a broken line is a reject; a BOM is dropped', async () => {
    const out = await all(['\uFEFF{"a":1}', '', '{"a":', '  ', '{"a":3}'], 'jsonl');
    expect(out).toEqual([
      { line: 1, record: { a: 1 } },
      { line: 3, reject: { line: 3, path: '(line)', message: expect.stringContaining('malformed JSON') } },
      { line: 5, record: { a: 3 } },
    ]);
  });
});

describe('parseLines: CSV (RFC 4180)', () => {
  it('reads quoted commas, doubled quotes, lists and dotted paths', async () => {
    const out = await all(
      [
        'accountId,name,phones,product.code,monthlySpend.0',
        'ACC-000001,"Ó\'Brien, ""Jo""",+15555550100;+15555550101,GOLD,12.5',
      ],
      'csv',
    );
    expect(out).toEqual([
      {
        line: 2,
        record: {
          accountId: 'ACC-000001',
          name: 'Ó\'Brien, "Jo"',
          phones: ['+15555550100', '+15555550101'],
          product: { code: 'GOLD' },
          monthlySpend: ['12.5'],
        },
      },
    ]);
  });

  it('a quoted cell may span lines: the row is numbered by its first line, the next rows by theirs', async () => {
    const out = await all(['accountId,name', 'ACC-000001,"first', 'second"', 'ACC-000002,plain'], 'csv');
    expect(out).toEqual([
      { line: 2, record: { accountId: 'ACC-000001', name: 'first\nsecond' } },
      { line: 4, record: { accountId: 'ACC-000002', name: 'plain' } },
    ]);
  });

  it('a quote never closed is rejected at the line it opened, and the lines after it are read as rows', async () => {
    expect(await all(['accountId,name', 'ACC-000001,"never closed', 'ACC-000002,more'], 'csv')).toEqual([
      { line: 2, reject: { line: 2, path: '(line)', message: 'unterminated quoted cell' } },
      { line: 3, record: { accountId: 'ACC-000002', name: 'more' } },
    ]);
  });

  it('past 64 KB of lines the quote is taken as never closed: the row is rejected, the next ones read', async () => {
    const long = Array.from(
      { length: 100 },
      (_, i) => `ACC-${String(i).padStart(6, '0')},${'x'.repeat(1000)}`,
    );
    const out = await all(['accountId,name', 'ACC-000001,"open', ...long], 'csv');
    expect(out[0]).toEqual({
      line: 2,
      reject: { line: 2, path: '(line)', message: 'unterminated quoted cell' },
    });
    expect(out.slice(1).map((o) => o.line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 3));
    expect(out.slice(1).every((o) => o.record)).toBe(true);
  });

  it('a header reaching an object prototype is ignored', async () => {
    const out = await all(
      ['accountId,__proto__.polluted,constructor.prototype.x', 'ACC-000001,yes,yes'],
      'csv',
    );
    expect(out).toEqual([{ line: 2, record: { accountId: 'ACC-000001' } }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('empty cells, a trailing comma, a quoted comma: the cells of the header', async () => {
    expect(await all(['a,b,c,d', 'x,,"y,z",'], 'csv')).toEqual([{ line: 2, record: { a: 'x', c: 'y,z' } }]);
  });
});

describe('importLines', () => {
  const accept = async (records: unknown[]): Promise<BatchResult> => ({
    read: records.length,
    imported: records.length,
    unchanged: 0,
    stale: 0,
    rejected: 0,
    rejects: [],
  });

  it('sends batches of at most MAX_IMPORT_BATCH and maps each reject back to its line in the file', async () => {
    const lines = Array.from({ length: 450 }, (_, i) => (i === 300 ? '{' : JSON.stringify({ n: i })));
    const sizes: number[] = [];
    const out = await importLines(from(lines), 'jsonl', async (records) => {
      sizes.push(records.length);
      // The batch says its second record is bad (numbered from 1 within the batch).
      return {
        ...(await accept(records)),
        imported: records.length - 1,
        rejected: 1,
        rejects: [{ line: 2, path: 'x', message: 'bad' }],
      };
    });
    expect(sizes).toEqual([MAX_IMPORT_BATCH, MAX_IMPORT_BATCH, 49]);
    expect(out.read).toBe(450);
    expect(out.rejected).toBe(4);
    expect(out.rejects.map((r) => r.line)).toEqual([2, 202, 301, 403]);
  });

  it('keeps the first rejects when there are too many; the counts stay exact', async () => {
    const out = await importLines(from(Array.from({ length: 50 }, () => '{')), 'jsonl', accept, {
      maxRejects: 10,
    });
    expect(out.rejected).toBe(50);
    expect(out.rejects.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(out.rejectsTruncated).toBe(true);
  });

  it('a failing batch fails the run, and reading stops', async () => {
    let pulled = 0;
    async function* counted() {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        yield JSON.stringify({ n: i });
      }
    }
    await expect(
      importLines(counted(), 'jsonl', async () => {
        throw new Error('ThrottlingException past its retries');
      }),
    ).rejects.toThrow(/Throttling/);
    expect(pulled).toBeLessThan(2_000);
  });
});
