import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { SAFE_ROUTE } from '../../shared/domain/routing';

export const TASK_FUNCTIONS = [
  'loadContact',
  'segmentCustomer',
  'routeContact',
  'verifyCaller',
  'chooseOffers',
  'recordAnswer',
  'saveTurn',
] as const;
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
 * The retention call as an EXPRESS state machine, one synchronous run per turn.
 * The conversation's state lives in the contact record: LoadContact reads it (and admits or
 * rejects the turn), the stage tasks transform it, SaveTurn stores it in one transaction.
 * Every task puts its result at `$.turn`; Choice states branch only on fields the domain sets.
 */
export class RetentionCall extends Construct {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: RetentionCallProps) {
    super(scope, id);
    const fn = props.functions;

    const task = (name: string, stage: string, target: lambda.IFunction) => {
      const t = new tasks.LambdaInvoke(this, name, {
        stateName: name,
        comment: `Stage: ${stage}`,
        lambdaFunction: target,
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        // Each task sees the whole turn (input + `$.turn`) and names itself, so one function can serve two states.
        payload: sfn.TaskInput.fromObject({ 'state.$': '$', task: name }),
        resultPath: '$.turn',
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
      comment: 'The turn succeeded: the stored contact, for the channel adapter to shape.',
      parameters: { outcome: 'ok', 'action.$': '$.action', 'contact.$': '$.turn.contact' },
    });
    const reject = new sfn.Pass(this, 'RejectTurn', {
      stateName: 'RejectTurn',
      comment:
        'The request cannot be served in this stage (unknown contact, not verified, offer never presented, ...).',
      parameters: { outcome: 'rejected', 'problem.$': '$.turn.problem' },
    });

    const load = task(
      'LoadContact',
      'ROUTE / VERIFY (read the contact and account, admit the turn)',
      fn.loadContact,
    );
    const segment = task('SegmentCustomer', 'SEGMENT', fn.segmentCustomer);
    const route = task('RouteContact', 'ROUTE', fn.routeContact);
    const verify = task('VerifyCaller', 'VERIFY', fn.verifyCaller);
    const choose = task('ChooseOffers', 'OFFER', fn.chooseOffers);
    const crossSell = task('OfferCrossSell', 'CROSS_SELL', fn.chooseOffers);
    const answer = task('RecordAnswer', 'OFFER / CROSS_SELL (record the answer)', fn.recordAnswer);
    const save = task(
      'SaveTurn',
      'RECORD (store the stage change and offer log in one transaction)',
      fn.saveTurn,
    );

    const checkSaved = new sfn.Choice(this, 'CheckSaved', { stateName: 'CheckSaved' })
      .when(sfn.Condition.stringEquals('$.turn.kind', 'rejected'), reject)
      .otherwise(reply);
    save.next(checkSaved);

    segment.next(route);
    route.next(save);
    verify.next(route);
    choose.next(save);
    crossSell.next(save);
    answer.next(
      new sfn.Choice(this, 'AfterAnswer', { stateName: 'AfterAnswer' })
        .when(sfn.Condition.stringEquals('$.turn.next', 'OFFER'), choose)
        .when(sfn.Condition.stringEquals('$.turn.next', 'CROSS_SELL'), crossSell)
        .otherwise(save),
    );

    const byAction = new sfn.Choice(this, 'ByAction', { stateName: 'ByAction' })
      .when(sfn.Condition.stringEquals('$.action', 'start'), segment)
      .when(sfn.Condition.stringEquals('$.action', 'verify'), verify)
      .when(sfn.Condition.stringEquals('$.action', 'offers'), choose)
      .when(sfn.Condition.stringEquals('$.action', 'respond'), answer)
      // A pickup changes only who holds the contact: LoadContact records it, SaveTurn stores it.
      .when(sfn.Condition.stringEquals('$.action', 'pickup'), save)
      .otherwise(reply);

    const admit = new sfn.Choice(this, 'AdmitTurn', { stateName: 'AdmitTurn' })
      .when(sfn.Condition.stringEquals('$.turn.kind', 'rejected'), reject)
      .when(sfn.Condition.stringEquals('$.turn.kind', 'unchanged'), reply)
      .otherwise(byAction);

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      comment:
        'Retention call: route, verify, segment, offer, cross-sell, record. One synchronous run per turn.',
      definitionBody: sfn.DefinitionBody.fromChainable(load.next(admit)),
      timeout: Duration.seconds(RUN_TIMEOUT_SECONDS),
      tracingEnabled: true,
      // Execution data carries verification factors: never logged. Events (states, errors) are.
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });

    const stack = Stack.of(this);
    for (const f of new Set(Object.values(fn))) {
      const id = stack.getLogicalId(f.node.defaultChild as CfnElement);
      Validations.of(this.stateMachine.role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`,
        reason:
          'LambdaInvoke grants lambda:InvokeFunction on the function and its versions/aliases (ARN:*); it is still only our own task functions.',
      });
    }
    Validations.of(this.stateMachine.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, ...) and CloudWatch Logs delivery (logs:CreateLogDelivery, ...) support no resource-level permissions.',
    });
  }
}
