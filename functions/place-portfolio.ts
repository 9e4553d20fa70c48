import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { accountStore, freshConfigSource, funnelStore } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { lazyHandler } from '../shared/adapters/task-handler';
import { type PortfolioStore, placeSegment } from '../shared/application/portfolio';
import { stageLogLines } from '../shared/application/strategies';
import { zodErrors } from '../shared/application/validation';
import type { ConfigSource, PlacementProgress, SegmentProgress } from '../shared/ports';

/** Which segment of the portfolio to place, and why (the schedule, an activation). */
export const PlaceSegmentEventSchema = z.strictObject({
  segment: z.number().int().min(0).max(63),
  totalSegments: z.number().int().min(1).max(64),
  cause: z.enum(['SCHEDULE', 'ACTIVATION']),
});

/**
 * PlacePortfolio: one segment of the accounts table placed by the active strategies (daily at 03:00 UTC for the
 * conditions on time; after an activation, as its backfill). A bad event is refused by name and
 * places nothing; a storage fault is thrown (Lambda retries the asynchronous invocation; a segment
 * placed twice moves nothing the second time).
 */
export const makeHandler = (deps: {
  store: PortfolioStore;
  progress: PlacementProgress;
  configs: ConfigSource;
}) =>
  middy<unknown, SegmentProgress | { refused: ReturnType<typeof zodErrors> }, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const e = PlaceSegmentEventSchema.safeParse(event);
      if (!e.success || e.data.segment >= e.data.totalSegments) {
        const refused = e.success
          ? [{ path: 'segment', message: 'must be below totalSegments' }]
          : zodErrors(e.error, '');
        logger.error('placement refused', { errors: refused });
        return { refused };
      }
      const config = await deps.configs.active();
      const done = await placeSegment(
        {
          store: deps.store,
          progress: deps.progress,
          onMoves: (moves, at) => {
            for (const line of stageLogLines(moves, at, e.data.cause)) logger.info('strategy stage', line);
          },
        },
        config,
        e.data,
      );
      logger.info('placed', { ...done });
      return done;
    });

export const handler = lazyHandler('place-portfolio', () =>
  // Read afresh: a run started by an activation places by the version just activated, not a cached one.
  makeHandler({ store: accountStore(), progress: funnelStore(), configs: freshConfigSource() }),
);
