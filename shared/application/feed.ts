import * as z from 'zod';
import type { AccountImportStore, ObjectStore } from '../ports';
import { applyAccountEvent, type EventOutcome, type ImportDeps, importBatch } from './import';
import { type FileFormat, formatOf, type ImportRun, importLines } from './import-file';
import type { Placer } from './strategies';
import { zodErrors } from './validation';

/**
 * The account feed on AWS: files dropped in the import bucket, change events on the event bus.
 * The same import and event code as the admin API; only the carriers differ.
 */
export const INCOMING_PREFIX = 'incoming/';
export const REPORTS_PREFIX = 'reports/';
export const ACCOUNT_CHANGE_DETAIL_TYPE = 'Account Change';

/** The S3 notification, as far as the import reads it. Keys arrive URL-encoded, spaces as `+`. */
export const S3EventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string().startsWith('ObjectCreated:'),
        s3: z.object({
          bucket: z.object({ name: z.string().min(1) }),
          object: z.object({ key: z.string().min(1).max(1024) }),
        }),
      }),
    )
    .min(1),
});
export const objectKey = (encoded: string) => decodeURIComponent(encoded.replace(/\+/g, ' '));

export interface ImportSummary {
  source: string;
  format: FileFormat;
  startedAt: string;
  finishedAt: string;
  read: number;
  imported: number;
  unchanged: number;
  stale: number;
  rejected: number;
  /** Where the reject report is (only when there are rejects). */
  rejectsKey?: string;
  rejectsTruncated?: boolean;
}

/** `incoming/2026/11/accounts.jsonl` → `reports/2026/11/accounts.jsonl.summary.json` and `….rejects.jsonl`. */
export function reportKeys(key: string): { summary: string; rejects: string } {
  const name = key.startsWith(INCOMING_PREFIX) ? key.slice(INCOMING_PREFIX.length) : key;
  return {
    summary: `${REPORTS_PREFIX}${name}.summary.json`,
    rejects: `${REPORTS_PREFIX}${name}.rejects.jsonl`,
  };
}

/**
 * Imports one object of the bucket and writes its report beside the others: a summary with the
 * counts, and the rejects (line, field path, reason; never a value) as JSON Lines. Safe to run
 * twice on the same object: the second run finds every account `unchanged`.
 */
export async function importObject(
  key: string,
  deps: { objects: ObjectStore; importer: ImportDeps; now: () => string; parallel?: number },
): Promise<ImportSummary> {
  const startedAt = deps.now();
  const format = formatOf(key);
  const run: ImportRun = await importLines(
    deps.objects.lines(key),
    format,
    (records) => importBatch(records, 1, deps.importer),
    { parallel: deps.parallel ?? 4 },
  );
  const keys = reportKeys(key);
  const { rejects, rejectsTruncated, ...counts } = run;
  if (rejects.length)
    await deps.objects.put(
      keys.rejects,
      `${rejects.map((r) => JSON.stringify(r)).join('\n')}\n`,
      'application/x-ndjson',
    );
  const summary: ImportSummary = {
    source: key,
    format,
    startedAt,
    finishedAt: deps.now(),
    ...counts,
    ...(rejects.length ? { rejectsKey: keys.rejects, rejectsTruncated } : {}),
  };
  await deps.objects.put(keys.summary, `${JSON.stringify(summary, null, 2)}\n`, 'application/json');
  return summary;
}

/** An EventBridge event on the account bus: the detail is one account change. */
export const AccountChangeEnvelopeSchema = z.object({
  'detail-type': z.literal(ACCOUNT_CHANGE_DETAIL_TYPE),
  id: z.string().min(1),
  detail: z.unknown(),
});

/** One EventBridge delivery → the event applied under the `asOf` guard, or refused with its fields. */
export async function applyChangeEvent(
  event: unknown,
  store: AccountImportStore,
  placer?: Placer,
): Promise<EventOutcome> {
  const envelope = AccountChangeEnvelopeSchema.safeParse(event);
  if (!envelope.success)
    return {
      result: 'rejected',
      errors: zodErrors(envelope.error, ''),
    };
  return applyAccountEvent(envelope.data.detail, store, placer);
}
