import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CANARY_ACCOUNT_ID } from '../../shared/domain/canary';
import { allowPepper } from './account-feed';
import { RetentionFunction } from './retention-function';

export interface CanaryProps {
  stateMachine: sfn.IStateMachine;
  accounts: dynamodb.ITableV2;
  pepper: secretsmanager.ISecret;
  /** How often it calls (default 5 minutes; the alarm `CanaryFailing` expects a pass every 15). */
  every?: Duration;
}

/**
 * The canary: a scheduled synthetic call (functions/canary.ts) through the state machine, against
 * its own account. Its role may start the state machine (the only caller besides the channels, and
 * the only one that marks a start synthetic), put the canary's account item alone (a condition on
 * the leading key) and read the pepper to hash that account's fresh factors.
 */
export class Canary extends Construct {
  readonly fn: RetentionFunction;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: CanaryProps) {
    super(scope, id);
    this.fn = new RetentionFunction(scope, 'CanaryCall', {
      name: 'canary',
      timeout: Duration.seconds(30),
      environment: {
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        ACCOUNTS_TABLE: props.accounts.tableName,
      },
    });
    props.stateMachine.grantStartSyncExecution(this.fn);
    this.fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [props.accounts.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CANARY_ACCOUNT_ID] } },
      }),
    );
    props.accounts.encryptionKey?.grantEncryptDecrypt(this.fn);
    allowPepper(this.fn, props.pepper);
    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Retention Desk canary: one synthetic call every few minutes (alarm CanaryFailing)',
      schedule: events.Schedule.rate(props.every ?? Duration.minutes(5)),
      // No retry: the next scheduled call is the retry, and a failure is a metric, not an error.
      targets: [new targets.LambdaFunction(this.fn, { retryAttempts: 0, maxEventAge: Duration.minutes(2) })],
    });
  }
}
