import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DataStack } from './stacks/data-stack';
import { ServiceStack } from './stacks/service-stack';

export interface BuildAppOptions {
  /** false skips esbuild (tests, the local runtime): templates only. */
  bundling?: boolean;
  context?: Record<string, unknown>;
}

/**
 * The CDK app, checked by cdk-nag's AwsSolutions pack: an unacknowledged error fails synth.
 * Each acknowledgment sits next to the resource it concerns, with its reason.
 */
export function buildApp(opts: BuildAppOptions = {}): { app: App; data: DataStack; service: ServiceStack } {
  const app = new App({
    context: {
      // Export/import between the stacks: a table cannot be removed while functions use it (infra/local reads these imports).
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      ...(opts.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
      ...opts.context,
    },
  });
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const env =
    account || region ? { ...(account ? { account } : {}), ...(region ? { region } : {}) } : undefined;

  const data = new DataStack(app, 'RetentionDesk-Data', {
    env,
    description: 'Retention Desk: tables (stateful)',
  });
  const service = new ServiceStack(app, 'RetentionDesk-Service', {
    env,
    data,
    description: 'Retention Desk: functions, state machine, REST API (stateless)',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, data, service };
}
