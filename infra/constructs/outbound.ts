import { Duration, Fn, Stack, Token, Validations } from 'aws-cdk-lib';
import * as connect from 'aws-cdk-lib/aws-connect';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../shared/application/publish';
import type { FlowDocument } from './contact-flow';
import { RetentionFunction } from './retention-function';

/** Items of the counters table that are events to publish (shared/adapters/dynamo/outbox.ts). */
const OUTBOX_KEYS = 'OUTBOX#';

export interface OutboundProps {
  counters: dynamodb.ITableV2;
  offerLog: dynamodb.ITableV2;
  accounts: dynamodb.ITableV2;
  catalog: dynamodb.ITableV2;
  bus: events.IEventBus;
  deadLetterQueue: sqs.IQueue;
  /** The Connect instance (context connectInstanceArn), its retention flow and the queue of outbound tasks. */
  connect?: { instanceArn: string; retentionFlowArn: string; taskQueueArn: string };
}

/** The outbound call's flow: a greeting (SSML), then the same retention call as an inbound one. */
export function outboundVoiceFlow(retentionFlowArn: string): FlowDocument {
  return {
    Version: '2019-10-30',
    StartAction: 'Greeting',
    Actions: [
      {
        Identifier: 'Greeting',
        Type: 'MessageParticipant',
        Parameters: {
          SSML: '<speak>Hello. This is a call from your card issuer about your card account. <break time="300ms"/> To keep your account safe, we will first check that we are speaking to the card holder.</speak>',
        },
        Transitions: {
          NextAction: 'Retention',
          Errors: [{ NextAction: 'Retention', ErrorType: 'NoMatchingError' }],
        },
      },
      {
        Identifier: 'Retention',
        Type: 'TransferToFlow',
        Parameters: { ContactFlowId: retentionFlowArn },
        Transitions: { Errors: [{ NextAction: 'Disconnect', ErrorType: 'NoMatchingError' }] },
      },
      { Identifier: 'Disconnect', Type: 'DisconnectParticipant', Parameters: {} },
    ],
  };
}

/** A task's flow: to the queue of the team that works outbound tasks. */
export function outboundTaskFlow(queueArn: string): FlowDocument {
  return {
    Version: '2019-10-30',
    StartAction: 'Queue',
    Actions: [
      {
        Identifier: 'Queue',
        Type: 'UpdateContactTargetQueue',
        Parameters: { QueueId: queueArn },
        Transitions: {
          NextAction: 'Transfer',
          Errors: [{ NextAction: 'Disconnect', ErrorType: 'NoMatchingError' }],
        },
      },
      {
        Identifier: 'Transfer',
        Type: 'TransferContactToQueue',
        Parameters: {},
        Transitions: {
          Errors: [
            { NextAction: 'Disconnect', ErrorType: 'QueueAtCapacity' },
            { NextAction: 'Disconnect', ErrorType: 'NoMatchingError' },
          ],
        },
      },
      { Identifier: 'Disconnect', Type: 'DisconnectParticipant', Parameters: {} },
    ],
  };
}

/**
 * Contact that Retention Desk starts, and what it tells the issuer's systems:
 * - PublishEvents reads the outbox (the counters table's OUTBOX# items, written in the same
 *   transaction as the placement or the result they tell of) and the offer log's decisions from
 *   their streams, and puts them on the account event bus, at least once, each with a stable id;
 * - "Outbound Contact Requested" events go to StartOutbound, which judges the outbound contact
 *   policy, starts the call (StartOutboundVoiceContact into the outbound flow) or the task
 *   (StartTaskContact) on the one Connect instance, defers a request in quiet hours with a one-time
 *   EventBridge Scheduler schedule, and records the result.
 */
export class Outbound extends Construct {
  readonly publisher: RetentionFunction;
  readonly starter: RetentionFunction;

  constructor(scope: Construct, id: string, props: OutboundProps) {
    super(scope, id);
    const { counters, offerLog, accounts, catalog, bus } = props;
    if (!counters.tableStreamArn || !offerLog.tableStreamArn)
      throw new Error('The counters table and the offer log need their streams (NEW_IMAGE)');

    this.publisher = new RetentionFunction(this, 'PublishEvents', {
      name: 'publish-events',
      timeout: Duration.seconds(60),
    });
    this.publisher.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    bus.grantPutEventsTo(this.publisher);
    counters.grantStreamRead(this.publisher);
    offerLog.grantStreamRead(this.publisher);
    const mapping = (mid: string, arn: string, filter: Record<string, unknown>) =>
      new lambda.EventSourceMapping(this, mid, {
        target: this.publisher,
        eventSourceArn: arn,
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        // Up to 30 s: a bounded number of invocations a month whatever the traffic (npm run cost),
        // and a decision or an outbound request reaches the bus within half a minute.
        maxBatchingWindow: Duration.seconds(30),
        // At least once: a batch that fails is handed over again (split in two to find a poison
        // record), and events are only ever duplicated, never dropped.
        bisectBatchOnError: true,
        retryAttempts: 10_000,
        filters: [lambda.FilterCriteria.filter(filter)],
      });
    mapping('FromOutbox', counters.tableStreamArn, {
      eventName: lambda.FilterRule.isEqual('INSERT'),
      dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(OUTBOX_KEYS) } } },
    });
    mapping('FromOfferLog', offerLog.tableStreamArn, {
      eventName: lambda.FilterRule.isEqual('INSERT'),
      dynamodb: { NewImage: { event: { S: lambda.FilterRule.or('ACCEPTED', 'CLOSURE_REQUESTED') } } },
    });

    this.starter = new RetentionFunction(this, 'StartOutbound', {
      name: 'start-outbound',
      timeout: Duration.seconds(30),
    });
    const fn = this.starter;
    fn.bindTableActions(accounts, 'ACCOUNTS_TABLE', ['dynamodb:GetItem', 'dynamodb:UpdateItem']);
    fn.bindTable(catalog, 'CATALOG_TABLE', 'RO');
    fn.addEnvironment('COUNTERS_TABLE', counters.tableName);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        // The results it records: outbox items only.
        actions: ['dynamodb:PutItem'],
        resources: [counters.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${OUTBOX_KEYS}*`] } },
      }),
    );
    // Deferred requests: a one-time schedule that invokes this function again, through its own role.
    const stack = Stack.of(this);
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler: runs a deferred outbound request (quiet hours) again',
    });
    // The function itself (not its versions: grantInvoke would add `:*`); it finds its own ARN in its
    // invocation's context (an environment variable naming it would be a circular reference).
    schedulerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
    );
    fn.addEnvironment('OUTBOUND_SCHEDULER_ROLE_ARN', schedulerRole.roleArn);
    const schedules = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: 'default/outbound-*',
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [schedules] }),
    );
    const grants = fn.role?.node.tryFindChild('DefaultPolicy');
    if (!grants) throw new Error('start-outbound has no DefaultPolicy');
    // cdk-nag names the region and account as the template has them: tokens, or the deploying
    // machine's own (CDK_DEFAULT_REGION, CDK_DEFAULT_ACCOUNT, set by the CLI from its profile).
    const named = (v: string, pseudo: string) => (Token.isUnresolved(v) ? `<${pseudo}>` : v);
    Validations.of(grants).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:${named(stack.region, 'AWS::Region')}:${named(stack.account, 'AWS::AccountId')}:schedule/default/outbound-*]`,
      reason:
        'One one-time schedule per deferred request, named outbound-<request id>: the names are not known in advance; the prefix scopes them.',
    });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    if (props.connect) {
      const c = props.connect;
      const voice = new connect.CfnContactFlow(this, 'VoiceFlow', {
        instanceArn: c.instanceArn,
        name: 'Retention Desk — outbound call',
        description: 'Greets the customer Retention Desk calls, then the retention call',
        type: 'CONTACT_FLOW',
        content: stack.toJsonString(outboundVoiceFlow(c.retentionFlowArn)),
      });
      const task = new connect.CfnContactFlow(this, 'TaskFlow', {
        instanceArn: c.instanceArn,
        name: 'Retention Desk — outbound task',
        description: 'A call-back or team task Retention Desk starts, to its queue',
        type: 'CONTACT_FLOW',
        content: stack.toJsonString(outboundTaskFlow(c.taskQueueArn)),
      });
      // The API takes ids: an instance's is the end of its ARN, a flow's the 4th part after '/'
      // (…:instance/<instance id>/contact-flow/<flow id>).
      const flowId = (arn: string) => Fn.select(3, Fn.split('/', arn));
      fn.addEnvironment('CONNECT_INSTANCE_ID', c.instanceArn.split('/').pop()!);
      fn.addEnvironment('OUTBOUND_VOICE_FLOW_ID', flowId(voice.attrContactFlowArn));
      fn.addEnvironment('OUTBOUND_TASK_FLOW_ID', flowId(task.attrContactFlowArn));
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          // Outbound calls and tasks on this instance only, into its flows.
          actions: ['connect:StartOutboundVoiceContact', 'connect:StartTaskContact'],
          resources: [`${c.instanceArn}/contact/*`, voice.attrContactFlowArn, task.attrContactFlowArn],
        }),
      );
      Validations.of(grants).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${c.instanceArn}/contact/*]`,
        reason:
          'A contact started by StartOutboundVoiceContact or StartTaskContact has an id Connect makes at the call: the contacts of the one instance, into its two outbound flows, are as narrow as it can be named.',
      });
    }
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(props.deadLetterQueue),
    });
    new events.Rule(this, 'Requested', {
      eventBus: bus,
      description: 'Outbound Contact Requested (from the outbox) to the start-outbound function',
      eventPattern: { source: [EVENT_SOURCE], detailType: ['Outbound Contact Requested'] },
      targets: [
        new targets.LambdaFunction(fn, {
          deadLetterQueue: props.deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
        }),
      ],
    });
  }
}
