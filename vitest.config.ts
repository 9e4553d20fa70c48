import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Removes the cdk.out* folders the CDK apps of the tests leave in the temp folder.
    globalSetup: ['test/global-setup.ts'],
    // Function logs stay quiet in tests; the PII test turns them on where it reads them.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_REGION: 'us-east-1' },
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each integration/e2e file starts its own DynamoDB Local (Java); two at a time fit 2 cores.
    maxWorkers: 2,
  },
});
