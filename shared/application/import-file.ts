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

/** One CSV line → cells (RFC 4180 quoting). */
export function csvCells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

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

/** A quoted CSV cell may hold line breaks, but not this many characters: past it, the quote was never closed. */
const MAX_CSV_ROW = 64 * 1024;
const oddQuotes = (text: string) => (text.split('"').length - 1) % 2 === 1;
const unterminated = (line: number): ParsedLine => ({
  line,
  reject: { line, path: '(line)', message: 'unterminated quoted cell' },
});

/** Lines of JSON Lines or CSV (header first) → records, or a reject for a line that does not parse. */
export async function* parseLines(
  lines: AsyncIterable<string>,
  format: FileFormat,
): AsyncGenerator<ParsedLine> {
  let header: string[] | undefined;
  let n = 0;
  /** A CSV row still inside a quoted cell: its text so far and the line it started on. */
  let open: { text: string; line: number } | undefined;
  for await (const raw of lines) {
    n++;
    // A byte-order mark at the start of the file is not part of the first line.
    const text = n === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (format === 'csv') {
      // RFC 4180: a quoted cell may span lines; the row goes on until its quotes balance.
      const row = open ? { text: `${open.text}\n${text}`, line: open.line } : { text, line: n };
      open = undefined;
      if (oddQuotes(row.text)) {
        if (row.text.length <= MAX_CSV_ROW) open = row;
        else yield unterminated(row.line);
        continue;
      }
      if (row.text.trim() === '') continue;
      if (!header) {
        header = csvCells(row.text).map((h) => h.trim());
        continue;
      }
      yield { line: row.line, record: csvRecord(header, csvCells(row.text)) };
      continue;
    }
    if (text.trim() === '') continue;
    try {
      yield { line: n, record: JSON.parse(text) };
    } catch {
      yield { line: n, reject: { line: n, path: '(line)', message: 'malformed JSON (a truncated line?)' } };
    }
  }
  if (open) yield unterminated(open.line);
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
