import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { decodeStreamImage, kpiStore } from '../shared/adapters/composition';

import { logger } from '../shared/adapters/logger';
import { lazyHandler } from '../shared/adapters/task-handler';
import { aggregateStreamBatch, KpiStreamEventSchema } from '../shared/application/kpis';
import type { KpiStore } from '../shared/ports';
import { OfferLogEventSchema } from '../shared/schemas/contact';
import { prebuild } from '../shared/schemas/lazy';

// Every batch is parsed with them: built at init, not inside the first batch.
prebuild(KpiStreamEventSchema, OfferLogEventSchema);

/** What Lambda needs back from a function behind a tumbling window: the window's state (none is kept). */
export interface WindowResponse {
  state: Record<string, string>;
}

/**
 * AggregateKpis: the offer log's stream, a batch at a time, into the KPI report's daily aggregates.
 * Each record is counted once (the store's per-shard checkpoint; see DynamoKpiStore). A batch that
 * is not what the event source mapping sends (no shard id: the mapping lost its tumbling window) is
 * an error, thrown: the shard waits (its iterator age alarms) rather than lose a record. A storage
 * fault is thrown too: Lambda hands the batch over again.
 */
export const makeHandler = (deps: { store: KpiStore; clock?: () => Date }) =>
  middy<unknown, WindowResponse, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const now = deps.clock?.() ?? new Date();
      const r = await aggregateStreamBatch(
        event,
        deps.store,
        decodeStreamImage,
        Math.floor(now.getTime() / 1000),
      );
      if (!r.ok) {
        logger.error('offer-log batch refused', { errors: r.errors });
        throw new Error(
          `Not an offer-log stream batch: ${r.errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        );
      }
      const o = r.outcome;
      if (o.unreadable.length > 0)
        logger.error('offer-log entries not counted', { unreadable: o.unreadable });
      logger.info('kpis', { counted: o.counted, alreadyCounted: o.alreadyCounted, writes: o.writes });
      return { state: {} };
    });

export const handler = lazyHandler('aggregate-kpis', () => makeHandler({ store: kpiStore() }));
