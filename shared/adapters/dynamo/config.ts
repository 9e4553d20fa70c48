import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  ActivationWrite,
  ActiveConfig,
  AuditEntry,
  ConfigAdmin,
  ConfigSource,
  ConfigVersionSummary,
} from '../../ports';
import {
  type DecisionConfig,
  DecisionConfigSchema,
  type KillSwitch,
  KillSwitchSchema,
} from '../../schemas/config';
import {
  ActivationHistorySchema,
  type PendingActivation,
  PendingActivationSchema,
} from '../../schemas/governance';
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
/** The one pending (scheduled) activation, beside the versions (not under `v#`, so never listed as one). */
const PENDING_KEY = { pk: CONFIG_KEY.pk, sk: 'PENDING' } as const;

/** A stored author, read back only when well formed (older items have none). */
function actedByOf<K extends string>(v: unknown, key: K): { [k in K]?: ActedBy } {
  const r = ActedBySchema.safeParse(v);
  return (r.success ? { [key]: r.data } : {}) as { [k in K]?: ActedBy };
}

const summaryOf = (i: Record<string, unknown>): ConfigVersionSummary => ({
  version: String(i.version),
  createdAt: String(i.createdAt ?? ''),
  ...actedByOf(i.createdBy, 'createdBy'),
  ...(typeof i.approvedAt === 'string' ? { approvedAt: i.approvedAt } : {}),
  ...actedByOf(i.approvedBy, 'approvedBy'),
});

/** Which items of a cancelled transaction failed their condition (by index). */
const failedAt = (e: TransactionCanceledException) =>
  new Set((e.CancellationReasons ?? []).flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : [])));

export class DynamoConfigAdmin implements ConfigAdmin {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}
  async active(): Promise<ActiveConfig | undefined> {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: CONFIG_KEY, ConsistentRead: true })),
    );
    if (!r.Item) return undefined;
    const version = String(r.Item.version);
    const activatedAt = String(r.Item.activatedAt ?? '');
    const history = ActivationHistorySchema.safeParse(r.Item.history);
    return {
      version,
      activatedAt,
      ...actedByOf(r.Item.activatedBy, 'activatedBy'),
      config: DecisionConfigSchema.parse(r.Item.config),
      // An item written before histories were kept: its own activation is all that is known.
      history:
        history.success && history.data.length ? history.data : [{ version, activatedAt, how: 'SEED' }],
      ...(typeof r.Item.revision === 'number' ? { revision: r.Item.revision } : {}),
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
            ProjectionExpression: 'version, createdAt, createdBy, approvedAt, approvedBy',
            ExclusiveStartKey: start,
          }),
        ),
      );
      for (const i of r.Items ?? []) out.push(summaryOf(i));
      start = r.LastEvaluatedKey;
    } while (start);
    return out;
  }
  async get(version: string) {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: versionKey(version), ConsistentRead: true })),
    );
    if (!r.Item) return undefined;
    return { ...summaryOf(r.Item), config: DecisionConfigSchema.parse(r.Item.config) };
  }
  async create(
    config: DecisionConfig,
    now: string,
    by?: ActedBy,
    audit?: AuditEntry,
  ): Promise<'created' | 'exists'> {
    try {
      await guard(() =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.table,
                  Item: {
                    ...versionKey(config.version),
                    version: config.version,
                    createdAt: now,
                    ...(by ? { createdBy: by } : {}),
                    config,
                  },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              ...(audit ? [{ Put: { TableName: this.table, Item: auditItem(audit) } }] : []),
            ],
          }),
        ),
      );
      return 'created';
    } catch (e) {
      // Only a failed condition means the version exists; anything else (an item over 400 KB) is an error.
      if (e instanceof TransactionCanceledException && failedAt(e).size > 0) return 'exists';
      throw e;
    }
  }
  async approve(
    version: string,
    now: string,
    by: ActedBy,
    audit: AuditEntry,
  ): Promise<'approved' | 'conflict'> {
    try {
      await guard(() =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                // Once, never by the author: two approvals racing, one wins; the author never does.
                Update: {
                  TableName: this.table,
                  Key: versionKey(version),
                  UpdateExpression: 'SET approvedAt = :at, approvedBy = :by',
                  ConditionExpression:
                    'attribute_exists(pk) AND attribute_not_exists(approvedAt) AND (attribute_not_exists(createdBy) OR createdBy.#sub <> :sub)',
                  ExpressionAttributeNames: { '#sub': 'sub' },
                  ExpressionAttributeValues: { ':at': now, ':by': by, ':sub': by.sub },
                },
              },
              { Put: { TableName: this.table, Item: auditItem(audit) } },
            ],
          }),
        ),
      );
      return 'approved';
    } catch (e) {
      if (e instanceof TransactionCanceledException) return 'conflict';
      throw e;
    }
  }
  async activate(
    change: ActivationWrite,
  ): Promise<'activated' | 'missing' | 'unapproved' | 'conflict' | 'not-pending'> {
    const stored = await this.get(change.version);
    if (!stored) return 'missing';
    if (change.requireApproval && stored.approvedAt === undefined) return 'unapproved';
    const { version, now, by } = change;
    const revision = (change.expectedRevision ?? 0) + 1;
    // Versions never change once created (but for their approval), so the copy is the version.
    const items = [
      {
        ConditionCheck: {
          TableName: this.table,
          Key: versionKey(version),
          ConditionExpression: change.requireApproval
            ? 'attribute_exists(pk) AND attribute_exists(approvedAt)'
            : 'attribute_exists(pk)',
        },
      },
      {
        // Over the revision read only: two activations (or one and a rollback) racing, one wins.
        Put: {
          TableName: this.table,
          Item: {
            ...CONFIG_KEY,
            version,
            activatedAt: now,
            ...(by ? { activatedBy: by } : {}),
            config: stored.config,
            history: change.history,
            revision,
          },
          ConditionExpression:
            change.expectedRevision === undefined ? 'attribute_not_exists(revision)' : 'revision = :rev',
          ...(change.expectedRevision === undefined
            ? {}
            : { ExpressionAttributeValues: { ':rev': change.expectedRevision } }),
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
      ...(change.pendingId === undefined
        ? []
        : [
            {
              // The scheduled activation carried out once: a cancel (or another run) that came first wins.
              Delete: {
                TableName: this.table,
                Key: PENDING_KEY,
                ConditionExpression: 'id = :id',
                ExpressionAttributeValues: { ':id': change.pendingId },
              },
            },
          ]),
      ...(change.audit ? [{ Put: { TableName: this.table, Item: auditItem(change.audit) } }] : []),
    ];
    try {
      await guard(() => this.db.send(new TransactWriteCommand({ TransactItems: items })));
      return 'activated';
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const failed = failedAt(e);
      if (failed.has(1)) return 'conflict';
      if (failed.has(3) && change.pendingId !== undefined) return 'not-pending';
      return change.requireApproval && (await this.get(version)) ? 'unapproved' : 'missing';
    }
  }
  async pending(): Promise<PendingActivation | undefined> {
    const r = await guard(() =>
      this.db.send(new GetCommand({ TableName: this.table, Key: PENDING_KEY, ConsistentRead: true })),
    );
    if (!r.Item) return undefined;
    const { pk: _pk, sk: _sk, ...rest } = r.Item;
    return PendingActivationSchema.parse(rest);
  }
  async schedule(p: PendingActivation, audit: AuditEntry): Promise<'scheduled' | 'exists' | 'unapproved'> {
    try {
      await guard(() =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                ConditionCheck: {
                  TableName: this.table,
                  Key: versionKey(p.version),
                  ConditionExpression: 'attribute_exists(approvedAt)',
                },
              },
              {
                Put: {
                  TableName: this.table,
                  Item: { ...PENDING_KEY, ...p },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              { Put: { TableName: this.table, Item: auditItem(audit) } },
            ],
          }),
        ),
      );
      return 'scheduled';
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      return failedAt(e).has(0) ? 'unapproved' : 'exists';
    }
  }
  async cancel(id: string, audit: AuditEntry): Promise<'cancelled' | 'none'> {
    try {
      await guard(() =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Delete: {
                  TableName: this.table,
                  Key: PENDING_KEY,
                  ConditionExpression: 'id = :id',
                  ExpressionAttributeValues: { ':id': id },
                },
              },
              { Put: { TableName: this.table, Item: auditItem(audit) } },
            ],
          }),
        ),
      );
      return 'cancelled';
    } catch (e) {
      if (e instanceof TransactionCanceledException) return 'none';
      throw e;
    }
  }
}
