// The strategies' funnels: accounts per stage, counted in the same transaction as each placement.

import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { OutboundRequest } from '../../domain/outbound';
import { type FunnelDelta, funnelDeltas, type Move } from '../../domain/strategies';
import type { PlacementProgress, SegmentProgress } from '../../ports';
import { FUNNEL_PREFIX } from '../../schemas/storage-names';
import { guard } from './client';
import { type OutboxEvent, outboxPut, requestEvent } from './outbox';

/**
 * A funnel is kept in FUNNEL_SHARDS items of the counters table per strategy version (`FUNNEL#<id>#<version>#<shard>`),
 * one attribute per stage (`stage#<stageId>`): an account always moves in the one shard its id hashes
 * to, so concurrent placements of different accounts rarely meet on one item, and one placement's
 * moves (out of one stage, into another) are one update.
 */
export const FUNNEL_SHARDS = 8;
const STAGE = 'stage#';
const itemKey = (strategyId: string, version: number, shard: number) =>
  `${FUNNEL_PREFIX}${strategyId}#${version}#${shard}`;

/** FNV-1a of the account id: its shard, the same on every write. */
export function funnelShard(accountId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < accountId.length; i++) {
    h ^= accountId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % FUNNEL_SHARDS;
}

/** The counter updates of one account's moves: one Update per strategy version it touches. */
export function funnelUpdates(table: string, accountId: string, deltas: readonly FunnelDelta[]) {
  const shard = funnelShard(accountId);
  const byItem = new Map<string, FunnelDelta[]>();
  for (const d of deltas) {
    const k = itemKey(d.strategyId, d.version, shard);
    byItem.set(k, [...(byItem.get(k) ?? []), d]);
  }
  return [...byItem].map(([pk, ds]) => ({
    Update: {
      TableName: table,
      Key: { pk },
      UpdateExpression: `ADD ${ds.map((_, i) => `#s${i} :d${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(ds.map((d, i) => [`#s${i}`, `${STAGE}${d.stageId}`])),
      ExpressionAttributeValues: Object.fromEntries(ds.map((d, i) => [`:d${i}`, d.delta])),
    },
  }));
}

/** What a placement writes besides the account: its funnel counters, and its outbox events (one per contact asked for). */
export function placementItems(
  table: string,
  accountId: string,
  placed: {
    moves: readonly Move[];
    requests?: readonly OutboundRequest[] | undefined;
    events?: readonly OutboxEvent[] | undefined;
  },
) {
  return [
    ...funnelUpdates(table, accountId, funnelDeltas(placed.moves)),
    ...(placed.requests ?? []).map((r) => outboxPut(table, requestEvent(r))),
    ...(placed.events ?? []).map((e) => outboxPut(table, e)),
  ];
}

const progressKey = (configVersion: string, segment: number) =>
  `${FUNNEL_PREFIX}PLACING#${configVersion}#${segment}`;

export class DynamoFunnelStore implements PlacementProgress {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Accounts per stage of one strategy version: the sum of its shards, read in one BatchGet (strongly). */
  async counts(strategyId: string, version: number): Promise<Record<string, number>> {
    const keys = Array.from({ length: FUNNEL_SHARDS }, (_, s) => ({ pk: itemKey(strategyId, version, s) }));
    const out: Record<string, number> = {};
    let pending: Record<string, unknown>[] = keys;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error('The funnel could not be read whole');
      const r = await guard(() =>
        this.db.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }),
        ),
      );
      for (const item of r.Responses?.[this.table] ?? [])
        for (const [k, v] of Object.entries(item))
          if (k.startsWith(STAGE)) out[k.slice(STAGE.length)] = (out[k.slice(STAGE.length)] ?? 0) + Number(v);
      pending = (r.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      if (pending.length) await new Promise((ok) => setTimeout(ok, 20 * 2 ** attempt));
    }
    return out;
  }

  /** What a segment of the portfolio's placement has done, for the configuration version it places by. */
  async record(configVersion: string, p: SegmentProgress): Promise<void> {
    await guard(() =>
      this.db.send(
        new PutCommand({ TableName: this.table, Item: { pk: progressKey(configVersion, p.segment), ...p } }),
      ),
    );
  }

  /** Every segment's progress for a configuration version (those that have started). */
  async progress(configVersion: string, totalSegments: number): Promise<SegmentProgress[]> {
    const keys = Array.from({ length: totalSegments }, (_, s) => ({ pk: progressKey(configVersion, s) }));
    const r = await guard(() =>
      this.db.send(
        new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
      ),
    );
    return ((r.Responses?.[this.table] ?? []) as (SegmentProgress & { pk: string })[])
      .map(({ pk: _pk, ...p }) => p)
      .sort((a, b) => a.segment - b.segment);
  }
}
