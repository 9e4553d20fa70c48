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

/**
 * A prompt as SSML: static text escaped, and the adapter's `$.External.…` values (already
 * SSML-escaped by it, `speakable`) put in as they are. With `Text`, Polly read `&amp;` aloud.
 */
export function ssml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<speak>${escaped}</speak>`;
}

const equals = (value: string, next: string) => ({
  NextAction: next,
  Condition: { Operator: 'Equals' as const, Operands: [value] },
});

/**
 * The queue named (`Queue_<name>`, for every queue given), the retention specialists for any other
 * (`Queue_FALLBACK`), and the transfer (`Transfer`); a queue that fails or is full goes to `busy`.
 */
function transferActions(queueArns: Partial<Record<string, string>>, busy: string): FlowAction[] {
  const fallbackQueue = queueArns.RETENTION_SPECIALIST;
  if (!fallbackQueue) throw new Error('connectQueueArns needs at least RETENTION_SPECIALIST');
  const setQueue = (id: string, queueId: string, onError: string): FlowAction => ({
    Identifier: id,
    Type: 'UpdateContactTargetQueue',
    Parameters: { QueueId: queueId },
    Transitions: { NextAction: 'Transfer', Errors: [{ NextAction: onError, ErrorType: 'NoMatchingError' }] },
  });
  return [
    ...QUEUES.filter((q) => queueArns[q]).map((q) => setQueue(`Queue_${q}`, queueArns[q]!, 'Queue_FALLBACK')),
    setQueue('Queue_FALLBACK', fallbackQueue, busy),
    {
      Identifier: 'Transfer',
      Type: 'TransferContactToQueue',
      Transitions: {
        Errors: [
          { NextAction: busy, ErrorType: 'QueueAtCapacity' },
          { NextAction: busy, ErrorType: 'NoMatchingError' },
        ],
      },
    },
  ];
}

/**
 * The voice retention call as an Amazon Connect flow: ask the reason (keypad menu), start the
 * contact, verify with one keypad factor at a time (the caller's number is the other factor),
 * speak each offer and take 1 (accept) or 2 (decline), then transfer to the queue the adapter
 * names. Every Lambda call and every input has an error branch that reaches a person: the
 * retention specialist queue. The keypad digits go straight to the adapter; none is stored as a
 * contact attribute.
 */
export function retentionFlow(adapterArn: string, queueArns: Partial<Record<string, string>>): FlowDocument {
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
    Parameters: { SSML: ssml(text), StoreInput: 'False', InputTimeLimitSeconds: '6' },
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
      SSML: ssml(text),
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
    Parameters: { SSML: ssml(text) },
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
  const logging = (id: string, on: boolean, next: string): FlowAction => ({
    Identifier: id,
    Type: 'UpdateFlowLoggingBehavior',
    Parameters: { FlowLoggingBehavior: on ? 'Enabled' : 'Disabled' },
    Transitions: { NextAction: next },
  });

  // Flow logs record each block's parameters and results: off from the first factor asked until
  // the verification is over, so the digits entered (and the adapter's answers to them) are not logged.
  const actions: FlowAction[] = [
    logging('Logging', true, 'Menu'),
    input(
      'Menu',
      `Thank you for calling. ${menu.map(([d, , what]) => `Press ${d} ${what}.`).join(' ')}`,
      menu.map(([d, type]) => [d, `Start_${type}`]),
      `Start_GENERAL_INQUIRY`,
    ),
    ...menu.map(([, type]) => invoke(`Start_${type}`, { step: 'start', callType: type }, 'AfterStart')),
    compare('AfterStart', '$.External.stage', [['VERIFY', 'LoggingOffForFactors']], 'Route'),
    logging('LoggingOffForFactors', false, 'AskLast4'),
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
        ['OFFER', 'LoggingOnOffers'],
        ['CROSS_SELL', 'LoggingOnOffers'],
        ['VERIFY', 'AskZip'],
      ],
      'LoggingOnRoute',
    ),
    digits('AskZip', 'Please enter your five-digit ZIP code.', '5', 'VerifyZip'),
    invoke('VerifyZip', { step: 'verify', zip: '$.StoredCustomerInput' }, 'AfterVerifyZip'),
    compare(
      'AfterVerifyZip',
      '$.External.stage',
      [
        ['OFFER', 'LoggingOnOffers'],
        ['CROSS_SELL', 'LoggingOnOffers'],
      ],
      'LoggingOnRoute',
    ),
    logging('LoggingOnOffers', true, 'GetOffers'),
    logging('LoggingOnRoute', true, 'Route'),
    invoke('GetOffers', { step: 'offers' }, 'OfferOrRoute'),
    compare('OfferOrRoute', '$.External.offerCount', [['0', 'SayOutcome']], 'PutOffer'),
    input(
      'PutOffer',
      '$.External.offer1Prompt',
      [
        ['1', 'Accept'],
        ['2', 'Decline'],
        ['9', 'CloseNow'],
      ],
      'Route',
    ),
    invoke('Accept', { step: 'answer', offerId: '$.External.offer1Id', digit: '1' }, 'SayOutcome'),
    invoke('Decline', { step: 'answer', offerId: '$.External.offer1Id', digit: '2' }, 'OfferOrRoute'),
    // The caller insists: the closure request is recorded at once, no further offer is spoken.
    invoke('CloseNow', { step: 'close' }, 'SayOutcome'),
    say('SayOutcome', '$.External.prompt', 'Route'),
    compare(
      'Route',
      '$.External.queue',
      queues.map((q) => [q, `Queue_${q}`]),
      'Queue_FALLBACK',
    ),
    say('AgentFallback', 'One moment, please: a retention specialist will take your call.', 'Queue_FALLBACK'),
    ...transferActions(queueArns, 'Goodbye'),
    say('Goodbye', 'We are sorry, all our specialists are busy. Please call again later.', 'Disconnect'),
    { Identifier: 'Disconnect', Type: 'DisconnectParticipant', Parameters: {} },
  ];
  return { Version: '2019-10-30', StartAction: 'Logging', Actions: actions };
}

/**
 * The chat as an Amazon Connect flow: logging off (a chat's flow logs would hold what the customer
 * types, the factors included), the chat handed to the Lex bot's alias (its code hook, the
 * lex-adapter, runs the contact), and when the bot closes, the chat goes where its closing answer
 * says (`next`, a session attribute of the adapter's): a queue by name, or the end. An unknown
 * `next`, a bot error or a silence goes to the retention specialists.
 */
export function retentionChatFlow(
  botAliasArn: string,
  queueArns: Partial<Record<string, string>>,
): FlowDocument {
  const queues = QUEUES.filter((q) => queueArns[q]);
  const message = (id: string, text: string, next: string): FlowAction => ({
    Identifier: id,
    Type: 'MessageParticipant',
    Parameters: { Text: text },
    Transitions: { NextAction: next, Errors: [{ NextAction: next, ErrorType: 'NoMatchingError' }] },
  });
  const actions: FlowAction[] = [
    {
      Identifier: 'Logging',
      Type: 'UpdateFlowLoggingBehavior',
      Parameters: { FlowLoggingBehavior: 'Disabled' },
      Transitions: { NextAction: 'Bot' },
    },
    {
      Identifier: 'Bot',
      Type: 'ConnectParticipantWithLexBot',
      Parameters: {
        Text: 'Hello! How can I help with your card today?',
        LexV2Bot: { AliasArn: botAliasArn },
      },
      Transitions: {
        NextAction: 'Next',
        Errors: [
          { NextAction: 'Queue_FALLBACK', ErrorType: 'InputTimeLimitExceeded' },
          { NextAction: 'Next', ErrorType: 'NoMatchingCondition' },
          { NextAction: 'Queue_FALLBACK', ErrorType: 'NoMatchingError' },
        ],
      },
    },
    {
      Identifier: 'Next',
      Type: 'Compare',
      Parameters: { ComparisonValue: '$.Lex.SessionAttributes.next' },
      Transitions: {
        NextAction: 'Queue_FALLBACK',
        Conditions: [equals('END', 'Disconnect'), ...queues.map((q) => equals(q, `Queue_${q}`))],
        Errors: [{ NextAction: 'Queue_FALLBACK', ErrorType: 'NoMatchingCondition' }],
      },
    },
    ...transferActions(queueArns, 'Busy'),
    message(
      'Busy',
      'We are sorry, all our specialists are busy. Please write to us again later.',
      'Disconnect',
    ),
    { Identifier: 'Disconnect', Type: 'DisconnectParticipant', Parameters: {} },
  ];
  return { Version: '2019-10-30', StartAction: 'Logging', Actions: actions };
}

export interface RetentionContactFlowProps {
  instanceArn: string;
  adapter: lambda.IFunction;
  /** Queue ARNs of the instance by Retention Desk queue name; RETENTION_SPECIALIST is required. */
  queueArns: Partial<Record<string, string>>;
  /** The Lex bot's live alias: with it, the chat flow too. */
  botAliasArn?: string;
}

/**
 * The flows in the Connect instance given as context (the voice call, and with the bot's alias the
 * chat), and the instance's associations with the adapter and the bot: without them the flows could
 * name the function and the bot but Connect would refuse to call them (a console step before).
 */
export class RetentionContactFlow extends Construct {
  readonly flow: connect.CfnContactFlow;
  readonly chatFlow?: connect.CfnContactFlow;
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
    if (props.botAliasArn)
      this.chatFlow = new connect.CfnContactFlow(this, 'ChatFlow', {
        instanceArn: props.instanceArn,
        name: 'Retention Desk — retention chat',
        description: 'Hands the chat to the Retention Desk bot, then to the queue its closing answer names',
        type: 'CONTACT_FLOW',
        content: Stack.of(this).toJsonString(retentionChatFlow(props.botAliasArn, props.queueArns)),
      });
  }
}

/** The instance's integrations: the adapter its flows invoke, the bot its chat flow hands chats to. */
export class ConnectIntegrations extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: { instanceArn: string; adapter: lambda.IFunction; botAliasArn: string },
  ) {
    super(scope, id);
    new connect.CfnIntegrationAssociation(this, 'Adapter', {
      instanceId: props.instanceArn,
      integrationType: 'LAMBDA_FUNCTION',
      integrationArn: props.adapter.functionArn,
    });
    new connect.CfnIntegrationAssociation(this, 'Bot', {
      instanceId: props.instanceArn,
      integrationType: 'LEX_BOT',
      integrationArn: props.botAliasArn,
    });
  }
}
