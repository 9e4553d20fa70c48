import { Stack } from 'aws-cdk-lib';
import * as connect from 'aws-cdk-lib/aws-connect';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { QUEUES } from '../../shared/schemas/config';

/** One action of the Amazon Connect flow language (version 2019-10-30). */
export interface FlowAction {
  Identifier: string;
  Type: string;
  Parameters?: Record<string, unknown>;
  Transitions?: {
    NextAction?: string;
    Conditions?: Array<{ NextAction: string; Condition: { Operator: 'Equals'; Operands: string[] } }>;
    Errors?: Array<{ NextAction: string; ErrorType: string }>;
  };
}
export interface FlowDocument {
  Version: '2019-10-30';
  StartAction: string;
  Actions: FlowAction[];
}

const LAMBDA_SECONDS = '8';
const equals = (value: string, next: string) => ({
  NextAction: next,
  Condition: { Operator: 'Equals' as const, Operands: [value] },
});

/**
 * The voice retention call as an Amazon Connect flow: ask the reason (keypad menu), start the
 * contact, verify with one keypad factor at a time (the caller's number is the other factor),
 * speak each offer and take 1 (accept) or 2 (decline), then transfer to the queue the adapter
 * names. Every Lambda call and every input has an error branch that reaches a person: the
 * retention specialist queue. The keypad digits go straight to the adapter; none is stored as a
 * contact attribute.
 */
export function retentionFlow(adapterArn: string, queueArns: Partial<Record<string, string>>): FlowDocument {
  const fallbackQueue = queueArns.RETENTION_SPECIALIST;
  if (!fallbackQueue) throw new Error('connectQueueArns needs at least RETENTION_SPECIALIST');
  const invoke = (id: string, attributes: Record<string, string>, next: string): FlowAction => ({
    Identifier: id,
    Type: 'InvokeLambdaFunction',
    Parameters: {
      LambdaFunctionARN: adapterArn,
      InvocationTimeLimitSeconds: LAMBDA_SECONDS,
      LambdaInvocationAttributes: attributes,
      ResponseValidation: { ResponseType: 'STRING_MAP' },
    },
    Transitions: {
      NextAction: next,
      Errors: [{ NextAction: 'AgentFallback', ErrorType: 'NoMatchingError' }],
    },
  });
  const input = (
    id: string,
    text: string,
    conditions: Array<[string, string]>,
    onError: string,
  ): FlowAction => ({
    Identifier: id,
    Type: 'GetParticipantInput',
    Parameters: { Text: text, StoreInput: 'False', InputTimeLimitSeconds: '6' },
    Transitions: {
      NextAction: onError,
      Conditions: conditions.map(([digit, next]) => equals(digit, next)),
      Errors: [
        { NextAction: onError, ErrorType: 'InputTimeLimitExceeded' },
        { NextAction: onError, ErrorType: 'NoMatchingCondition' },
        { NextAction: onError, ErrorType: 'NoMatchingError' },
      ],
    },
  });
  const digits = (id: string, text: string, max: string, next: string): FlowAction => ({
    Identifier: id,
    Type: 'GetParticipantInput',
    Parameters: {
      Text: text,
      StoreInput: 'True',
      InputTimeLimitSeconds: '8',
      InputValidation: { CustomValidation: { MaximumLength: max } },
    },
    Transitions: {
      NextAction: next,
      Errors: [
        { NextAction: 'AgentFallback', ErrorType: 'InputTimeLimitExceeded' },
        { NextAction: 'AgentFallback', ErrorType: 'NoMatchingError' },
      ],
    },
  });
  const compare = (
    id: string,
    value: string,
    conditions: Array<[string, string]>,
    otherwise: string,
  ): FlowAction => ({
    Identifier: id,
    Type: 'Compare',
    Parameters: { ComparisonValue: value },
    Transitions: {
      NextAction: otherwise,
      Conditions: conditions.map(([v, next]) => equals(v, next)),
      Errors: [{ NextAction: otherwise, ErrorType: 'NoMatchingCondition' }],
    },
  });
  const say = (id: string, text: string, next: string): FlowAction => ({
    Identifier: id,
    Type: 'MessageParticipant',
    Parameters: { Text: text },
    Transitions: { NextAction: next, Errors: [{ NextAction: next, ErrorType: 'NoMatchingError' }] },
  });
  const menu: Array<[string, string, string]> = [
    ['1', 'CLOSE_ACCOUNT', 'to close your card'],
    ['2', 'FEE_COMPLAINT', 'about a fee'],
    ['3', 'RATE_COMPLAINT', 'about your interest rate'],
    ['4', 'LOST_OR_STOLEN', 'for a lost or stolen card, or fraud'],
    ['0', 'GENERAL_INQUIRY', 'for anything else'],
  ];
  const queues = QUEUES.filter((q) => queueArns[q]);

  const actions: FlowAction[] = [
    {
      Identifier: 'Logging',
      Type: 'UpdateFlowLoggingBehavior',
      Parameters: { FlowLoggingBehavior: 'Enabled' },
      Transitions: { NextAction: 'Menu' },
    },
    input(
      'Menu',
      `Thank you for calling. ${menu.map(([d, , what]) => `Press ${d} ${what}.`).join(' ')}`,
      menu.map(([d, type]) => [d, `Start_${type}`]),
      `Start_GENERAL_INQUIRY`,
    ),
    ...menu.map(([, type]) => invoke(`Start_${type}`, { step: 'start', callType: type }, 'AfterStart')),
    compare('AfterStart', '$.External.stage', [['VERIFY', 'AskLast4']], 'Route'),
    digits(
      'AskLast4',
      'To protect your account, please enter the last four digits of your card.',
      '4',
      'VerifyLast4',
    ),
    invoke('VerifyLast4', { step: 'verify', last4: '$.StoredCustomerInput' }, 'AfterVerify'),
    compare(
      'AfterVerify',
      '$.External.stage',
      [
        ['OFFER', 'GetOffers'],
        ['CROSS_SELL', 'GetOffers'],
        ['VERIFY', 'AskZip'],
      ],
      'Route',
    ),
    digits('AskZip', 'Please enter your five-digit ZIP code.', '5', 'VerifyZip'),
    invoke('VerifyZip', { step: 'verify', zip: '$.StoredCustomerInput' }, 'AfterVerifyZip'),
    compare(
      'AfterVerifyZip',
      '$.External.stage',
      [
        ['OFFER', 'GetOffers'],
        ['CROSS_SELL', 'GetOffers'],
      ],
      'Route',
    ),
    invoke('GetOffers', { step: 'offers' }, 'OfferOrRoute'),
    compare('OfferOrRoute', '$.External.offerCount', [['0', 'SayOutcome']], 'PutOffer'),
    input(
      'PutOffer',
      '$.External.offer1Prompt',
      [
        ['1', 'Accept'],
        ['2', 'Decline'],
      ],
      'Route',
    ),
    invoke('Accept', { step: 'answer', offerId: '$.External.offer1Id', digit: '1' }, 'SayOutcome'),
    invoke('Decline', { step: 'answer', offerId: '$.External.offer1Id', digit: '2' }, 'OfferOrRoute'),
    say('SayOutcome', '$.External.prompt', 'Route'),
    compare(
      'Route',
      '$.External.queue',
      queues.map((q) => [q, `Queue_${q}`]),
      'Queue_FALLBACK',
    ),
    ...queues.map((q) => ({
      Identifier: `Queue_${q}`,
      Type: 'UpdateContactTargetQueue',
      Parameters: { QueueId: queueArns[q] },
      Transitions: {
        NextAction: 'Transfer',
        Errors: [{ NextAction: 'Queue_FALLBACK', ErrorType: 'NoMatchingError' }],
      },
    })),
    say('AgentFallback', 'One moment, please: a retention specialist will take your call.', 'Queue_FALLBACK'),
    {
      Identifier: 'Queue_FALLBACK',
      Type: 'UpdateContactTargetQueue',
      Parameters: { QueueId: fallbackQueue },
      Transitions: {
        NextAction: 'Transfer',
        Errors: [{ NextAction: 'Goodbye', ErrorType: 'NoMatchingError' }],
      },
    },
    {
      Identifier: 'Transfer',
      Type: 'TransferContactToQueue',
      Transitions: {
        Errors: [
          { NextAction: 'Goodbye', ErrorType: 'QueueAtCapacity' },
          { NextAction: 'Goodbye', ErrorType: 'NoMatchingError' },
        ],
      },
    },
    say('Goodbye', 'We are sorry, all our specialists are busy. Please call again later.', 'Disconnect'),
    { Identifier: 'Disconnect', Type: 'DisconnectParticipant', Parameters: {} },
  ];
  return { Version: '2019-10-30', StartAction: 'Logging', Actions: actions };
}

export interface RetentionContactFlowProps {
  instanceArn: string;
  adapter: lambda.IFunction;
  /** Queue ARNs of the instance by Retention Desk queue name; RETENTION_SPECIALIST is required. */
  queueArns: Partial<Record<string, string>>;
}

/** The flow in the Connect instance given as context. */
export class RetentionContactFlow extends Construct {
  readonly flow: connect.CfnContactFlow;
  constructor(scope: Construct, id: string, props: RetentionContactFlowProps) {
    super(scope, id);
    this.flow = new connect.CfnContactFlow(this, 'Flow', {
      instanceArn: props.instanceArn,
      name: 'Retention Desk — retention call',
      description: 'Reason menu, keypad verification, offers, transfer to the queue Retention Desk names',
      type: 'CONTACT_FLOW',
      // toJsonString keeps the adapter's ARN a CloudFormation reference inside the JSON document.
      content: Stack.of(this).toJsonString(retentionFlow(props.adapter.functionArn, props.queueArns)),
    });
  }
}
