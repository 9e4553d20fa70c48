import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lex from 'aws-cdk-lib/aws-lex';
import { Construct } from 'constructs';
import { LEX_INTENTS } from '../../shared/channels/lex';

export interface RetentionBotProps {
  /** The lex-adapter function: the code hook of every intent, dialog and fulfillment. */
  codeHook: lambda.IFunction;
}

/** Example utterances per intent: the reason for the chat. */
const UTTERANCES: Record<string, string[]> = {
  CloseAccount: ['I want to close my card', 'Close my account', 'Cancel my credit card'],
  FeeComplaint: ['Why was I charged a fee', 'The annual fee is too high', 'I want the fee removed'],
  RateComplaint: ['My interest rate is too high', 'Lower my APR'],
  CompetitorOffer: ['Another bank offered me a better card', 'I got a better offer elsewhere'],
  RewardsComplaint: ['My rewards are not worth it', 'I am unhappy with my points'],
  LostOrStolen: ['I lost my card', 'My card was stolen'],
  ReportFraud: ['There is a charge I did not make', 'I want to report fraud'],
  BillingDispute: ['I want to dispute a charge', 'My statement is wrong'],
  GeneralInquiry: ['I have a question about my card', 'What is my balance'],
};

const prompt = (text: string) => ({
  messageGroupsList: [{ message: { plainTextMessage: { value: text } } }],
  maxRetries: 2,
  allowInterrupt: true,
});

/** The slots every intent collects, all optional: the code hook decides which to ask for. */
const SLOTS: lex.CfnBot.SlotProperty[] = [
  {
    name: 'phone',
    slotTypeName: 'AMAZON.PhoneNumber',
    valueElicitationSetting: {
      slotConstraint: 'Optional',
      promptSpecification: prompt('What phone number is on your account?'),
    },
  },
  {
    name: 'last4',
    slotTypeName: 'AMAZON.AlphaNumeric',
    valueElicitationSetting: {
      slotConstraint: 'Optional',
      promptSpecification: prompt('What are the last four digits of your card?'),
    },
  },
  {
    name: 'zip',
    slotTypeName: 'AMAZON.AlphaNumeric',
    valueElicitationSetting: {
      slotConstraint: 'Optional',
      promptSpecification: prompt('What is your ZIP code?'),
    },
  },
  {
    name: 'dob',
    slotTypeName: 'AMAZON.Date',
    valueElicitationSetting: {
      slotConstraint: 'Optional',
      promptSpecification: prompt('What is your date of birth?'),
    },
  },
];

/**
 * The Lex V2 chat bot: one intent per reason for contact, the verification slots, and the
 * lex-adapter as code hook of the test alias (dialog and fulfillment). Offers are put by the code
 * hook with ConfirmIntent, so the bot needs no offer intents of its own.
 */
export class RetentionBot extends Construct {
  readonly bot: lex.CfnBot;

  constructor(scope: Construct, id: string, props: RetentionBotProps) {
    super(scope, id);
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lexv2.amazonaws.com'),
      description: 'Lex V2 runtime role of the retention chat bot',
    });
    // Lex synthesizes speech for voice input; Polly's SynthesizeSpeech has no resource-level permission.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['polly:SynthesizeSpeech'], resources: ['*'] }));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'polly:SynthesizeSpeech, used by Lex for spoken answers, supports no resource-level permissions.',
    });

    this.bot = new lex.CfnBot(this, 'Bot', {
      name: `${Stack.of(this).stackName}-retention-chat`.slice(0, 100),
      description: 'Retention Desk chat: reason, verification, offers by ConfirmIntent',
      roleArn: role.roleArn,
      dataPrivacy: { ChildDirected: false },
      idleSessionTtlInSeconds: 600,
      autoBuildBotLocales: true,
      botLocales: [
        {
          localeId: 'en_US',
          nluConfidenceThreshold: 0.4,
          intents: [
            ...LEX_INTENTS.map((name) => ({
              name,
              sampleUtterances: (UTTERANCES[name] ?? [name]).map((utterance) => ({ utterance })),
              dialogCodeHook: { enabled: true },
              fulfillmentCodeHook: { enabled: true },
              slots: SLOTS,
              slotPriorities: SLOTS.map((s, i) => ({ priority: i + 1, slotName: s.name })),
            })),
            { name: 'FallbackIntent', parentIntentSignature: 'AMAZON.FallbackIntent' },
          ],
        },
      ],
      testBotAliasSettings: {
        botAliasLocaleSettings: [
          {
            localeId: 'en_US',
            botAliasLocaleSetting: {
              enabled: true,
              codeHookSpecification: {
                lambdaCodeHook: { codeHookInterfaceVersion: '1.0', lambdaArn: props.codeHook.functionArn },
              },
            },
          },
        ],
      },
    });

    // Only this bot's aliases may invoke the code hook.
    props.codeHook.addPermission('InvokedByLex', {
      principal: new iam.ServicePrincipal('lexv2.amazonaws.com'),
      sourceArn: `arn:${Aws.PARTITION}:lex:${Aws.REGION}:${Aws.ACCOUNT_ID}:bot-alias/${this.bot.attrId}/*`,
      sourceAccount: Aws.ACCOUNT_ID,
    });
  }
}
