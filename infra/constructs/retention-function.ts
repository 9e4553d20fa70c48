import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * How every function is bundled (esbuild, locally). `npm run bench` builds with these same options
 * (test/bench/bundles.ts), so the sizes and init times it reports are those of what deploys.
 * - The AWS SDK is bundled (`externalModules: []`), not resolved from the runtime: tree-shaken and
 *   minified with the rest, and the version is the one the tests ran.
 * - CommonJS: an ES module bundle links every Node built-in any bundled code imports (even code only
 *   run on first use) before it starts, each through an ESM facade that reads all of the built-in's
 *   exports (`node:http`'s loads Node's whole fetch implementation, undici). From CommonJS they are
 *   plain require() calls, made when the module that needs them is first initialised.
 * - Source maps are written beside the bundle (to decode a stack offline), without the sources (a
 *   smaller asset), and Node does not load them: `--enable-source-maps` (NODE_OPTIONS) reads and
 *   decodes the whole map at init, 2–3 MB with the SDK in the bundle, which cost more than the 60 ms
 *   init budget by itself (`npx tsx test/bench/init-profile.ts --source-maps`). To read a stack with
 *   original positions, set NODE_OPTIONS=--enable-source-maps on the function while debugging.
 */
export const RETENTION_BUNDLING: BundlingOptions = {
  format: OutputFormat.CJS,
  externalModules: [],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: 'node24',
  // ES module builds of packages first: esbuild tree-shakes them.
  mainFields: ['module', 'main'],
};

export type TableAccess = 'RO' | 'RW' | 'WO';

export interface RetentionFunctionProps {
  /** The entry is `functions/<name>.ts`. */
  name: string;
  memorySize?: number;
  timeout?: Duration;
  environment?: Record<string, string>;
}

/**
 * Every Lambda of the project, with the defaults fixed once: nodejs24.x on arm64, one CommonJS
 * bundle with the AWS SDK in it (RETENTION_BUNDLING), active tracing, its own log group, and its
 * own role (which may write to that log group only, plus what `bindTable*` grants).
 */
export class RetentionFunction extends NodejsFunction {
  /** `functions/<entryName>.ts`: the local runtime maps the synthesized function back to its file with it. */
  readonly entryName: string;

  constructor(scope: Construct, id: string, props: RetentionFunctionProps) {
    // Created beside the function (not under it) because the function's props need them.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Our own role instead of AWSLambdaBasicExecutionRole, which may write to every log group (cdk-nag IAM4).
    // X-Ray's actions take no resource but "*": they live in the role's inline policy, which alone is
    // acknowledged below, so a wildcard that ever reaches the grants (DefaultPolicy) still fails synth.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs functions/${props.name}.ts`,
      inlinePolicies: {
        Tracing: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
              resources: ['*'],
            }),
          ],
        }),
      },
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: resolve(ROOT, 'functions', `${props.name}.ts`),
      handler: 'handler',
      projectRoot: ROOT,
      depsLockFilePath: resolve(ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(3),
      logGroup,
      role,
      // JSON, so Lambda filters by level. Its own START/END/REPORT lines are INFO: at WARN they are not
      // written (Lambda's free metrics still give duration, errors and throttles; X-Ray the sampled
      // init times), about $2 per million voice contacts (npm run cost). Application lines stay at
      // INFO: Powertools takes this level over LOG_LEVEL, and an embedded metric (EMF) line has no
      // level, which Lambda reads as INFO, so a higher level here would drop the metrics. What a
      // function writes at INFO is its own choice (one line per turn, by the channel function).
      loggingFormat: lambda.LoggingFormat.JSON,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'retention-desk',
        LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: RETENTION_BUNDLING,
    });
    this.entryName = props.name;
    // Set on the resource rather than through `tracing`, which would add the X-Ray statement to DefaultPolicy.
    (this.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };

    Validations.of(role.node.defaultChild as iam.CfnRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so their resource is "*".',
    });
  }

  private liveAlias?: lambda.Alias;
  /**
   * The alias callers invoke (`live`), on the version this deploy published: what CodeDeploy shifts
   * traffic to gradually and rolls back (infra/constructs/rollout.ts). Made on first use.
   */
  live(): lambda.Alias {
    this.liveAlias ??= new lambda.Alias(this, 'Live', { aliasName: 'live', version: this.currentVersion });
    return this.liveAlias;
  }

  /** Gives the function one table: its name in `envVar`, and only the data actions `access` needs. */
  bindTable(table: dynamodb.ITableV2, envVar: string, access: TableAccess): void {
    this.addEnvironment(envVar, table.tableName);
    if (access === 'RO') table.grantReadData(this);
    else if (access === 'RW') table.grantReadWriteData(this);
    else table.grantWriteData(this);
  }

  /**
   * Gives the function one table with exactly `actions` on the table itself (no index): for a function
   * that needs less than RO/RW/WO, such as a writer to an append-only log that only ever puts.
   */
  bindTableActions(table: dynamodb.ITableV2, envVar: string, actions: string[]): void {
    this.addEnvironment(envVar, table.tableName);
    this.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [table.tableArn] }));
    table.encryptionKey?.grantEncryptDecrypt(this);
  }

  /** Lets the function Query one index of a table it is bound to (that index only, not `index/*`). */
  allowIndexQuery(table: dynamodb.ITableV2, indexName: string): void {
    this.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [`${table.tableArn}/index/${indexName}`],
      }),
    );
  }
}
