import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { readLocalDefinition } from '../../infra/local/template';
import { readArchitecture } from '../bench/cost-model';
import { type Json, lenient } from './helpers';

/** Gradual deployments: the call path through `live` aliases, shifted by CodeDeploy, rolled back on alarm. */
const { service } = buildApp({
  bundling: false,
  context: { ...lenient, connectInstanceArn: 'arn:aws:connect:eu-west-1:123456789012:instance/x' },
});
const tpl = Template.fromStack(service);
const resources = tpl.toJSON().Resources as Record<string, Json>;
const ofType = (t: string) => Object.entries(resources).filter(([, r]) => r.Type === t);
const CALL_PATH = ['decide-turn', 'save-turn', 'http-api', 'connect-adapter', 'lex-adapter', 'admin-api'];
const fnId = (entry: string) =>
  ofType('AWS::Lambda::Function').find(([, r]) =>
    String(r.Properties.Role?.['Fn::GetAtt']?.[0]).startsWith(
      {
        'decide-turn': 'DecideTurn',
        'save-turn': 'SaveTurn',
        'http-api': 'HttpApi',
        'connect-adapter': 'ConnectAdapter',
        'lex-adapter': 'LexAdapter',
        'admin-api': 'AdminApi',
      }[entry]!,
    ),
  )![0];
const aliasOf = (entry: string) =>
  ofType('AWS::Lambda::Alias').find(([, a]) => a.Properties.FunctionName.Ref === fnId(entry))!;
const alarmId = (name: string) => ofType('AWS::CloudWatch::Alarm').find(([id]) => id.includes(name))![0];

describe('gradual deployments', () => {
  it.each(CALL_PATH)(
    '%s is invoked through its live alias, on the published version, updated by CodeDeploy',
    (entry) => {
      const [id, alias] = aliasOf(entry);
      expect(alias.Properties.Name).toBe('live');
      const version = alias.Properties.FunctionVersion['Fn::GetAtt'][0] as string;
      expect(resources[version]!.Type).toBe('AWS::Lambda::Version');
      expect(alias.UpdatePolicy.CodeDeployLambdaAliasUpdate).toBeDefined();
      const group = ofType('AWS::CodeDeploy::DeploymentGroup').find(
        ([gid]) => alias.UpdatePolicy.CodeDeployLambdaAliasUpdate.DeploymentGroupName.Ref === gid,
      )![1].Properties;
      expect(group.DeploymentConfigName).toEqual(expect.stringContaining('LambdaCanary10Percent5Minutes'));
      expect(group.AutoRollbackConfiguration).toEqual({
        Enabled: true,
        Events: expect.arrayContaining([
          'DEPLOYMENT_FAILURE',
          'DEPLOYMENT_STOP_ON_ALARM',
          'DEPLOYMENT_STOP_ON_REQUEST',
        ]),
      });
      const alarms = (group.AlarmConfiguration.Alarms as Json[]).map((a) => a.Name.Ref);
      expect(alarms.sort()).toEqual(
        ['FallbackRate', 'Api5xx', 'StateMachineFailures', 'VoiceLatencyNearConnectBudget']
          .map(alarmId)
          .sort(),
      );
      expect(group.AlarmConfiguration.Enabled).toBe(true);
      expect(id).toBeDefined();
    },
  );

  it('the state machine invokes the aliases of DecideTurn and SaveTurn', () => {
    const sm = ofType('AWS::StepFunctions::StateMachine')[0]![1];
    const definition = JSON.stringify(sm.Properties.DefinitionString);
    for (const e of ['decide-turn', 'save-turn']) {
      expect(definition).toContain(`{"Ref":"${aliasOf(e)[0]}"}`);
      expect(definition).not.toContain(`"${fnId(e)}","Arn"`);
    }
  });

  it('Connect and Lex invoke the adapters’ aliases (permissions and the bot’s code hook)', () => {
    const perms = ofType('AWS::Lambda::Permission').map(([, p]) => p.Properties);
    const connect = perms.find((p) => p.Principal === 'connect.amazonaws.com')!;
    expect(connect.FunctionName).toEqual({ Ref: aliasOf('connect-adapter')[0] });
    const lex = perms.find((p) => p.Principal === 'lexv2.amazonaws.com')!;
    expect(lex.FunctionName).toEqual({ Ref: aliasOf('lex-adapter')[0] });
    expect(JSON.stringify(ofType('AWS::Lex::Bot')[0]![1])).toContain(aliasOf('lex-adapter')[0]);
  });

  it('the local stack still finds its task functions behind the aliases', () => {
    const def = readLocalDefinition();
    expect(def.stateMachine.taskFunctions).toEqual({ DecideTurn: 'decide-turn', SaveTurn: 'save-turn' });
  });

  it('the bill (npm run cost) still sees http-api behind the API and Lambda tasks behind the aliases', () => {
    const entries = Object.fromEntries(CALL_PATH.map((e) => [fnId(e), e]));
    const arch = readArchitecture([{ stackName: service.stackName, template: tpl.toJSON() }], entries);
    expect(arch.apis[0]!.targets.sort()).toEqual(['admin-api', 'http-api']);
    for (const r of Object.values(arch.stateMachines[0]!.resources)) expect(r).toMatch(/:function:.*:live$/);
  });
});
