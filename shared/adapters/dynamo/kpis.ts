// The KPI report's daily aggregates, kept current from the offer log's stream, exactly once.

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  COUNT_FIELDS,
  cellOfKey,
  type KpiCell,
  type KpiCounts,
  kpiDeltas,
  ZERO_COUNTS,
} from '../../domain/kpis';
import type { KpiApplied, KpiStore, StreamedEvent } from '../../ports';
import { guard } from './client';

const CELLS = 'CELLS#';
const CHECKPOINT = 'CHECKPOINT';
/** A shard's checkpoint outlives the stream's 24-hour retention, then goes (TTL). */
const CHECKPOINT_TTL_S = 3 * 24 * 3600;
/** TransactWriteItems takes 100 items: 99 cells and the checkpoint. */
const MAX_CELLS_PER_WRITE = 99;

/** The month partition of a day's cells: a report over a year reads 13 partitions, whatever the traffic. */
const monthOf = (day: string) => `${CELLS}${day.slice(0, 7)}`;

/**
 * Items of the KPI table: one per cell (`pk` = `CELLS#<YYYY-MM>`, `sk` = `<day>#<cell key>`), holding
 * the cell's sums; and one checkpoint per stream shard (`pk` = `CHECKPOINT`, `sk` = the shard id),
 * holding the sequence number of the last record counted.
 *
 * Exactly once: Lambda hands a shard's records over in order the first time, and may hand them
 * over again (a retried batch, after a timeout or an error). Every write adds a run of records to
 * their cells and moves the shard's checkpoint past them in one transaction, on condition that the
 * checkpoint is where it was read: a record at or before the checkpoint was counted already and is
 * skipped; two invocations racing on one shard cannot both count a record.
 */
export class DynamoKpiStore implements KpiStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async apply(shardId: string, records: readonly StreamedEvent[], nowEpochS: number): Promise<KpiApplied> {
    const result: KpiApplied = { counted: 0, alreadyCounted: 0, writes: 0 };
    let pending = [...records].sort((a, b) => compareSeq(a.sequenceNumber, b.sequenceNumber));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 20) throw new Error(`The checkpoint of shard ${shardId} keeps moving under this write`);
      const at = await this.checkpoint(shardId);
      const fresh = at === undefined ? pending : pending.filter((r) => compareSeq(r.sequenceNumber, at) > 0);
      result.alreadyCounted += pending.length - fresh.length;
      pending = fresh;
      if (pending.length === 0) break;
      // The longest run of records whose cells fit in one transaction.
      const cells = new Set<string>();
      let n = 0;
      for (; n < pending.length; n++) {
        const e = pending[n]!.event;
        const keys = e ? [...kpiDeltas([e]).keys()] : [];
        const grown = keys.filter((k) => !cells.has(k));
        if (cells.size + grown.length > MAX_CELLS_PER_WRITE) break;
        for (const k of grown) cells.add(k);
      }
      const run = pending.slice(0, n);
      const last = run[run.length - 1]!.sequenceNumber;
      const deltas = kpiDeltas(run.flatMap((r) => (r.event ? [r.event] : [])));
      const ok = await this.write(shardId, at, last, deltas, nowEpochS);
      if (!ok) continue; // The checkpoint moved: read it again, skip what was counted meanwhile.
      result.writes++;
      result.counted += run.length;
      pending = pending.slice(n);
    }
    return result;
  }

  private async checkpoint(shardId: string): Promise<string | undefined> {
    const r = await guard(() =>
      this.db.send(
        new GetCommand({ TableName: this.table, Key: { pk: CHECKPOINT, sk: shardId }, ConsistentRead: true }),
      ),
    );
    return r.Item?.sequenceNumber as string | undefined;
  }

  private async write(
    shardId: string,
    expected: string | undefined,
    next: string,
    deltas: ReturnType<typeof kpiDeltas>,
    nowEpochS: number,
  ): Promise<boolean> {
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Put: {
          TableName: this.table,
          Item: {
            pk: CHECKPOINT,
            sk: shardId,
            sequenceNumber: next,
            expiresAt: nowEpochS + CHECKPOINT_TTL_S,
          },
          ConditionExpression:
            expected === undefined ? 'attribute_not_exists(pk)' : 'sequenceNumber = :expected',
          ...(expected === undefined ? {} : { ExpressionAttributeValues: { ':expected': expected } }),
        },
      },
    ];
    for (const [key, { cell, counts }] of deltas) {
      const fields = COUNT_FIELDS.filter((f) => counts[f] !== 0);
      if (fields.length === 0) continue;
      items.push({
        Update: {
          TableName: this.table,
          Key: { pk: monthOf(cell.day), sk: `${cell.day}#${key}` },
          UpdateExpression: `ADD ${fields.map((_, i) => `#f${i} :v${i}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(fields.map((f, i) => [`#f${i}`, f])),
          ExpressionAttributeValues: Object.fromEntries(fields.map((f, i) => [`:v${i}`, counts[f]])),
        },
      });
    }
    try {
      await guard(() => this.db.send(new TransactWriteCommand({ TransactItems: items })));
      return true;
    } catch (e) {
      // The checkpoint moved (another invocation counted these), or a transaction on the same items
      // was in flight: nothing was written; the caller reads the checkpoint again and goes on.
      if (
        e instanceof TransactionCanceledException &&
        (e.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed' ||
          e.CancellationReasons?.some((r) => r.Code === 'TransactionConflict'))
      ) {
        await new Promise((ok) => setTimeout(ok, 20 + Math.random() * 80));
        return false;
      }
      throw e;
    }
  }

  /** Every cell of the days from `from` to `to` (UTC, inclusive), read month by month. */
  async cells(from: string, to: string): Promise<{ cell: KpiCell; counts: KpiCounts }[]> {
    const months: string[] = [];
    for (let m = from.slice(0, 7); m <= to.slice(0, 7); m = nextMonth(m)) months.push(m);
    const parts = await Promise.all(
      months.map(async (m) => {
        const out: { cell: KpiCell; counts: KpiCounts }[] = [];
        let start: Record<string, unknown> | undefined;
        do {
          const r = await guard(() =>
            this.db.send(
              new QueryCommand({
                TableName: this.table,
                KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
                ExpressionAttributeValues: {
                  ':pk': `${CELLS}${m}`,
                  ':lo': `${from}#`,
                  ':hi': `${to}#\uffff`,
                },
                ...(start ? { ExclusiveStartKey: start } : {}),
              }),
            ),
          );
          for (const item of r.Items ?? []) {
            const sk = String(item.sk);
            const counts = { ...ZERO_COUNTS };
            for (const f of COUNT_FIELDS) counts[f] = Number(item[f] ?? 0);
            out.push({ cell: cellOfKey(sk.slice(sk.indexOf('#') + 1)), counts });
          }
          start = r.LastEvaluatedKey;
        } while (start);
        return out;
      }),
    );
    return parts.flat();
  }
}

const nextMonth = (m: string) => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
};

/** Stream sequence numbers are decimal strings of any length: compared as the numbers they are. */
export function compareSeq(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A stream record's image (attribute values) as the item it is, numbers as the doubles the log holds. */
export const decodeStreamImage = (image: Record<string, unknown>): unknown =>
  unmarshall(image as never, { wrapNumbers: false });
