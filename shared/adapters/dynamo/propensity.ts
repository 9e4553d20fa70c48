// The propensity models, one item per offer in the learning table, learned from the offer log's
// stream exactly once.

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  FEATURE_SET,
  FEATURES,
  type LoggedAnswer,
  learnLogged,
  type OfferModel,
  PROPENSITY_VERSION,
  type PropensityState,
} from '../../domain/propensity';
import type { PropensityApplied, PropensityStore, StreamedEvent } from '../../ports';
import { guard, TransientStorageError } from './client';
import { compareSeq } from './kpis';

/** The learning table's partition of the models: `stat` = the offer id. */
export const PROPENSITY_PK = '#PROPENSITY';
/** The learner's checkpoints: `stat` = the stream shard id. */
const CHECKPOINT_PK = '#PROPENSITY_CHECKPOINT';
/** A shard's checkpoint outlives the stream's 24-hour retention, then goes (TTL). */
const CHECKPOINT_TTL_S = 3 * 24 * 3600;
/** TransactWriteItems takes 100 items: the checkpoint and up to 99 models. */
const MAX_MODELS_PER_WRITE = 99;

/** A stored model: the weights as JSON (one attribute, a few KB), its version and what it was learned for. */
interface ModelItem {
  callType: typeof PROPENSITY_PK;
  stat: string;
  featureSet: string;
  rev: number;
  n: number;
  model: string;
  updatedAt: string;
}

/**
 * The stored models as one state. A model stored for other features (FEATURE_SET) makes the whole
 * state one the turn refuses (and says so), rather than reading weights against the wrong bins.
 */
export function stateOf(
  items: ReadonlyArray<{ stat?: unknown; featureSet?: unknown; model?: unknown }>,
): PropensityState {
  const offers: Record<string, OfferModel> = {};
  let foreign = false;
  for (const i of items) {
    if (i.featureSet !== FEATURE_SET) foreign = true;
    try {
      offers[String(i.stat)] = JSON.parse(String(i.model)) as OfferModel;
    } catch {
      // An unreadable model: the turn's validation names it and the priors decide.
      offers[String(i.stat)] = { n: -1, mean: [], variance: [] };
    }
  }
  return {
    version: PROPENSITY_VERSION,
    features: foreign ? [`stored for other features than ${FEATURE_SET}`] : [...FEATURES],
    offers,
  };
}

/** Every offer's model, read with one Query (paged past 1 MB): what a contact's start decides with. */
export async function readPropensity(db: DynamoDBDocumentClient, table: string): Promise<PropensityState> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const r = await guard(() =>
      db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'callType = :p',
          ExpressionAttributeValues: { ':p': PROPENSITY_PK },
          ExclusiveStartKey: start,
        }),
      ),
    );
    items.push(...(r.Items ?? []));
    start = r.LastEvaluatedKey;
  } while (start);
  return stateOf(items);
}

/** The answer a log entry teaches, if any: ACCEPTED or DECLINED, with what the learner reads. */
function answerOf(r: StreamedEvent): LoggedAnswer | undefined {
  const e = r.event;
  if (!e || (e.event !== 'ACCEPTED' && e.event !== 'DECLINED') || !e.offerId || !e.learning || e.synthetic)
    return undefined;
  return {
    offerId: e.offerId,
    prior: e.learning.prior,
    figures: e.learning.figures,
    callType: e.callType,
    channel: e.channel,
    accepted: e.event === 'ACCEPTED',
  };
}

/**
 * Exactly once: Lambda hands a shard's records over in order, and may hand them over again. Every
 * write learns a run of answers into the models they touch and moves the shard's checkpoint past
 * them, in one transaction, on condition that the checkpoint is where it was read and that each
 * model is still the version read: a record at or before the checkpoint was learned already and is
 * skipped; two shards learning the same offer at once cannot lose one another's answers (the loser
 * reads again and learns on top).
 */
export class DynamoPropensityStore implements PropensityStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async apply(
    shardId: string,
    records: readonly StreamedEvent[],
    nowEpochS: number,
  ): Promise<PropensityApplied> {
    const result: PropensityApplied = { learned: 0, alreadyLearned: 0, passed: 0, writes: 0 };
    let pending = [...records].sort((a, b) => compareSeq(a.sequenceNumber, b.sequenceNumber));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 50)
        throw new Error(`The propensity models of shard ${shardId} keep moving under this write`);
      const at = await this.checkpoint(shardId);
      const fresh = at === undefined ? pending : pending.filter((r) => compareSeq(r.sequenceNumber, at) > 0);
      result.alreadyLearned += pending.length - fresh.length;
      pending = fresh;
      if (pending.length === 0) break;
      // The longest run whose offers fit in one transaction beside the checkpoint.
      const offers = new Set<string>();
      let n = 0;
      for (; n < pending.length; n++) {
        const a = answerOf(pending[n]!);
        if (a && !offers.has(a.offerId)) {
          if (offers.size === MAX_MODELS_PER_WRITE) break;
          offers.add(a.offerId);
        }
      }
      const run = pending.slice(0, n);
      const answers = run.flatMap((r) => answerOf(r) ?? []);
      const read = await this.models([...offers]);
      const learned = learnLogged(
        stateOf([...read.values()].filter((i) => i.featureSet === FEATURE_SET)),
        answers,
      );
      const ok = await this.write(shardId, at, run.at(-1)!.sequenceNumber, read, learned, nowEpochS);
      if (!ok) continue; // The checkpoint or a model moved: read again, learn on top.
      result.writes++;
      result.learned += answers.length;
      result.passed += run.length - answers.length;
      pending = pending.slice(n);
    }
    return result;
  }

  private async checkpoint(shardId: string): Promise<string | undefined> {
    const r = await guard(() =>
      this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: { callType: CHECKPOINT_PK, stat: shardId },
          ConsistentRead: true,
        }),
      ),
    );
    return r.Item?.sequenceNumber as string | undefined;
  }

  /** The models of these offers as stored (consistent reads), by offer id. */
  private async models(offerIds: readonly string[]): Promise<Map<string, ModelItem>> {
    const out = new Map<string, ModelItem>();
    if (offerIds.length === 0) return out;
    for (let i = 0; i < offerIds.length; i += 100) {
      let keys: Record<string, unknown>[] = offerIds
        .slice(i, i + 100)
        .map((id) => ({ callType: PROPENSITY_PK, stat: id }));
      for (let round = 0; keys.length > 0; round++) {
        if (round > 10) throw new TransientStorageError('Propensity models left unread');
        const r = await guard(() =>
          this.db.send(
            new BatchGetCommand({
              RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } },
            }),
          ),
        );
        for (const item of r.Responses?.[this.table] ?? []) out.set(String(item.stat), item as ModelItem);
        keys = (r.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    return out;
  }

  private async write(
    shardId: string,
    expected: string | undefined,
    next: string,
    read: ReadonlyMap<string, ModelItem>,
    learned: PropensityState,
    nowEpochS: number,
  ): Promise<boolean> {
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [
      {
        Put: {
          TableName: this.table,
          Item: {
            callType: CHECKPOINT_PK,
            stat: shardId,
            sequenceNumber: next,
            expiresAt: nowEpochS + CHECKPOINT_TTL_S,
          },
          ConditionExpression:
            expected === undefined ? 'attribute_not_exists(callType)' : 'sequenceNumber = :expected',
          ...(expected === undefined ? {} : { ExpressionAttributeValues: { ':expected': expected } }),
        },
      },
    ];
    const updatedAt = this.clock().toISOString();
    for (const [offerId, model] of Object.entries(learned.offers)) {
      const before = read.get(offerId);
      if (before?.featureSet === FEATURE_SET && before.model === JSON.stringify(model)) continue;
      items.push({
        Put: {
          TableName: this.table,
          Item: {
            callType: PROPENSITY_PK,
            stat: offerId,
            featureSet: FEATURE_SET,
            rev: (before?.rev ?? 0) + 1,
            n: model.n,
            model: JSON.stringify(model),
            updatedAt,
          } satisfies ModelItem,
          ConditionExpression: before ? 'rev = :rev' : 'attribute_not_exists(callType)',
          ...(before ? { ExpressionAttributeValues: { ':rev': before.rev } } : {}),
        },
      });
    }
    try {
      await guard(() => this.db.send(new TransactWriteCommand({ TransactItems: items })));
      return true;
    } catch (e) {
      // The checkpoint moved (another invocation learned these), a model moved (another shard learned
      // the same offer), or a transaction on the same items was in flight: nothing was written.
      if (
        e instanceof TransactionCanceledException &&
        e.CancellationReasons?.some(
          (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
        )
      ) {
        await new Promise((ok) => setTimeout(ok, 10 + Math.random() * 60));
        return false;
      }
      throw e;
    }
  }
}
