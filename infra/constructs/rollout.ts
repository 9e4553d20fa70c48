import { Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface RolloutProps {
  /** The `live` aliases to shift gradually, by the function's entry name. */
  aliases: Record<string, lambda.Alias>;
  /** Any of these in ALARM during a deployment stops it and puts every alias back. */
  alarms: cloudwatch.IAlarm[];
  /** Default: 10 % of invocations for 5 minutes, then all. */
  config?: codedeploy.ILambdaDeploymentConfig;
}

/**
 * Gradual deployments: each function on the call path is invoked through its `live` alias, and a
 * deploy that publishes a new version hands the alias to CodeDeploy, which sends 10 % of invocations
 * to the new version for 5 minutes, then all, and rolls the alias back to the previous version if a
 * rollback alarm fires meanwhile (or the deployment fails or is stopped).
 */
export class Rollout extends Construct {
  readonly application: codedeploy.LambdaApplication;
  readonly groups: Record<string, codedeploy.LambdaDeploymentGroup> = {};

  constructor(scope: Construct, id: string, props: RolloutProps) {
    super(scope, id);
    this.application = new codedeploy.LambdaApplication(this, 'Application', {
      applicationName: `${Stack.of(this).stackName}-functions`,
    });
    for (const [name, alias] of Object.entries(props.aliases)) {
      const group = new codedeploy.LambdaDeploymentGroup(this, name, {
        application: this.application,
        alias,
        deploymentConfig: props.config ?? codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
        alarms: props.alarms,
        autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
      });
      this.groups[name] = group;
      Validations.of(group.role as iam.Role).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        reason:
          "CodeDeploy's own role for Lambda deployments, with the managed policy AWS keeps for it (the Limited one: get and update aliases, read the alarms, invoke hooks named CodeDeployHook_*); it acts on our aliases only when this deployment group runs.",
      });
    }
  }
}
