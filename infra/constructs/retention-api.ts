import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PROBLEM_BASE } from '../../shared/channels/http-response';
import { ADMIN_ROUTES } from '../../shared/schemas/admin';
import { ROUTES } from '../../shared/schemas/api';

export interface RetentionApiProps {
  /** The http-api function: one Lambda proxy behind every call route. */
  handler: lambda.IFunction;
  /** The admin-api function: configuration versions and dry-runs. */
  adminHandler: lambda.IFunction;
  /** The desk's people: every method takes an ID token of this pool (Authorization: Bearer …). */
  userPool: cognito.IUserPool;
}

/**
 * Errors API Gateway answers itself (before the function), as problem documents like the function's own.
 * Mapping templates here are plain substitution (no VTL) and there is no status variable, so each status
 * is written per response type; the DEFAULT_* catch-alls keep API Gateway's status and carry no `status`
 * member rather than a wrong one (it is optional in RFC 9457).
 */
const GATEWAY_PROBLEMS: Array<{
  type: apigateway.ResponseType;
  slug: string;
  title: string;
  status?: number;
}> = [
  {
    type: apigateway.ResponseType.UNAUTHORIZED,
    slug: 'unauthenticated',
    title: 'Missing, invalid or expired token',
    status: 401,
  },
  {
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    slug: 'unauthenticated',
    title: 'Not signed or no such route',
    status: 403,
  },
  {
    type: apigateway.ResponseType.INVALID_SIGNATURE,
    slug: 'unauthenticated',
    title: 'Invalid request signature',
    status: 403,
  },
  {
    type: apigateway.ResponseType.EXPIRED_TOKEN,
    slug: 'unauthenticated',
    title: 'Expired credentials',
    status: 403,
  },
  { type: apigateway.ResponseType.ACCESS_DENIED, slug: 'forbidden', title: 'Access denied', status: 403 },
  {
    type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
    slug: 'validation',
    title: 'Invalid request',
    status: 400,
  },
  {
    type: apigateway.ResponseType.REQUEST_TOO_LARGE,
    slug: 'too-large',
    title: 'Request too large',
    status: 413,
  },
  { type: apigateway.ResponseType.THROTTLED, slug: 'throttled', title: 'Too many requests', status: 429 },
  {
    type: apigateway.ResponseType.INTEGRATION_TIMEOUT,
    slug: 'timeout',
    title: 'The turn took too long',
    status: 504,
  },
  { type: apigateway.ResponseType.DEFAULT_4XX, slug: 'client-error', title: 'Request refused' },
  { type: apigateway.ResponseType.DEFAULT_5XX, slug: 'server-error', title: 'Service unavailable' },
];

/**
 * The REST API v1: the routes of `ROUTES` and `ADMIN_ROUTES`, each behind a Cognito user pools
 * authorizer (the desk's people, with their roles as groups), proxied to http-api or admin-api, which
 * read the verified claims, check the role, and validate bodies with the same zod schemas the local
 * server uses. The channel adapters are not on this API: Connect and Lex invoke them (IAM).
 */
export class RetentionApi extends Construct {
  readonly restApi: apigateway.RestApi;

  constructor(scope: Construct, id: string, props: RetentionApiProps) {
    super(scope, id);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.restApi = new apigateway.RestApi(this, 'RestApi', {
      restApiName: `${Stack.of(this).stackName}-api`,
      description: 'Retention Desk REST API v1',
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      minCompressionSize: Size.kibibytes(1),
      // Execution logging (cdk-nag APIG6) needs the account-level CloudWatch role; cdk.json turns its creation off by default.
      cloudWatchRole: true,
      deployOptions: {
        stageName: 'prod',
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        // Bodies carry verification factors (DOB, PIN): never in logs.
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
      },
    });

    // Bodies are validated by http-api against the zod schemas (the single source of every contract, and
    // what the local server runs too), so no API Gateway models: this validator enforces the path parameters.
    const validator = this.restApi.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new apigateway.LambdaIntegration(props.handler, { allowTestInvoke: false });
    const adminIntegration = new apigateway.LambdaIntegration(props.adminHandler, { allowTestInvoke: false });
    // Verifies the ID token (signature, issuer, audience, expiry) and hands its claims to the function
    // as requestContext.authorizer.claims; the function decides what the roles allow.
    const authorizer = new apigateway.CognitoUserPoolsAuthorizer(this, 'Agents', {
      cognitoUserPools: [props.userPool],
      identitySource: apigateway.IdentitySource.header('Authorization'),
      resultsCacheTtl: Duration.minutes(5),
    });

    for (const route of [...ROUTES, ...ADMIN_ROUTES]) {
      const resource = this.restApi.root.resourceForPath(route.resource);
      const pathParams = [...route.resource.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const target = (ADMIN_ROUTES as readonly { resource: string }[]).includes(route)
        ? adminIntegration
        : integration;
      resource.addMethod(route.method, target, {
        operationName: route.action,
        authorizationType: apigateway.AuthorizationType.COGNITO,
        authorizer,
        requestValidator: validator,
        requestParameters: Object.fromEntries(pathParams.map((p) => [`method.request.path.${p}`, true])),
      });
    }

    for (const p of GATEWAY_PROBLEMS) {
      const status = p.status === undefined ? '' : `"status":${p.status},`;
      this.restApi.addGatewayResponse(`Problem${p.type.responseType}`, {
        type: p.type,
        ...(p.status === undefined ? {} : { statusCode: String(p.status) }),
        responseHeaders: { 'Content-Type': "'application/problem+json'", 'Cache-Control': "'no-store'" },
        templates: {
          'application/json': `{"type":"${PROBLEM_BASE}${p.slug}","title":"${p.title}",${status}"detail":$context.error.messageString}`,
        },
      });
    }

    Validations.of(this.restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Every method requires an ID token of the desk user pool (MFA required, threat protection on) and the stage is throttled (100 rps, burst 200); the callers are the desk staff, whose desktop reaches the API from the corporate network. Add a WAF web ACL when the desktop is exposed to the internet.',
    });
    const cwRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cwRole) {
      Validations.of(cwRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-wide execution-logging role: AWS's managed policy for exactly this purpose; API Gateway names the log groups it writes to, so a custom policy could not be narrower.",
      });
    }
  }
}
