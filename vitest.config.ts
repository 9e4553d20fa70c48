import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Removes the cdk.out* folders the CDK apps of the tests leave in the temp folder.
    globalSetup: ['test/global-setup.ts'],
    // Function logs and metric lines stay quiet in tests; the PII and metrics tests turn them on where
    // they read them.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', AWS_REGION: 'us-east-1' },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each integration/e2e file starts its own DynamoDB Local (Java); two at a time fit 2 cores.
    maxWorkers: 2,
  },
});
