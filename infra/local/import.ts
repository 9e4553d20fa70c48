import { createReadStream, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as z from 'zod';
import {
  type BatchResult,
  formatOf,
  type ImportRun,
  importLines,
} from '../../shared/application/import-file';
import { ImportRecordSchema } from '../../shared/schemas/import';
import { TOKEN_HELP, tokenFor } from './authorizer';
import { type Progress, progressReporter } from './progress';

/**
 * `npm run import -- FILE [--url http://127.0.0.1:3000] [--report FILE]`: imports accounts from
 * JSON Lines (or CSV with a header of dotted paths) through the admin API, 200 records a request,
 * a few requests in flight. Bad lines go to a reject report with line, field path and reason; the
 * rest go on. `npm run import -- --schema` prints the record format as JSON Schema.
 */
/** Imports a file through the admin API, 200 records a request, 4 requests in flight; streamed. */
export async function importFile(
  file: string,
  url: string,
  onProgress?: (p: Progress) => void,
  /** The bearer token (default: RD_TOKEN, else an ops token minted with the local issuer's key). */
  token?: string,
): Promise<ImportRun> {
  const bearer = await tokenFor({ url, token, roles: ['ops'] });
  const input = createReadStream(file, 'utf8');
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const bytesTotal = statSync(file).size;
  const t0 = performance.now();
  const send = async (records: unknown[]): Promise<BatchResult> => {
    const res = await fetch(`${url}/v1/admin/accounts/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ records, firstLine: 1 }),
    });
    const body = (await res.json()) as BatchResult & { title?: string; detail?: string };
    if (res.status !== 200)
      throw new Error(`import request refused: ${res.status} ${body.title}: ${body.detail}`);
    return body;
  };
  const progress = (records: number): Progress => ({
    records,
    bytesDone: input.bytesRead,
    bytesTotal,
    elapsedMs: performance.now() - t0,
  });
  const run = await importLines(
    lines,
    formatOf(file),
    send,
    onProgress ? { onProgress: (records) => onProgress(progress(records)) } : {},
  );
  onProgress?.(progress(run.read));
  return run;
}

/** The record format as JSON Schema (what the issuer's systems may send: numbers as text too). */
export const recordJsonSchema = () =>
  z.toJSONSchema(ImportRecordSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.RD_URL ?? 'http://127.0.0.1:3000' },
      report: { type: 'string' },
      schema: { type: 'boolean', default: false },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const usage = `usage: npm run import -- FILE.jsonl|FILE.csv [--url URL] [--report FILE] [--token JWT] | --schema

${TOKEN_HELP}
                  A token it mints is an ops token (the account feed is an operations job).`;
  if (values.help) {
    console.log(usage);
    return;
  }
  if (values.schema) {
    console.log(JSON.stringify(recordJsonSchema(), null, 2));
    return;
  }
  const file = positionals[0];
  if (!file) throw new Error(usage);
  const t0 = performance.now();
  const reporter = progressReporter({ tty: process.stderr.isTTY, write: (s) => process.stderr.write(s) });
  let lastProgress: Progress | undefined;
  const out = await importFile(
    file,
    values.url,
    (p) => {
      lastProgress = p;
      reporter.update(p);
    },
    values.token,
  );
  if (lastProgress) reporter.done(lastProgress);
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `read ${out.read}, imported ${out.imported}, unchanged ${out.unchanged}, stale ${out.stale}, rejected ${out.rejected} in ${secs.toFixed(1)} s (${Math.round(out.read / secs)} records/s)`,
  );
  if (out.rejects.length) {
    const report = values.report ?? `${file}.rejects.jsonl`;
    writeFileSync(report, out.rejects.map((r) => JSON.stringify(r)).join('\n') + '\n');
    console.log(`reject report: ${report}`);
    for (const r of out.rejects.slice(0, 10)) console.log(`  line ${r.line}: ${r.path}: ${r.message}`);
    if (out.rejectsTruncated) console.log(`  (the report lists the first ${out.rejects.length} rejects)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
