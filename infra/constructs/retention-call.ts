import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SAFE_ROUTE } from '../../shared/domain/routing';

export const TASK_FUNCTIONS = ['decideTurn', 'saveTurn'] as const;
export type TaskFunction = (typeof TASK_FUNCTIONS)[number];

export interface RetentionCallProps {
  functions: Record<TaskFunction, lambda.IFunction>;
}

/** Errors worth a quick second try: Lambda's own hiccups and storage throttling. Nothing else is retried. */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'TransientStorageError',
];
/** Per-task limit; a contact flow waits 8 s at most, so the whole run must end well before. */
export const TASK_TIMEOUT_SECONDS = 2;
export const RUN_TIMEOUT_SECONDS = 7;

/**
 * The retention call as an EXPRESS state machine, one synchronous run per turn, two Lambda
 * invocations at most. DecideTurn reads what the turn needs once and decides it whole (a pure plan:
 * shared/domain/turn.ts); the Choice states then follow the plan's path through the call's stages
 * (segment, route, verify, offer, cross-sell, record the answer), so the console shows which stages
 * a turn went through; SaveTurn stores the plan in one transaction. Choices read only `$.plan`.
 */
export class RetentionCall extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RetentionCallProps) {
    super(scope, id);
    const fn = props.functions;

    const task = (name: string, comment: string, target: lambda.IFunction, payload?: sfn.TaskInput) => {
      const t = new tasks.LambdaInvoke(this, name, {
        stateName: name,
        comment,
        lambdaFunction: target,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        // No payload: the task gets its state input whole.
        ...(payload ? { payload } : {}),
        resultPath: '$.plan',
        taskTimeout: sfn.Timeout.duration(Duration.seconds(TASK_TIMEOUT_SECONDS)),
      });
      // Waits 1 s then 1.5 s at most: 2.5 s of retry per task, well inside the run's limit.
      t.addRetry({
        errors: TRANSIENT_ERRORS,
        interval: Duration.seconds(1),
        maxAttempts: 2,
        backoffRate: 1.5,
        maxDelay: Duration.seconds(2),
      });
      const fallback = new sfn.Pass(this, `${name}Failed`, {
        stateName: `${name}Failed`,
        comment: `Safe answer when ${name} fails: hand the caller to a retention agent, with the reason.`,
        parameters: {
          outcome: 'fallback',
          failedAt: name,
          'error.$': '$.error.Error',
          route: {
            queue: SAFE_ROUTE.queue,
            priority: SAFE_ROUTE.priority,
            reasons: [`Retention Desk could not complete ${name}; a retention agent takes the call`],
            ruleId: SAFE_ROUTE.ruleId,
          },
        },
      });
      t.addCatch(fallback, { errors: ['States.ALL'], resultPath: '$.error' });
      return t;
    };

    const reply = new sfn.Pass(this, 'Reply', {
      stateName: 'Reply',
      comment:
        'The turn is answered: the contact as stored (or as a repeat finds it), for the channel to shape.',
      parameters: { outcome: 'ok', 'action.$': '$.action', 'contact.$': '$.plan.contact' },
    });
    const reject = new sfn.Pass(this, 'RejectTurn', {
      stateName: 'RejectTurn',
      comment:
        'The request cannot be served in this stage (unknown contact, not verified, offer never presented, ...).',
      parameters: { outcome: 'rejected', 'problem.$': '$.plan.problem' },
    });

    // The whole request goes in; the plan (never an account, never a factor) comes out at $.plan.
    const decide = task(
      'DecideTurn',
      'Reads the contact (and account, counters) once, then decides the turn: shared/domain/turn.ts decide()',
      fn.decideTurn,
    );
    const save = task(
      'SaveTurn',
      'RECORD: the plan in one transaction (contact, offer log, counters), conditional on the version read',
      fn.saveTurn,
      sfn.TaskInput.fromObject({ 'plan.$': '$.plan' }),
    );
    save.next(
      new sfn.Choice(this, 'CheckSaved', { stateName: 'CheckSaved' })
        .when(sfn.Condition.stringEquals('$.plan.kind', 'rejected'), reject)
        .otherwise(reply),
    );

    // The stages, as the plan went through them. They change nothing: the decision was made once.
    const stage = (name: string, comment: string) => new sfn.Pass(this, name, { stateName: name, comment });
    const segment = stage(
      'Segment',
      'SEGMENT: facts, customer value, customer and card segments (domain/segments)',
    );
    const route = stage('Route', 'ROUTE: queue, priority and reasons (domain/routing), then verify or offer');
    const verify = stage('Verify', 'VERIFY: the factors against the account’s hashes (domain/verification)');
    const offer = stage(
      'Offer',
      'OFFER: retention offers, best first, within budget and contact policy (domain/offers)',
    );
    const crossSell = stage(
      'CrossSell',
      'CROSS_SELL: no retention offer left; products that suit the customer',
    );
    const answer = stage(
      'RecordAnswer',
      'OFFER / CROSS_SELL: the answer recorded; a decline leads to the next offers',
    );
    const pickup = stage('Pickup', 'A desk person takes the contact over (who, since when)');
    segment.next(route);
    verify.next(route);
    route.next(save);
    offer.next(save);
    crossSell.next(save);
    pickup.next(save);
    answer.next(
      new sfn.Choice(this, 'AfterAnswer', { stateName: 'AfterAnswer' })
        .when(sfn.Condition.stringEquals('$.plan.path', 'answer-offer'), offer)
        .when(sfn.Condition.stringEquals('$.plan.path', 'answer-cross-sell'), crossSell)
        .otherwise(save),
    );
    const byPath = new sfn.Choice(this, 'ByPath', { stateName: 'ByPath' })
      .when(sfn.Condition.stringEquals('$.plan.path', 'start'), segment)
      .when(sfn.Condition.stringEquals('$.plan.path', 'verify'), verify)
      .when(sfn.Condition.stringEquals('$.plan.path', 'offer'), offer)
      .when(sfn.Condition.stringEquals('$.plan.path', 'cross-sell'), crossSell)
      .when(sfn.Condition.stringMatches('$.plan.path', 'answer*'), answer)
      .when(sfn.Condition.stringEquals('$.plan.path', 'pickup'), pickup)
      .otherwise(save);
    const decided = new sfn.Choice(this, 'Decided', { stateName: 'Decided' })
      .when(sfn.Condition.stringEquals('$.plan.kind', 'rejected'), reject)
      .when(sfn.Condition.stringEquals('$.plan.kind', 'unchanged'), reply)
      .otherwise(byPath);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      comment:
        'Retention call: route, verify, segment, offer, cross-sell, record. One synchronous run per turn.',
      definitionBody: sfn.DefinitionBody.fromChainable(decide.next(decided)),
      timeout: Duration.seconds(RUN_TIMEOUT_SECONDS),
      tracingEnabled: true,
      // Execution data carries verification factors: never logged.
      // ERROR, not ALL: every failed task, timeout and caught error is still logged (the fallbacks an
      // operator looks for), and X-Ray traces every sampled run's path; ALL would log ~90 events per
      // four-turn contact, about $15 per million contacts, most of the bill (npm run cost).
      logs: { destination: logGroup, level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });

    const stack = Stack.of(this);
    for (const f of new Set(Object.values(fn))) {
      const id = stack.getLogicalId(f.node.defaultChild as CfnElement);
      // An alias's ARN is its Ref; a function's its Arn attribute.
      const arn = f instanceof lambda.Alias ? `<${id}>` : `<${id}.Arn>`;
      Validations.of(this.stateMachine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arn}:*]`,
        reason:
          'LambdaInvoke grants lambda:InvokeFunction on the function and its versions/aliases (ARN:*); it is still only our own task functions.',
      });
    }
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'Logs at ERROR (every failed task, timeout and caught error) rather than ALL: ALL logs every state of every turn, about $15 per million four-turn contacts (npm run cost), while X-Ray traces the sampled runs path by path.',
    });
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, ...) and CloudWatch Logs delivery (logs:CreateLogDelivery, ...) support no resource-level permissions.',
    });
  }
}
