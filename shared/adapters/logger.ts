import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One logger for every function. Only ids, stages and outcomes are logged: never verification
 * factors, phone numbers or names (test/unit/no-pii-in-logs.test.ts checks it).
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'retention-desk' });
