import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { decodeStreamImage, propensityStore } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { lazyHandler } from '../shared/adapters/task-handler';
import { KpiStreamEventSchema, readStreamBatch } from '../shared/application/kpis';
import type { PropensityStore } from '../shared/ports';
import { OfferLogEventSchema } from '../shared/schemas/contact';
import { prebuild } from '../shared/schemas/lazy';

// Every batch is parsed with them: built at init, not inside the first batch.
prebuild(KpiStreamEventSchema, OfferLogEventSchema);

/**
 * LearnPropensity: the offer log's stream, a batch at a time, into the offers' propensity models
 * (shared/domain/propensity.ts). Each answer is learned once (the store's per-shard checkpoint and
 * model versions; see DynamoPropensityStore). A batch without a shard id (the mapping lost its
 * tumbling window) is an error, thrown: the shard waits (its iterator age alarms) rather than lose
 * an answer. A storage fault is thrown too: Lambda hands the batch over again.
 */
export const makeHandler = (deps: { store: PropensityStore; clock?: () => Date }) =>
  middy<unknown, { state: Record<string, string> }, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const now = deps.clock?.() ?? new Date();
      const batch = readStreamBatch(event, decodeStreamImage);
      if (!batch.ok) {
        logger.error('offer-log batch refused', { errors: batch.errors });
        throw new Error(
          `Not an offer-log stream batch: ${batch.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        );
      }
      if (batch.unreadable.length > 0)
        logger.error('offer-log entries not learned', { unreadable: batch.unreadable });
      const o = await deps.store.apply(batch.shardId, batch.records, Math.floor(now.getTime() / 1000));
      logger.info('propensity', { ...o });
      return { state: {} };
    });

export const handler = lazyHandler('learn-propensity', () => makeHandler({ store: propensityStore() }));
