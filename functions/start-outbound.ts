import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { configSource, outboundDeps, rememberOwnArn } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { lazyHandler } from '../shared/adapters/task-handler';
import { type OutboundDeps, runOutbound } from '../shared/application/outbound';
import { zodErrors } from '../shared/application/validation';
import { OutboundRequestSchema } from '../shared/schemas/outbound';

/** An "Outbound Contact Requested" event from the bus, or a deferred request from its schedule. */
const InputSchema = z.union([
  z.object({ 'detail-type': z.literal('Outbound Contact Requested'), detail: OutboundRequestSchema }),
  z.object({ deferred: OutboundRequestSchema }),
]);

/**
 * StartOutbound: one outbound request, judged under the outbound contact policy and started once
 * (shared/application/outbound.ts). Input that is not a request is refused, named, and changes nothing.
 */
export const makeHandler = (deps: Omit<OutboundDeps, 'config'> & { config?: OutboundDeps['config'] }) =>
  middy<unknown, unknown, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event, context) => {
      // A deferred request's schedule invokes this function again: its ARN is this invocation's.
      if (context?.invokedFunctionArn) rememberOwnArn(context.invokedFunctionArn);
      const input = InputSchema.safeParse(event);
      if (!input.success) {
        const errors = zodErrors(input.error, 'event');
        logger.error('outbound input refused', { errors });
        return { refused: errors };
      }
      const r = 'deferred' in input.data ? input.data.deferred : input.data.detail;
      const config = deps.config ?? (async () => (await configSource().active()) ?? undefined);
      const result = await runOutbound(r, { ...deps, config });
      logger.info('outbound contact', {
        requestId: r.id,
        strategyId: r.strategyId,
        stageId: r.stageId,
        requested: r.channel,
        ...result,
      });
      return result;
    });

export const handler = lazyHandler('start-outbound', () => makeHandler(outboundDeps()));
