/** What the portfolio placement's starter uses of the Lambda SDK, by name (see ./s3.ts). */
export { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
