/**
 * What the Step Functions runner uses of the SDK, by name. ../sfn-runner.ts loads this module on the
 * first turn: a dynamic import of the package itself would keep all of client-sfn in the bundle.
 */
export { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
