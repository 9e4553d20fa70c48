import { createHash } from 'node:crypto';
import { Aws, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lex from 'aws-cdk-lib/aws-lex';
import { Construct } from 'constructs';
import { FALLBACK_TEXT, LEX_INTENTS } from '../../shared/channels/lex';

export interface RetentionBotProps {
  /** The lex-adapter function: the code hook of every intent, dialog and fulfillment. */
  codeHook: lambda.IFunction;
}

/**
 * Example utterances per intent: the reason for the chat, ten each (Lex builds from as few as one,
 * but tells reasons apart better with more; no utterance belongs to two intents).
 */
export const UTTERANCES: Record<string, string[]> = {
  CloseAccount: [
    'I want to close my card',
    'Close my account',
    'Cancel my credit card',
    'Please cancel my card',
    'I no longer want this card',
    'How do I close my credit card account',
    'Shut down my account',
    'I would like to cancel my account',
    'Terminate my card',
    'I want to end my card account',
  ],
  FeeComplaint: [
    'Why was I charged a fee',
    'The annual fee is too high',
    'I want the fee removed',
    'Refund the late fee',
    'I was charged an annual fee',
    'Waive my fee',
    'This fee is not fair',
    'Why do I pay a yearly fee',
    'Remove the charge for the annual fee',
    'I do not want to pay the fee',
  ],
  RateComplaint: [
    'My interest rate is too high',
    'Lower my APR',
    'Can you reduce my interest rate',
    'The APR on my card is too much',
    'I pay too much interest',
    'Why is my rate so high',
    'I want a lower rate',
    'My interest charges are too high',
    'Reduce my APR please',
    'The interest on my balance is too expensive',
  ],
  CompetitorOffer: [
    'Another bank offered me a better card',
    'I got a better offer elsewhere',
    'A competitor has a better deal',
    'I am switching to another bank',
    'Another card has no annual fee',
    'I was offered a lower rate somewhere else',
    'Can you match an offer from another bank',
    'A different issuer gives more rewards',
    'I found a better credit card',
    'Another company offered me a balance transfer deal',
  ],
  RewardsComplaint: [
    'My rewards are not worth it',
    'I am unhappy with my points',
    'The rewards program is bad',
    'I do not earn enough points',
    'My cashback is too low',
    'Points are hard to redeem',
    'The rewards on this card are disappointing',
    'I want better rewards',
    'Why did my points expire',
    'This card does not give good rewards',
  ],
  LostOrStolen: [
    'I lost my card',
    'My card was stolen',
    'I cannot find my card',
    'Someone took my wallet',
    'My card is missing',
    'Block my lost card',
    'I left my card somewhere',
    'My purse was stolen with my card',
    'I need a replacement for a stolen card',
    'Freeze my card it is lost',
  ],
  ReportFraud: [
    'There is a charge I did not make',
    'I want to report fraud',
    'Someone used my card without permission',
    'I see transactions I do not recognize',
    'My card has been compromised',
    'There is fraud on my account',
    'Unauthorized purchase on my card',
    'Somebody is using my card number',
    'I think my card was hacked',
    'I did not authorize this payment',
  ],
  BillingDispute: [
    'I want to dispute a charge',
    'My statement is wrong',
    'I was billed twice',
    'The amount on my bill is incorrect',
    'A merchant charged me the wrong amount',
    'I returned an item but was not refunded',
    'Dispute a transaction',
    'My bill has an error',
    'I was charged for something I cancelled',
    'I want to contest a charge on my statement',
  ],
  CloseNow: [
    'Just close it',
    'Close it now',
    'No more offers just close my account',
    'I do not want any offers close it',
    'Stop and close my card now',
    'Just cancel it',
    'I already decided close it',
    'Please just close the account',
    'Cancel it now please',
    'Close it I insist',
  ],
  GeneralInquiry: [
    'I have a question about my card',
    'What is my balance',
    'When is my payment due',
    'What is my credit limit',
    'How do I update my address',
    'I need help with my account',
    'Can I talk to someone',
    'What is my minimum payment',
    'How do I pay my bill',
    'I have a general question',
  ],
};

/**
 * The factors' own slot types: a card's last four and a US ZIP code as digits only (a regex on
 * AMAZON.AlphaNumeric, Lex's way to constrain it), the value as typed (nothing resolved).
 */
const SLOT_TYPES: lex.CfnBot.SlotTypeProperty[] = [
  { name: 'CardLastFour', pattern: '[0-9]{4}', description: 'The last four digits of a card' },
  { name: 'ZipCode', pattern: '[0-9]{5}', description: 'A five-digit US ZIP code' },
].map(({ name, pattern, description }) => ({
  name,
  description,
  parentSlotTypeSignature: 'AMAZON.AlphaNumeric',
  valueSelectionSetting: { resolutionStrategy: 'ORIGINAL_VALUE', regexFilter: { pattern } },
}));

const prompt = (text: string) => ({
  messageGroupsList: [{ message: { plainTextMessage: { value: text } } }],
  maxRetries: 2,
  allowInterrupt: true,
});

/**
 * The slots every intent collects, all optional: the code hook decides which to ask for. Every one
 * is obfuscated (Lex's conversation logs and its session views show the slot's name, not what was
 * typed): the number identifies the account and the rest verify the caller.
 */
const SLOTS: lex.CfnBot.SlotProperty[] = [
  ['phone', 'AMAZON.PhoneNumber', 'What phone number is on your account?'],
  ['last4', 'CardLastFour', 'What are the last four digits of your card?'],
  ['zip', 'ZipCode', 'What is your ZIP code?'],
  ['dob', 'AMAZON.Date', 'What is your date of birth?'],
].map(([name, slotTypeName, question]) => ({
  name: name!,
  slotTypeName: slotTypeName!,
  obfuscationSetting: { obfuscationSettingType: 'DefaultObfuscation' },
  valueElicitationSetting: {
    slotConstraint: 'Optional',
    promptSpecification: prompt(question!),
  },
}));

/**
 * The Lex V2 chat bot: one intent per reason for contact, the verification slots, and the
 * lex-adapter as code hook (dialog and fulfillment). Offers are put by the code hook with
 * ConfirmIntent, so the bot needs no offer intents of its own.
 * Production runs on a numbered bot version behind the `live` alias, with the code hook set on it;
 * the test alias (TestBotAlias, which the Lex V2 docs keep for manual testing with limited runtime
 * requests) keeps the code hook too, for the console's test window.
 */
export class RetentionBot extends Construct {
  readonly bot: lex.CfnBot;
  readonly version: lex.CfnBotVersion;
  /** The alias Connect's chat flow and the web chat talk to. */
  readonly liveAlias: lex.CfnBotAlias;

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

    const locales: lex.CfnBot.BotLocaleProperty[] = [
      {
        localeId: 'en_US',
        nluConfidenceThreshold: 0.4,
        slotTypes: SLOT_TYPES,
        intents: [
          ...LEX_INTENTS.map((name) => ({
            name,
            sampleUtterances: (UTTERANCES[name] ?? [name]).map((utterance) => ({ utterance })),
            dialogCodeHook: { enabled: true },
            fulfillmentCodeHook: { enabled: true },
            slots: SLOTS,
            slotPriorities: SLOTS.map((s, i) => ({ priority: i + 1, slotName: s.name })),
          })),
          {
            name: 'FallbackIntent',
            parentIntentSignature: 'AMAZON.FallbackIntent',
            // The code hook answers (and can route to a person); should it fail, the bot still says this.
            fulfillmentCodeHook: { enabled: true },
            intentClosingSetting: {
              closingResponse: {
                messageGroupsList: [{ message: { plainTextMessage: { value: FALLBACK_TEXT } } }],
                allowInterrupt: true,
              },
            },
          },
        ],
      },
    ];
    const codeHookSpecification = {
      lambdaCodeHook: { codeHookInterfaceVersion: '1.0', lambdaArn: props.codeHook.functionArn },
    };
    const aliasLocales = locales.map((l) => ({
      localeId: l.localeId,
      botAliasLocaleSetting: { enabled: true, codeHookSpecification },
    }));

    this.bot = new lex.CfnBot(this, 'Bot', {
      name: `${Stack.of(this).stackName}-retention-chat`.slice(0, 100),
      description: 'Retention Desk chat: reason, verification, offers by ConfirmIntent',
      roleArn: role.roleArn,
      dataPrivacy: { ChildDirected: false },
      idleSessionTtlInSeconds: 600,
      autoBuildBotLocales: true,
      botLocales: locales,
      testBotAliasSettings: { botAliasLocaleSettings: aliasLocales },
    });

    // A version is a snapshot of the draft when it is created, and CloudFormation makes a new one
    // only when the version's own properties change: the description carries a hash of the
    // definition, so every change to the bot publishes a version and moves the alias to it.
    const definition = createHash('sha256').update(JSON.stringify(locales)).digest('hex').slice(0, 16);
    this.version = new lex.CfnBotVersion(this, 'Version', {
      botId: this.bot.attrId,
      description: `Retention chat, definition ${definition}`,
      botVersionLocaleSpecification: locales.map((l) => ({
        localeId: l.localeId,
        botVersionLocaleDetails: { sourceBotVersion: 'DRAFT' },
      })),
    });
    this.liveAlias = new lex.CfnBotAlias(this, 'LiveAlias', {
      botId: this.bot.attrId,
      botAliasName: 'live',
      description: 'Production: the latest published version, with the lex-adapter code hook',
      botVersion: this.version.attrBotVersion,
      botAliasLocaleSettings: aliasLocales,
      // No conversation logs: the chat's factors stay out of CloudWatch (and the slots are obfuscated).
    });

    // Only this bot's aliases may invoke the code hook.
    props.codeHook.addPermission('InvokedByLex', {
      principal: new iam.ServicePrincipal('lexv2.amazonaws.com'),
      sourceArn: `arn:${Aws.PARTITION}:lex:${Aws.REGION}:${Aws.ACCOUNT_ID}:bot-alias/${this.bot.attrId}/*`,
      sourceAccount: Aws.ACCOUNT_ID,
    });
  }
}
