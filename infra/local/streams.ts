import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { LambdaLike } from './runner';
import { fakeContext } from './runner';

export interface StreamMapping {
  /** The local table whose stream is read. */
  table: string;
  /** The function's entry (functions/<entryName>.ts) and its handler. */
  entryName: string;
  handler: LambdaLike;
  batchSize: number;
  /** Event names let through (the mapping's filter); all when absent. */
  eventNames?: readonly string[];
  /** The mapping has a tumbling window: each event carries the window, the shard id and a state. */
  tumblingWindowSeconds?: number;
}

export interface StreamPoller {
  /** Resolves once every record written so far has been handed to its function and accepted. */
  drain(): Promise<void>;
  stop(): Promise<void>;
  /** Batches handed over, and those the function failed (and got again). */
  stats: { batches: number; failures: number };
}

interface Shard {
  id: string;
  iterator: string | undefined;
  /** Records read but not yet accepted by the function: handed over again until they are. */
  pending: _Record[];
  closed: boolean;
  /** The sequence number of the last record read: where a new iterator starts after it. */
  lastRead?: string;
}

/**
 * Lambda's event source mapping for a DynamoDB stream, on DynamoDB Local's own stream: each shard
 * read from its start, in order, one batch at a time (parallelization 1); a batch the function fails
 * is handed over again, whole, until it succeeds (the default of a stream mapping: nothing is
 * dropped). With a tumbling window, each event carries `shardId`, `window` and `state` as Lambda's do.
 */
export function startStreamPoller(
  endpoint: string,
  mappings: readonly StreamMapping[],
  opts: { idleMs?: number; retryMs?: number; onError?: (e: unknown) => void } = {},
): StreamPoller {
  const local = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const streams = new DynamoDBStreamsClient(local);
  const db = new DynamoDBClient(local);
  const idleMs = opts.idleMs ?? 200;
  const retryMs = opts.retryMs ?? 500;
  const state = mappings.map((m) => ({
    m,
    arn: undefined as string | undefined,
    shards: new Map<string, Shard>(),
  }));
  const stats = { batches: 0, failures: 0 };
  let stopped = false;
  let waiters: (() => void)[] = [];
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  /** One pass over every shard: the records it handed over (0: all caught up). */
  async function pass(): Promise<{ moved: number; failed: boolean }> {
    let moved = 0;
    let failed = false;
    for (const s of state) {
      try {
        const t = await db.send(new DescribeTableCommand({ TableName: s.m.table }));
        const arn = t.Table?.LatestStreamArn;
        if (!arn) continue;
        if (arn !== s.arn) {
          // A new stream (the table was made again): read it from its start.
          s.arn = arn;
          s.shards.clear();
        }
        const d = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
        for (const sh of d.StreamDescription?.Shards ?? []) {
          if (!sh.ShardId || s.shards.has(sh.ShardId)) continue;
          const it = await streams.send(
            new GetShardIteratorCommand({
              StreamArn: arn,
              ShardId: sh.ShardId,
              ShardIteratorType: 'TRIM_HORIZON',
            }),
          );
          s.shards.set(sh.ShardId, {
            id: sh.ShardId,
            iterator: it.ShardIterator,
            pending: [],
            closed: false,
          });
        }
        for (const shard of s.shards.values()) {
          if (shard.closed && shard.pending.length === 0) continue;
          if (shard.pending.length < s.m.batchSize && shard.iterator) {
            let r: { Records?: _Record[]; NextShardIterator?: string } | undefined;
            try {
              r = await streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }));
            } catch (e) {
              // DynamoDB Local refuses an iterator taken while its shard was empty (TrimmedDataAccess),
              // and every iterator expires after 15 minutes: a new one starts after the last record read.
              const name = (e as Error).name;
              if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw e;
              shard.iterator = (
                await streams.send(
                  new GetShardIteratorCommand({
                    StreamArn: arn,
                    ShardId: shard.id,
                    ...(shard.lastRead
                      ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastRead }
                      : { ShardIteratorType: 'TRIM_HORIZON' }),
                  }),
                )
              ).ShardIterator;
            }
            if (r) {
              const got = r.Records ?? [];
              if (got.length) shard.lastRead = got[got.length - 1]!.dynamodb?.SequenceNumber;
              shard.pending.push(
                ...got.filter((x) => !s.m.eventNames || s.m.eventNames.includes(x.eventName ?? '')),
              );
              shard.iterator = r.NextShardIterator;
              if (!shard.iterator) shard.closed = true;
            }
          }
          while (shard.pending.length > 0 && !stopped) {
            const batch = shard.pending.slice(0, s.m.batchSize);
            const event = {
              Records: batch.map((x) => ({ ...x, eventSourceARN: arn })),
              ...(s.m.tumblingWindowSeconds
                ? {
                    shardId: shard.id,
                    eventSourceARN: arn,
                    window: windowOf(Date.now(), s.m.tumblingWindowSeconds),
                    state: {},
                    isFinalInvokeForWindow: false,
                    isWindowTerminatedEarly: false,
                  }
                : {}),
            };
            stats.batches++;
            try {
              await s.m.handler(JSON.parse(JSON.stringify(event)), fakeContext(s.m.entryName, 60_000));
            } catch (e) {
              // As Lambda does: the same batch again, later; the shard waits for it.
              stats.failures++;
              failed = true;
              opts.onError?.(e);
              break;
            }
            shard.pending = shard.pending.slice(batch.length);
            moved += batch.length;
          }
        }
      } catch (e) {
        failed = true;
        opts.onError?.(e);
      }
    }
    return { moved, failed };
  }

  let running: Promise<void> | undefined;
  const loop = async () => {
    while (!stopped) {
      const r = await pass();
      if (r.moved === 0 && !r.failed) {
        const w = waiters;
        waiters = [];
        for (const ok of w) ok();
      }
      if (r.moved > 0) continue;
      await new Promise<void>((ok) => {
        wake = ok;
        timer = setTimeout(ok, r.failed ? retryMs : idleMs);
      });
    }
  };
  running = loop();

  return {
    stats,
    drain: () =>
      new Promise<void>((ok) => {
        // A pass that starts after this call and finds nothing new: everything written before is in.
        let seen = false;
        waiters.push(() => {
          if (seen) ok();
          else {
            seen = true;
            waiters.push(() => ok());
          }
        });
      }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      for (const ok of waiters) ok();
      waiters = [];
      await running;
      streams.destroy();
      db.destroy();
    },
  };
}

/** The tumbling window a time falls in (UTC, aligned on the window's length). */
function windowOf(ms: number, seconds: number): { start: string; end: string } {
  const len = seconds * 1000;
  const start = Math.floor(ms / len) * len;
  return { start: new Date(start).toISOString(), end: new Date(start + len).toISOString() };
}
