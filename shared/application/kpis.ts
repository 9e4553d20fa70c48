// The KPI report: the aggregates fed from the offer log's stream, and the report asked of them.

import * as z from 'zod';
import { KPI_GROUP_KEYS, type KpiGroupKey, type KpiReport, kpiReport } from '../domain/kpis';
import type { KpiApplied, KpiStore, StreamedEvent } from '../ports';
import { type OfferLogEvent, OfferLogEventSchema } from '../schemas/contact';
import { lazy } from '../schemas/lazy';
import { type ValidationError, zodErrors } from './validation';

/**
 * What the offer log's stream hands the aggregator (Lambda's DynamoDB event with a tumbling window:
 * the window's fields carry the shard id, which the checkpoint is kept by). Only what is read is
 * checked; the rest of each record passes.
 */
export const KpiStreamEventSchema = lazy(() =>
  z.object({
    shardId: z.string().min(1, 'the shard id is needed (the event source mapping needs a tumbling window)'),
    Records: z.array(
      z.object({
        eventName: z.string(),
        dynamodb: z.object({
          SequenceNumber: z.string().regex(/^\d{1,64}$/, 'must be a decimal sequence number'),
          NewImage: z.record(z.string(), z.unknown()).optional(),
        }),
      }),
    ),
  }),
);

export interface StreamBatchOutcome extends KpiApplied {
  /** New log entries that are not offer-log events (never expected: logged and skipped, not counted). */
  unreadable: { sequenceNumber: string; errors: ValidationError[] }[];
}

/**
 * Adds a batch of the offer log's stream to the daily aggregates. New entries (INSERT) are counted;
 * changes (an erasure's pseudonym) and deletions (TTL) change no figure. A record that is not an
 * offer-log event is reported and passed over, so one bad item cannot stop the shard. Storage faults
 * are thrown: Lambda hands the batch over again, and what was counted is skipped by the checkpoint.
 */
export async function aggregateStreamBatch(
  event: unknown,
  store: KpiStore,
  /** DynamoDB's attribute-value image to the item it is (the adapter's unmarshall). */
  decode: (image: Record<string, unknown>) => unknown,
  nowEpochS: number,
): Promise<{ ok: true; outcome: StreamBatchOutcome } | { ok: false; errors: ValidationError[] }> {
  const batch = readStreamBatch(event, decode);
  if (!batch.ok) return batch;
  const applied = await store.apply(batch.shardId, batch.records, nowEpochS);
  return { ok: true, outcome: { ...applied, unreadable: batch.unreadable } };
}

/**
 * A batch of the offer log's stream, read: its shard, each record as an offer-log event (INSERTs;
 * none for a change or a deletion), and the new entries that are not offer-log events (reported).
 */
export function readStreamBatch(
  event: unknown,
  decode: (image: Record<string, unknown>) => unknown,
):
  | { ok: true; shardId: string; records: StreamedEvent[]; unreadable: StreamBatchOutcome['unreadable'] }
  | { ok: false; errors: ValidationError[] } {
  const parsed = KpiStreamEventSchema.safeParse(event);
  if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error, 'event') };
  const unreadable: StreamBatchOutcome['unreadable'] = [];
  const records: StreamedEvent[] = parsed.data.Records.map((r, i) => {
    const sequenceNumber = r.dynamodb.SequenceNumber;
    if (r.eventName !== 'INSERT') return { sequenceNumber, event: undefined };
    let e: OfferLogEvent | undefined;
    try {
      const image = decode(r.dynamodb.NewImage ?? {});
      const p = OfferLogEventSchema.safeParse(image);
      if (p.success) e = p.data;
      else unreadable.push({ sequenceNumber, errors: zodErrors(p.error, `Records.${i}.NewImage`) });
    } catch {
      unreadable.push({
        sequenceNumber,
        errors: [{ path: `Records.${i}.NewImage`, message: 'not a DynamoDB image' }],
      });
    }
    return { sequenceNumber, event: e };
  });
  return { ok: true, shardId: parsed.data.shardId, records, unreadable };
}

/** The longest range a report covers. */
export const MAX_REPORT_DAYS = 366;

const DaySchema = lazy(() => z.iso.date({ message: 'must be a calendar date, YYYY-MM-DD (UTC)' }));

/**
 * The report's query: `from` and `to` (UTC days, inclusive; by default the 30 days to today),
 * `groupBy` a comma list of up to three of KPI_GROUP_KEYS. Every parameter is given at most once;
 * any other parameter is refused by name.
 */
export const KpiQuerySchema = lazy(() =>
  z
    .strictObject({
      from: DaySchema.optional(),
      to: DaySchema.optional(),
      groupBy: z
        .string()
        .max(200)
        .transform((s, ctx) => {
          const keys = s.split(',').map((k) => k.trim());
          for (const k of keys)
            if (!(KPI_GROUP_KEYS as readonly string[]).includes(k)) {
              ctx.addIssue({
                code: 'custom',
                message: `unknown key "${k.slice(0, 40)}": one of ${KPI_GROUP_KEYS.join(', ')}`,
              });
              return z.NEVER;
            }
          if (new Set(keys).size !== keys.length) {
            ctx.addIssue({ code: 'custom', message: 'a key is given twice' });
            return z.NEVER;
          }
          if (keys.length > 3) {
            ctx.addIssue({ code: 'custom', message: 'at most 3 keys' });
            return z.NEVER;
          }
          return keys as KpiGroupKey[];
        })
        .optional(),
    })
    .optional(),
);

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Reads the query (API Gateway's single- and multi-value parameters) into a range and a grouping,
 * or the errors naming each bad parameter.
 */
export function readKpiQuery(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
  now: string,
): { ok: true; from: string; to: string; groupBy: KpiGroupKey[] } | { ok: false; errors: ValidationError[] } {
  const twice = Object.entries(multi ?? {})
    .filter(([, v]) => (v?.length ?? 0) > 1)
    .map(([k]) => ({ path: `query.${k}`, message: 'given more than once' }));
  if (twice.length) return { ok: false, errors: twice };
  const q = KpiQuerySchema.safeParse(single ?? undefined);
  if (!q.success) return { ok: false, errors: zodErrors(q.error, 'query') };
  const today = now.slice(0, 10);
  const to = q.data?.to ?? (q.data?.from && q.data.from > today ? q.data.from : today);
  const from = q.data?.from ?? dayOf(Date.parse(to) - 29 * DAY_MS);
  const errors: ValidationError[] = [];
  if (from > to) errors.push({ path: 'query.from', message: `is after to (${to})` });
  else if ((Date.parse(to) - Date.parse(from)) / DAY_MS + 1 > MAX_REPORT_DAYS)
    errors.push({ path: 'query.to', message: `the range is over ${MAX_REPORT_DAYS} days` });
  if (errors.length) return { ok: false, errors };
  return { ok: true, from, to, groupBy: q.data?.groupBy ?? [] };
}

/** The report over a range: read from the aggregates (one query per month), never from the log. */
export async function kpiReportFrom(
  store: Pick<KpiStore, 'cells'>,
  q: { from: string; to: string; groupBy: readonly KpiGroupKey[] },
): Promise<KpiReport> {
  return kpiReport(await store.cells(q.from, q.to), q, q.groupBy);
}
