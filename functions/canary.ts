import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { accountStore, pepper, salt, turnRunner } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { publishMetrics } from '../shared/adapters/metrics';
import { lazyHandler } from '../shared/adapters/task-handler';
import { type CanaryDeps, type CanaryReport, playCanary } from '../shared/application/canary';
import { canaryMetrics } from '../shared/domain/metrics';

/**
 * The canary: every few minutes (a schedule), one synthetic call through the state machine against
 * its own account; publishes CanaryCalls and CanaryLatency (the alarm `CanaryFailing` reads them) and
 * logs the step that failed. It never throws: a failed call is a metric, not a retried invocation.
 */
export const makeHandler = (deps: CanaryDeps) =>
  middy<unknown, CanaryReport, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async () => {
      const report = await playCanary(deps);
      publishMetrics(canaryMetrics(report.passed, report.ms));
      if (report.passed) logger.info('canary passed', { ...report });
      else logger.error('canary failed', { ...report });
      return report;
    });

export const handler = lazyHandler('canary', () => {
  const accounts = accountStore();
  return makeHandler({
    runner: turnRunner(),
    writeAccount: (a) => accounts.replaceCanary(a),
    pepper,
    salt,
  });
});
