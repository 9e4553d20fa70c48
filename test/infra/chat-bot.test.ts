import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { RetentionFunction } from '../../infra/constructs/retention-function';
import { FALLBACK_TEXT, LEX_INTENTS } from '../../shared/channels/lex';

const { service } = buildApp({ bundling: false });
const template = Template.fromStack(service);
const lexAdapter = service.node
  .findAll()
  .find((c): c is RetentionFunction => c instanceof RetentionFunction && c.entryName === 'lex-adapter')!;
const lexAdapterLiveId = Stack.of(lexAdapter).getLogicalId(lexAdapter.live().node.defaultChild as CfnElement);

describe('Lex V2 chat bot', () => {
  const bot = Object.values(template.findResources('AWS::Lex::Bot'))[0]?.Properties;
  it('has one intent per reason for contact, the verification slots, and the fallback', () => {
    const locale = bot.BotLocales[0];
    expect(locale.LocaleId).toBe('en_US');
    const names = locale.Intents.map((i: { Name: string }) => i.Name);
    expect(names.sort()).toEqual([...LEX_INTENTS, 'FallbackIntent'].sort());
    for (const intent of locale.Intents.filter((i: { Name: string }) => i.Name !== 'FallbackIntent')) {
      expect(intent.DialogCodeHook).toEqual({ Enabled: true });
      expect(intent.SampleUtterances.length).toBeGreaterThan(0);
      expect(intent.Slots.map((s: { Name: string }) => s.Name)).toEqual(['phone', 'last4', 'zip', 'dob']);
    }
  });
  const intents = bot.BotLocales[0].Intents as Array<Record<string, any>>;
  const reasons = intents.filter((i) => i.Name !== 'FallbackIntent');

  it('runs on a published version behind the live alias, with the code hook there too', () => {
    const versions = Object.values(template.findResources('AWS::Lex::BotVersion')).map((r) => r.Properties);
    expect(versions).toHaveLength(1);
    const botId = Object.keys(template.findResources('AWS::Lex::Bot'))[0]!;
    expect(versions[0].BotId).toEqual({ 'Fn::GetAtt': [botId, 'Id'] });
    expect(versions[0].BotVersionLocaleSpecification).toEqual([
      { LocaleId: 'en_US', BotVersionLocaleDetails: { SourceBotVersion: 'DRAFT' } },
    ]);
    // A new definition, a new version: the description carries the definition's hash.
    expect(versions[0].Description).toMatch(/^Retention chat, definition [0-9a-f]{16}$/);
    const aliases = Object.entries(template.findResources('AWS::Lex::BotAlias'));
    expect(aliases).toHaveLength(1);
    const [, alias] = aliases[0]!;
    const versionId = Object.keys(template.findResources('AWS::Lex::BotVersion'))[0]!;
    expect(alias.Properties).toMatchObject({
      BotAliasName: 'live',
      BotId: { 'Fn::GetAtt': [botId, 'Id'] },
      BotVersion: { 'Fn::GetAtt': [versionId, 'BotVersion'] },
    });
    expect(
      alias.Properties.BotAliasLocaleSettings[0].BotAliasLocaleSetting.CodeHookSpecification.LambdaCodeHook
        .LambdaArn,
    ).toEqual({ Ref: lexAdapterLiveId });
    expect(alias.Properties.ConversationLogSettings).toBeUndefined();
  });

  it('obfuscates every factor slot, and takes the last four and the ZIP code as digits only', () => {
    for (const intent of reasons)
      for (const slot of intent.Slots)
        expect(slot.ObfuscationSetting, `${intent.Name}.${slot.Name}`).toEqual({
          ObfuscationSettingType: 'DefaultObfuscation',
        });
    const types = Object.fromEntries(
      (bot.BotLocales[0].SlotTypes as Array<Record<string, any>>).map((t) => [t.Name, t]),
    );
    const slotType = Object.fromEntries(reasons[0]!.Slots.map((s: any) => [s.Name, s.SlotTypeName]));
    expect(slotType).toEqual({
      phone: 'AMAZON.PhoneNumber',
      last4: 'CardLastFour',
      zip: 'ZipCode',
      dob: 'AMAZON.Date',
    });
    const pattern = (name: string) =>
      new RegExp(`^${types[name].ValueSelectionSetting.RegexFilter.Pattern}$`);
    expect(types.CardLastFour.ParentSlotTypeSignature).toBe('AMAZON.AlphaNumeric');
    expect(['1234', '0000'].every((v) => pattern('CardLastFour').test(v))).toBe(true);
    expect(['123', '12345', '12a4'].some((v) => pattern('CardLastFour').test(v))).toBe(false);
    expect(pattern('ZipCode').test('60614')).toBe(true);
    expect(pattern('ZipCode').test('6061')).toBe(false);
    // Lex's regex: no wildcard and no unbounded repeat.
    for (const t of Object.values(types) as Array<Record<string, any>>)
      expect(t.ValueSelectionSetting.RegexFilter.Pattern).not.toMatch(/[.*+]|\{\d+,\}/);
  });

  it('answers what it cannot place: the fallback has the code hook and a closing answer', () => {
    const fallback = intents.find((i) => i.Name === 'FallbackIntent')!;
    expect(fallback.ParentIntentSignature).toBe('AMAZON.FallbackIntent');
    expect(fallback.FulfillmentCodeHook).toEqual({ Enabled: true });
    expect(
      fallback.IntentClosingSetting.ClosingResponse.MessageGroupsList[0].Message.PlainTextMessage.Value,
    ).toBe(FALLBACK_TEXT);
  });

  it('has enough utterances per reason to build, none shared between two reasons', () => {
    const all = reasons.flatMap((i) =>
      i.SampleUtterances.map((u: { Utterance: string }) => u.Utterance.toLowerCase()),
    );
    for (const intent of reasons)
      expect(intent.SampleUtterances.length, intent.Name).toBeGreaterThanOrEqual(10);
    expect(new Set(all).size).toBe(all.length);
  });

  it('uses lex-adapter as the code hook of its alias, and only its aliases may invoke it', () => {
    const hook =
      bot.TestBotAliasSettings.BotAliasLocaleSettings[0].BotAliasLocaleSetting.CodeHookSpecification
        .LambdaCodeHook;
    // Its `live` alias (gradual deployments: infra/constructs/rollout.ts).
    expect(hook.LambdaArn).toEqual({ Ref: lexAdapterLiveId });
    const perms = Object.values(template.findResources('AWS::Lambda::Permission'))
      .map((r) => r.Properties)
      .filter((p) => p.Principal === 'lexv2.amazonaws.com');
    expect(perms).toHaveLength(1);
    expect(JSON.stringify(perms[0].SourceArn)).toContain('bot-alias/');
    expect(perms[0].FunctionName).toEqual({ Ref: lexAdapterLiveId });
  });
});
