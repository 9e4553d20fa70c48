import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ConfigAdmin, ConfigSource, ConfigVersionSummary } from '../../ports';
import { type DecisionConfig, DecisionConfigSchema } from '../../schemas/config';
import { type ActedBy, ActedBySchema } from '../../schemas/identity';
import { CONFIG_KEY, guard } from './client';

/** The active configuration, read at most once per `ttlMs` per container. */
export class DynamoConfigSource implements ConfigSource {
  private cached?: { at: number; config: DecisionConfig };
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlMs = 30_000,
    private readonly clock: () => number = () => Date.now(),
  ) {}
  async active(): Promise<DecisionConfig> {
    const now = this.clock();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.config;
    const r = await guard(() => this.db.send(new GetCommand({ TableName: this.table, Key: CONFIG_KEY })));
    if (!r.Item) throw new Error('No active decision configuration in the catalog table');
    const config = DecisionConfigSchema.parse(r.Item.config);
    this.cached = { at: now, config };
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
  async activate(version: string, now: string, by?: ActedBy): Promise<'activated' | 'missing'> {
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
