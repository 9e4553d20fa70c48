import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/**
 * A schedule's Lambda target whose role may invoke exactly that function. The stock `LambdaInvoke`
 * grants through `grantInvoke`, which adds every version and alias (`<arn>:*`), a wildcard cdk-nag
 * (IAM5) would rightly ask about; Scheduler only ever calls the unqualified function.
 */
class InvokeFunction extends targets.ScheduleTargetBase {
  private readonly fn: lambda.IFunction;
  constructor(fn: lambda.IFunction, props: targets.ScheduleTargetBaseProps) {
    super(props, fn.functionArn);
    this.fn = fn;
  }
  protected addTargetActionToRole(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.fn.functionArn] }),
    );
  }
}

export interface ScheduledInvocation {
  description: string;
  schedule: scheduler.ScheduleExpression;
  /** The event the function gets (JSON). */
  input?: Record<string, unknown>;
  /** Off unless given: a gauge published every few minutes wants one point per period, not jitter. */
  flexibleWindow?: Duration;
  /** Scheduler's own retries when it cannot invoke (throttling, a service error), and for how long. */
  retryAttempts: number;
  maxEventAge: Duration;
}

/**
 * The stack's schedules (EventBridge Scheduler), in one schedule group: each invokes a function
 * asynchronously, retries what it could not deliver, and sends what it gave up on to one dead-letter
 * queue, watched by an alarm. Scheduler's role for a function is the stock target's (trusted by
 * scheduler.amazonaws.com from this account and this group only), with InvokeFunction on that function
 * and SendMessage on the queue.
 */
export class Schedules extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly deadLetterQueue: sqs.Queue;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.group = new scheduler.ScheduleGroup(this, 'Group', { removalPolicy: RemovalPolicy.DESTROY });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is the dead-letter queue of the schedules (invocations Scheduler gave up on, placement segments that failed after their retries); it has no DLQ of its own.',
    });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'ScheduledRunsFailed', {
      alarmDescription:
        "A scheduled run was not delivered by EventBridge Scheduler after its retries, or a placement segment (PlacePortfolio) failed after Lambda's: the message in the schedules' dead-letter queue holds the event (a placement's segment and cause) and why. A failed placement leaves the funnels and stages as they were (nothing half-moved): fix the cause (the function's log group), then place again with POST /v1/admin/strategies/placement. A missed funnel publication needs nothing: the next run is 5 minutes later.",
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Where a function's own failed asynchronous invocations go once Lambda's retries are spent. */
  get onFailure(): lambda.IDestination {
    return new destinations.SqsDestination(this.deadLetterQueue);
  }

  /** A schedule invoking `fn` with `input`. */
  invoke(id: string, fn: lambda.IFunction, s: ScheduledInvocation): scheduler.Schedule {
    const schedule = new scheduler.Schedule(this, id, {
      description: s.description,
      scheduleGroup: this.group,
      schedule: s.schedule,
      timeWindow: s.flexibleWindow
        ? scheduler.TimeWindow.flexible(s.flexibleWindow)
        : scheduler.TimeWindow.off(),
      target: new InvokeFunction(fn, {
        ...(s.input ? { input: scheduler.ScheduleTargetInput.fromObject(s.input) } : {}),
        retryAttempts: s.retryAttempts,
        maxEventAge: s.maxEventAge,
        deadLetterQueue: this.deadLetterQueue,
      }),
    });
    // The schedule names its group by its generated name, not a reference: made after the group.
    schedule.node.addDependency(this.group);
    return schedule;
  }
}
