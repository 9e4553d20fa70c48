import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { RetentionFunction } from '../../infra/constructs/retention-function';
import { LEX_INTENTS } from '../../shared/channels/lex';

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
