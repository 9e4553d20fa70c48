import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import type { ImportCounts, Reject } from '../../shared/application/import';
import { ImportRecordSchema, MAX_IMPORT_BATCH } from '../../shared/schemas/import';

/**
 * `npm run import -- FILE [--url http://127.0.0.1:3000] [--report FILE]`: imports accounts from
 * JSON Lines (or CSV with a header of dotted paths) through the admin API, 200 records a request,
 * a few requests in flight. Bad lines go to a reject report with line, field path and reason; the
 * rest go on. `npm run import -- --schema` prints the record format as JSON Schema.
 */
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

/** A CSV row under a header of dotted paths → the nested record (`a.b`, `list.0`; `phones` etc. split on `;`). */
export function csvRecord(header: readonly string[], cells: readonly string[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  header.forEach((path, i) => {
    const raw = cells[i] ?? '';
    if (raw === '') return;
    const keys = path.split('.');
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

/** Reads a JSON Lines or CSV file line by line (large files are streamed). */
export async function* readRecords(file: string): AsyncGenerator<ParsedLine> {
  const csv = file.toLowerCase().endsWith('.csv');
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let header: string[] | undefined;
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    if (csv) {
      if (!header) {
        header = csvCells(text).map((h) => h.trim());
        continue;
      }
      yield { line: n, record: csvRecord(header, csvCells(text)) };
    } else {
      try {
        yield { line: n, record: JSON.parse(text) };
      } catch {
        yield { line: n, reject: { line: n, path: '(line)', message: 'malformed JSON (a truncated line?)' } };
      }
    }
  }
}

/** Imports a file through the admin API; returns the counts and the reject report. */
export async function importFile(
  file: string,
  url: string,
  onProgress?: (done: number) => void,
): Promise<ImportCounts & { rejects: Reject[] }> {
  const totals: ImportCounts = { read: 0, imported: 0, unchanged: 0, stale: 0, rejected: 0 };
  const rejects: Reject[] = [];
  const inFlight = new Set<Promise<void>>();
  const send = async (batch: Array<{ line: number; record: unknown }>) => {
    // Lines are sent one request per batch; each record's line number comes back on its rejects.
    const res = await fetch(`${url}/v1/admin/accounts/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: batch.map((b) => b.record), firstLine: 1 }),
    });
    const body = (await res.json()) as ImportCounts & { rejects: Reject[]; title?: string; detail?: string };
    if (res.status !== 200)
      throw new Error(`import request refused: ${res.status} ${body.title}: ${body.detail}`);
    for (const k of ['imported', 'unchanged', 'stale', 'rejected'] as const) totals[k] += body[k];
    totals.read += batch.length;
    rejects.push(...body.rejects.map((r) => ({ ...r, line: batch[r.line - 1]!.line })));
    onProgress?.(totals.read + rejects.length);
  };
  let batch: Array<{ line: number; record: unknown }> = [];
  const flush = async () => {
    if (!batch.length) return;
    const p = send(batch).finally(() => inFlight.delete(p));
    batch = [];
    inFlight.add(p);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  };
  for await (const l of readRecords(file)) {
    if (l.reject) {
      rejects.push(l.reject);
      totals.read++;
      totals.rejected++;
      continue;
    }
    batch.push({ line: l.line, record: l.record });
    if (batch.length >= MAX_IMPORT_BATCH) await flush();
  }
  await flush();
  await Promise.all(inFlight);
  rejects.sort((a, b) => a.line - b.line || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { ...totals, rejects };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.RD_URL ?? 'http://127.0.0.1:3000' },
      report: { type: 'string' },
      schema: { type: 'boolean', default: false },
    },
  });
  if (values.schema) {
    console.log(
      JSON.stringify(z.toJSONSchema(ImportRecordSchema, { io: 'input', unrepresentable: 'any' }), null, 2),
    );
    return;
  }
  const file = positionals[0];
  if (!file)
    throw new Error('usage: npm run import -- FILE.jsonl|FILE.csv [--url URL] [--report FILE] | --schema');
  const t0 = performance.now();
  const tty = process.stderr.isTTY;
  const out = await importFile(file, values.url, (done) => {
    if (!tty) return;
    const rate = done / ((performance.now() - t0) / 1000);
    process.stderr.write(
      `\r${done.toLocaleString('en-US')} records, ${Math.round(rate).toLocaleString('en-US')}/s   `,
    );
  });
  if (tty) process.stderr.write('\n');
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `read ${out.read}, imported ${out.imported}, unchanged ${out.unchanged}, stale ${out.stale}, rejected ${out.rejected} in ${secs.toFixed(1)} s (${Math.round(out.read / secs)} records/s)`,
  );
  if (out.rejects.length) {
    const report = values.report ?? `${file}.rejects.jsonl`;
    writeFileSync(report, out.rejects.map((r) => JSON.stringify(r)).join('\n') + '\n');
    console.log(`reject report: ${report}`);
    for (const r of out.rejects.slice(0, 10)) console.log(`  line ${r.line}: ${r.path}: ${r.message}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
