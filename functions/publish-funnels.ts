import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { freshConfigSource, funnelStore } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { publishMetrics } from '../shared/adapters/metrics';
import { lazyHandler } from '../shared/adapters/task-handler';
import { type FunnelReader, readFunnels } from '../shared/application/funnels';
import { type FunnelSnapshot, funnelMetrics } from '../shared/domain/metrics';
import type { ConfigSource } from '../shared/ports';

/**
 * PublishFunnels: every 5 minutes (a schedule), the funnel of each active strategy as CloudWatch
 * metrics (StrategyStageAccounts per strategy and stage, and the portfolio placement's progress),
 * read from the funnel counters: one BatchGet per active strategy and one for the progress, never a
 * scan. A storage fault is thrown (the next run, 5 minutes later, is the retry).
 */
export const makeHandler = (deps: { configs: ConfigSource; funnels: FunnelReader }) =>
  middy<unknown, FunnelSnapshot, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async () => {
      const snapshot = await readFunnels(deps.funnels, await deps.configs.active());
      publishMetrics(funnelMetrics(snapshot));
      logger.info('funnels published', {
        configVersion: snapshot.configVersion,
        strategies: snapshot.strategies.length,
        placing: snapshot.placing,
      });
      return snapshot;
    });

export const handler = lazyHandler('publish-funnels', () =>
  // Read afresh: a 5-minute schedule has no use for a cached configuration (one read a run).
  makeHandler({ configs: freshConfigSource(), funnels: funnelStore() }),
);
