import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { RetentionFunction } from './retention-function';

export interface KpiAggregatesProps {
  /** The offer log, with its stream (NEW_IMAGE). */
  offerLog: dynamodb.ITableV2;
  kpis: dynamodb.ITableV2;
  /** The propensity models and the learner's checkpoints. */
  learning: dynamodb.ITableV2;
}

/** How far behind the aggregates may fall before someone is told: records leave the stream after 24 h. */
export const KPI_BEHIND_MINUTES = 15;

/**
 * The KPI report's aggregates, kept current from the offer log's stream: AggregateKpis adds each new
 * log entry to its day's cells, once (a checkpoint per shard, moved in the same transaction as the
 * figures). The mapping keeps one batch per shard at a time, in order (parallelization 1: the
 * checkpoint needs it), retries a failed batch until it succeeds (the default: a record is never
 * dropped), and has a tumbling window only for what the window adds to each event: the shard id.
 */
export class KpiAggregates extends Construct {
  readonly aggregator: RetentionFunction;
  readonly mapping: lambda.EventSourceMapping;
  /** LearnPropensity: every answer in the log, learned once into its offer's propensity model. */
  readonly learner: RetentionFunction;
  readonly learnerMapping: lambda.EventSourceMapping;
  /** The propensity models fall behind the answers (the learner's iterator age). */
  readonly learnerBehindAlarm: cloudwatch.Alarm;
  /** The aggregates fall behind the log (the stream's iterator age): the report is going stale. */
  readonly behindAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: KpiAggregatesProps) {
    super(scope, id);
    const { offerLog, kpis, learning } = props;
    const streamArn = offerLog.tableStreamArn;
    if (!streamArn) throw new Error('The offer log needs its stream (dynamoStream: NEW_IMAGE)');
    this.aggregator = new RetentionFunction(this, 'AggregateKpis', {
      name: 'aggregate-kpis',
      timeout: Duration.seconds(60),
    });
    // Reads a shard's checkpoint; its transaction puts the checkpoint and adds to cells (Update).
    this.aggregator.bindTableActions(kpis, 'KPI_TABLE', [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    // The second reader of the same stream (a DynamoDB stream serves two at once): the same
    // exactly-once design (a checkpoint per shard, moved in the transaction that writes the models),
    // and each model written only if it is still the version read, as two shards may learn one offer.
    this.learner = new RetentionFunction(this, 'LearnPropensity', {
      name: 'learn-propensity',
      timeout: Duration.seconds(60),
    });
    this.learner.bindTableActions(learning, 'LEARNING_TABLE', [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
    ]);

    /**
     * A reader of the offer log's stream with a checkpoint per shard: records in order, one batch per
     * shard at a time (parallelization 1), a failed batch retried until it succeeds (nothing dropped),
     * and a tumbling window only for what it adds to each event: the shard id. One batch a minute per
     * shard when traffic is steady: a transaction per batch, not per entry.
     */
    const reader = (id: string, fn: RetentionFunction, filter: Record<string, unknown>) => {
      offerLog.grantStreamRead(fn);
      return new lambda.EventSourceMapping(this, id, {
        target: fn,
        eventSourceArn: streamArn,
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 1000,
        maxBatchingWindow: Duration.seconds(60),
        parallelizationFactor: 1,
        tumblingWindow: Duration.minutes(15),
        filters: [lambda.FilterCriteria.filter(filter)],
      });
    };
    /** The reader falls behind the log (its iterator age) for KPI_BEHIND_MINUTES. */
    const behind = (id: string, fn: RetentionFunction, description: string[]) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription: description.join(' '),
        metric: fn.metric('IteratorAge', {
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: KPI_BEHIND_MINUTES * 60_000,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    // New entries only: an erasure's pseudonym (MODIFY) and TTL deletions change no figure.
    this.mapping = reader('FromOfferLog', this.aggregator, {
      eventName: lambda.FilterRule.isEqual('INSERT'),
    });
    // Answers only (ACCEPTED, DECLINED), new entries only: nothing else teaches the models.
    this.learnerMapping = reader('AnswersFromOfferLog', this.learner, {
      eventName: lambda.FilterRule.isEqual('INSERT'),
      dynamodb: { NewImage: { event: { S: lambda.FilterRule.or('ACCEPTED', 'DECLINED') } } },
    });
    this.learnerBehindAlarm = behind('PropensityBehind', this.learner, [
      `Propensity models falling behind: answers wait over ${KPI_BEHIND_MINUTES} minutes to be learned.`,
      'Offers keep being decided on the models as they stand (nothing is wrong for the caller).',
      'What to do: open the LearnPropensity log (Logs Insights, level ERROR): a storage fault or a throttled',
      'Learning table clears by itself; "offer-log batch refused" means the event source mapping lost its',
      'tumbling window (the shard id): restore it. Answers leave the stream after 24 hours; none is learned',
      'twice when it catches up.',
    ]);
    this.behindAlarm = behind('KpisBehind', this.aggregator, [
      `KPI report falling behind: the offer log's newest entries wait over ${KPI_BEHIND_MINUTES} minutes to be counted.`,
      'What to do: open the AggregateKpis log (Logs Insights, level ERROR): a storage fault or a throttled',
      'Kpis table clears by itself; "offer-log batch refused" means the event source mapping lost its',
      'tumbling window (the shard id): restore it. Entries leave the stream after 24 hours, so fix it',
      'within the day; nothing is counted twice when it catches up.',
    ]);
  }
}
