import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { configAdmin, portfolioPlacement } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { lazyHandler } from '../shared/adapters/task-handler';
import { runDueActivation, startPlacement } from '../shared/application/governance';
import type { ConfigAdmin, PortfolioPlacement } from '../shared/ports';

/**
 * The schedule's event: EventBridge's "Scheduled Event" (other fields ignored). Its `time` is the
 * minute the rule fired for, the run's clock; locally the stack's timer sends the time, and tests a
 * time of their choosing (a due activation without waiting for it).
 */
const ScheduledEventSchema = z.object({ time: z.iso.datetime({ offset: true }).optional() });

/**
 * ActivateDue: every minute, carries out the pending (scheduled) activation once it is due, in one
 * transaction with its removal and its audit entry, then starts the portfolio's placement as a
 * person's activation does. Nothing pending or not yet due: nothing is written.
 */
export const makeHandler = (deps: {
  configs: ConfigAdmin;
  placement?: PortfolioPlacement;
  clock?: () => Date;
}) =>
  middy<unknown, { kind: string; version?: string; placement?: string }, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const e = ScheduledEventSchema.safeParse(event ?? {});
      const now = new Date(
        (e.success && e.data.time) || (deps.clock?.() ?? new Date()).toISOString(),
      ).toISOString();
      const r = await runDueActivation(deps.configs, now);
      if (r.kind === 'none' || r.kind === 'not-due') return { kind: r.kind };
      const version = r.pending.version;
      if (r.kind !== 'activated') {
        logger.warn('scheduled activation not carried out', { kind: r.kind, version, reason: r.reason });
        return { kind: r.kind, version };
      }
      const placement = await startPlacement(deps.placement, 'ACTIVATION');
      logger.info('scheduled activation', { version, previousVersion: r.previousVersion, placement });
      return { kind: r.kind, version, placement };
    });

export const handler = lazyHandler('activate-due', () =>
  makeHandler({ configs: configAdmin(), placement: portfolioPlacement() }),
);
