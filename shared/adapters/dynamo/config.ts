import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEntry, ConfigAdmin, ConfigSource, ConfigVersionSummary } from '../../ports';
import {
  type DecisionConfig,
  DecisionConfigSchema,
  type KillSwitch,
  KillSwitchSchema,
} from '../../schemas/config';
import { type ActedBy, ActedBySchema } from '../../schemas/identity';
import { auditItem } from './audit';
import { CONFIG_KEY, CONFIG_POINTER_KEY, guard } from './client';

/** What the pointer item says: the active version and its kill switch (absent: off). */
interface Pointer {
  version: string;
  killSwitch?: KillSwitch;
}
const pointerOf = (item: Record<string, unknown>): Pointer => {
  const ks = KillSwitchSchema.safeParse(item.killSwitch);
  return { version: String(item.version), ...(ks.success ? { killSwitch: ks.data } : {}) };
};

/**
 * The active configuration, per container: the whole item (tens of KB) read at most once per `ttlMs`
 * (30 s), and between those reads the active version's pointer (~100 B) at most once per `pointerTtlMs`
 * (3 s), so the kill switch reaches every container within a few seconds. Either read is sent with the
 * turn's other reads (no round trip of its own), and a turn whose caches are fresh reads nothing; a
 * cold container reads the whole item only (it carries the pointer's facts). When the pointer names
 * another version than the one held, its kill switch applies at once (over the held configuration) and
 * the next call reads the whole new version.
 */
export class DynamoConfigSource implements ConfigSource {
  private cached?: { at: number; config: DecisionConfig };
  private pointer?: { at: number; value: Pointer | undefined };
  /** The held configuration with the pointer's kill switch over it, kept while the pointer is the same. */
  private overlaid?: { base: DecisionConfig; pointer: Pointer; config: DecisionConfig };
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlMs = 30_000,
    private readonly clock: () => number = () => Date.now(),
    private readonly pointerTtlMs = 3_000,
  ) {}
  async active(): Promise<DecisionConfig> {
    const now = this.clock();
    if (!this.cached || now - this.cached.at >= this.ttlMs) {
      // After the pointer named a new version: a strongly consistent read, so it is that version.
      const ConsistentRead = this.cached?.at === Number.NEGATIVE_INFINITY;
      const r = await guard(() =>
        this.db.send(new GetCommand({ TableName: this.table, Key: CONFIG_KEY, ConsistentRead })),
      );
      if (!r.Item) throw new Error('No active decision configuration in the catalog table');
      const config = DecisionConfigSchema.parse(r.Item.config);
      this.cached = { at: now, config };
      // The whole item is the newest word on the pointer too.
      this.pointer = { at: now, value: undefined };
      return config;
    }
    if (!this.pointer || now - this.pointer.at >= this.pointerTtlMs) {
      const r = await guard(() =>
        this.db.send(new GetCommand({ TableName: this.table, Key: CONFIG_POINTER_KEY })),
      );
      this.pointer = { at: now, value: r.Item ? pointerOf(r.Item) : undefined };
    }
    const p = this.pointer.value;
    const held = this.cached.config;
    // No pointer (a table seeded before pointers), or the one held: the held configuration is current.
    if (!p || p.version === held.version) return held;
    // Another version is active: read it whole on the next call; its kill switch counts from now.
    this.cached = { at: Number.NEGATIVE_INFINITY, config: held };
    if (this.overlaid?.base === held && this.overlaid.pointer === p) return this.overlaid.config;
    const { killSwitch: _held, ...rest } = held;
    const config: DecisionConfig = p.killSwitch ? { ...rest, killSwitch: p.killSwitch } : rest;
    this.overlaid = { base: held, pointer: p, config };
    return config;
  }
}

const versionKey = (version: string) => ({ pk: CONFIG_KEY.pk, sk: `v#${version}` });

/** A stored author, read back only when well formed (older items have none). */
function actedByOf<K extends string>(v: unknown, key: K): { [k in K]?: ActedBy } {
  const r = ActedBySchema.safeParse(v);
  return (r.success ? { [key]: r.data } : {}) as { [k in K]?: ActedBy };
}

export class DynamoConfigAdmin implements ConfigAdmin {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}
  async active() {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: CONFIG_KEY, ConsistentRead: true })),
    );
    if (!r.Item) return undefined;
    return {
      version: String(r.Item.version),
      activatedAt: String(r.Item.activatedAt ?? ''),
      ...actedByOf(r.Item.activatedBy, 'activatedBy'),
      config: DecisionConfigSchema.parse(r.Item.config),
    };
  }
  async list(): Promise<ConfigVersionSummary[]> {
    const out: ConfigVersionSummary[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const r = await guard(() =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)',
            ExpressionAttributeValues: { ':pk': CONFIG_KEY.pk, ':v': 'v#' },
            ProjectionExpression: 'version, createdAt, createdBy',
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const i of r.Items ?? [])
        out.push({
          version: String(i.version),
          createdAt: String(i.createdAt ?? ''),
          ...actedByOf(i.createdBy, 'createdBy'),
        });
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }
  async get(version: string) {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: versionKey(version), ConsistentRead: true })),
    );
    if (!r.Item) return undefined;
    return {
      version: String(r.Item.version),
      createdAt: String(r.Item.createdAt ?? ''),
      ...actedByOf(r.Item.createdBy, 'createdBy'),
      config: DecisionConfigSchema.parse(r.Item.config),
    };
  }
  async create(config: DecisionConfig, now: string, by?: ActedBy): Promise<'created' | 'exists'> {
    try {
      await guard(() =>
        this.db.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              ...versionKey(config.version),
              version: config.version,
              createdAt: now,
              ...(by ? { createdBy: by } : {}),
              config,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return 'created';
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return 'exists';
      throw e;
    }
  }
  async activate(
    version: string,
    now: string,
    by?: ActedBy,
    audit?: AuditEntry,
  ): Promise<'activated' | 'missing'> {
    const stored = await this.get(version);
    if (!stored) return 'missing';
    // Versions never change once created, so the copy is the version; the check guards a deletion in between.
    try {
      await guard(() =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.table,
                  Key: versionKey(version),
                  ConditionExpression: 'attribute_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    ...CONFIG_KEY,
                    version,
                    activatedAt: now,
                    ...(by ? { activatedBy: by } : {}),
                    config: stored.config,
                  },
                },
              },
              // The pointer the turns check every few seconds (DynamoConfigSource).
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    ...CONFIG_POINTER_KEY,
                    version,
                    activatedAt: now,
                    ...(stored.config.killSwitch ? { killSwitch: stored.config.killSwitch } : {}),
                  },
                },
              },
              ...(audit ? [{ Put: { TableName: this.table, Item: auditItem(audit) } }] : []),
            ],
          }),
        ),
      );
      return 'activated';
    } catch (e) {
      if (e instanceof TransactionCanceledException) return 'missing';
      throw e;
    }
  }
}
