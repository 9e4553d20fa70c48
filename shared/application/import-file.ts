import { Parser } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { MAX_IMPORT_BATCH } from '../schemas/import';
import type { ImportCounts, Reject } from './import';

/**
 * Import files, whatever carries them (a local file for `npm run import`, an S3 object for the
 * ImportAccounts function): lines in, records parsed, sent on in batches, counts and rejects out.
 * Streaming: memory holds a few batches, never the file.
 */
export type FileFormat = 'jsonl' | 'csv';
export const formatOf = (name: string): FileFormat => (name.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl');

/** Lists that a CSV cell carries `;`-separated. */
const LIST_FIELDS = new Set(['phones', 'productsHeld', 'tags']);

/** Path segments that would reach an object's prototype: a header naming one is refused. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A CSV row under a header of dotted paths → the nested record (`a.b`, `list.0`; `phones` etc. split on `;`). */
export function csvRecord(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  header.forEach((path, i) => {
    const raw = cells[i] ?? '';
    if (raw === '') return;
    const keys = path.split('.');
    if (keys.some((k) => UNSAFE_KEYS.has(k))) return;
    let o: Record<string, unknown> = root;
    keys.slice(0, -1).forEach((k, j) => {
      const nextIsIndex = /^\d+$/.test(keys[j + 1]!);
      o[k] ??= nextIsIndex ? [] : {};
      o = o[k] as Record<string, unknown>;
    });
    const last = keys.at(-1)!;
    o[last] = LIST_FIELDS.has(path)
      ? raw
          .split(';')
          .map((s) => s.trim())
          .filter(Boolean)
      : raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw;
  });
  return root;
}

export interface ParsedLine {
  line: number;
  record?: unknown;
  reject?: Reject;
}

/** Lines of JSON Lines or CSV (header first) → records, or a reject for a line that does not parse. */
export async function* parseLines(
  lines: AsyncIterable<string>,
  format: FileFormat,
): AsyncGenerator<ParsedLine> {
  if (format === 'csv') {
    let header: string[] | undefined;
    for await (const row of csvRows(lines)) {
      if ('reject' in row) yield row;
      else if (!header) header = row.cells.map((h) => h.trim());
      else yield { line: row.line, record: csvRecord(header, row.cells) };
    }
    return;
  }
  let n = 0;
  for await (const raw of lines) {
    n++;
    // A byte-order mark at the start of the file is not part of the first line.
    const text = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    try {
      yield { line: n, record: JSON.parse(text) };
    } catch {
      yield { line: n, reject: { line: n, path: '(line)', message: 'malformed JSON (a truncated line?)' } };
    }
  }
}

/**
 * A row that spans lines may hold at most this much after its first line: past it, the quote that
 * opened it is taken as never closed.
 */
const MAX_CSV_CONTINUATION = 64 * 1024;

type CsvRow = { line: number; cells: string[] } | { line: number; reject: Reject };
/** A line fed to the parser: its number in the file and the byte offset just past its line break. */
interface Fed {
  n: number;
  text: string;
  end: number;
}
const isBlank = (text: string) => text.trim() === '';
const rowReject = (line: number, message: string): CsvRow => ({
  line,
  reject: { line, path: '(line)', message },
});

/**
 * csv-parse, lenient where RFC 4180 is silent: a quote inside an unquoted cell is taken literally
 * (`12" screen`, as Excel reads it); the cell count is checked here against the header's.
 */
const newParser = () =>
  new Parser({
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    record_delimiter: '\n',
    info: true,
  });

/**
 * A row that spans lines must be strict RFC 4180: a quote inside a quoted cell is doubled or closes
 * the cell before a comma or the line's end. Otherwise a stray quote opened the cell and swallowed
 * the lines after it. (A quote inside an unquoted cell stays literal, as on one line.)
 */
function strictMultiLine(text: string): boolean {
  const codes: string[] = [];
  parseSync(text, {
    relax_column_count: true,
    record_delimiter: '\n',
    skip_records_with_error: true,
    on_skip: (err) => {
      codes.push(err?.code ?? 'unknown');
      return undefined;
    },
  });
  return codes.every((c) => c === 'INVALID_OPENING_QUOTE');
}

/**
 * CSV lines → rows (the header first), each numbered by its first line, or a reject at that line.
 * Every row of the file comes out as one or the other: a row whose quoted cell does not close
 * (at the end of the file, within 64 KB, or properly) is rejected at its first line and the lines
 * after it are read again as rows, so a stray quote costs its own row only.
 */
async function* csvRows(lines: AsyncIterable<string>): AsyncGenerator<CsvRow> {
  const source = lines[Symbol.asyncIterator]();
  /** Lines to read again after a rejected row, before the rest of the source. */
  const replay: Array<{ n: number; text: string }> = [];
  let parser: Parser | undefined;
  let failure: unknown;
  /** Lines fed to the parser and not yet part of a row it gave back (leading blank lines dropped). */
  let fed: Fed[] = [];
  let bytes = 0;
  let n = 0;
  let exhausted = false;
  /** The header's cell count, once the header is read. */
  let cells: number | undefined;
  const restart = () => {
    parser?.destroy();
    parser = newParser();
    parser.on('error', (e: { code?: string }) => {
      // The file ended inside a quoted cell: that row is rejected below.
      if (e.code !== 'CSV_QUOTE_NOT_CLOSED') failure ??= e;
    });
    fed = [];
    bytes = 0;
  };
  /** The row that starts at `first` is rejected: the lines after it are read again, as rows. */
  const reread = (first: Fed, pending: Fed[]) => {
    replay.unshift(...pending.filter((f) => f.n > first.n).map(({ n, text }) => ({ n, text })));
    restart();
  };
  restart();
  while (true) {
    const p = parser!;
    let next = replay.shift();
    if (!next && !exhausted) {
      const r = await source.next();
      if (r.done) exhausted = true;
      else {
        n++;
        // A byte-order mark at the start of the file is not part of the first line.
        next = { n, text: n === 1 ? r.value.replace(/^\uFEFF/, '') : r.value };
      }
    }
    const out: Array<{ record: string[]; info: { bytes: number } }> = [];
    if (next) {
      // One line a write: the parser gives its rows back at once (its info.bytes says where each ends).
      const chunk = `${next.text}\n`;
      bytes += Buffer.byteLength(chunk);
      if (fed.length || !isBlank(next.text)) fed.push({ ...next, end: bytes });
      p.write(chunk);
      for (let o = p.read(); o !== null; o = p.read()) out.push(o);
    } else {
      p.end();
      try {
        for await (const o of p) out.push(o);
      } catch (e) {
        if ((e as { code?: string }).code !== 'CSV_QUOTE_NOT_CLOSED') throw e;
      }
    }
    if (failure) throw failure;
    let reading = true;
    for (const { record, info } of out) {
      const mine = fed.filter((f) => f.end <= info.bytes);
      const rest = fed.filter((f) => f.end > info.bytes);
      fed = rest;
      const at = mine.findIndex((f) => !isBlank(f.text));
      const first = mine[at];
      if (!first) continue; // a line of spaces
      const rowLines = mine.slice(at);
      const multiLine = rowLines.length > 1;
      if (multiLine && !strictMultiLine(`${rowLines.map((f) => f.text).join('\n')}\n`)) {
        yield rowReject(
          first.n,
          'a quoted cell opened on this line does not close properly (a stray quote?)',
        );
        reread(first, [...rowLines, ...rest]);
        reading = false;
        break;
      }
      if (cells !== undefined && record.length !== cells) {
        yield rowReject(first.n, `${record.length} cells where the header has ${cells}`);
        // Spanning lines with the wrong cell count: a stray quote may have swallowed rows.
        if (multiLine) {
          reread(first, [...rowLines, ...rest]);
          reading = false;
          break;
        }
        continue;
      }
      cells ??= record.length;
      yield { line: first.n, cells: record };
    }
    if (!reading) continue;
    const open = fed.find((f) => !isBlank(f.text));
    if (next && !(open && bytes - open.end > MAX_CSV_CONTINUATION)) continue;
    if (!open) return;
    // The file ended inside a quoted cell, or the cell went on past the bound.
    yield rowReject(open.n, 'unterminated quoted cell');
    reread(open, fed);
  }
}

export type BatchResult = ImportCounts & { rejects: Reject[] };
export interface ImportRun extends ImportCounts {
  /** The first `maxRejects` rejects, by line; the counts are exact whatever their number. */
  rejects: Reject[];
  rejectsTruncated: boolean;
}

/**
 * Sends the file's records in batches of at most MAX_IMPORT_BATCH, `parallel` batches at a time,
 * to `send` (the admin API, or importBatch directly); each reject is given its line in the file.
 */
export async function importLines(
  lines: AsyncIterable<string>,
  format: FileFormat,
  send: (records: unknown[]) => Promise<BatchResult>,
  opts: { parallel?: number; maxRejects?: number; onProgress?: (linesDone: number) => void } = {},
): Promise<ImportRun> {
  const parallel = opts.parallel ?? 4;
  const maxRejects = opts.maxRejects ?? 100_000;
  const totals: ImportCounts = { read: 0, imported: 0, unchanged: 0, stale: 0, rejected: 0 };
  let rejects: Reject[] = [];
  let truncated = false;
  const keep = (more: Reject[]) => {
    rejects.push(...more);
    if (rejects.length > maxRejects * 2) {
      rejects = sortRejects(rejects).slice(0, maxRejects);
      truncated = true;
    }
  };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const run = async (batch: Array<{ line: number; record: unknown }>) => {
    const out = await send(batch.map((b) => b.record));
    for (const k of ['imported', 'unchanged', 'stale', 'rejected'] as const) totals[k] += out[k];
    totals.read += batch.length;
    // importBatch numbers a batch's records from 1: back to the file's lines.
    keep(out.rejects.map((r) => ({ ...r, line: batch[r.line - 1]!.line })));
    opts.onProgress?.(totals.read);
  };
  let batch: Array<{ line: number; record: unknown }> = [];
  const flush = async () => {
    if (!batch.length) return;
    const p = run(batch)
      .catch((e: unknown) => {
        failure ??= e;
      })
      .finally(() => inFlight.delete(p));
    batch = [];
    inFlight.add(p);
    if (inFlight.size >= parallel) await Promise.race(inFlight);
  };
  for await (const l of parseLines(lines, format)) {
    if (failure) break;
    if (l.reject) {
      keep([l.reject]);
      totals.read++;
      totals.rejected++;
      continue;
    }
    batch.push({ line: l.line, record: l.record });
    if (batch.length >= MAX_IMPORT_BATCH) await flush();
  }
  if (!failure) await flush();
  await Promise.all(inFlight);
  if (failure) throw failure;
  const sorted = sortRejects(rejects);
  return {
    ...totals,
    rejects: sorted.slice(0, maxRejects),
    rejectsTruncated: truncated || sorted.length > maxRejects,
  };
}

const sortRejects = (rs: Reject[]) =>
  [...rs].sort((a, b) => a.line - b.line || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
