import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { turnRunner } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { measuredRunner, publishAdapterLatency } from '../shared/adapters/metrics';
import { lazyHandler } from '../shared/adapters/task-handler';
import { fallbackResponse, type HttpResponse, parseRequest, renderOutput } from '../shared/channels/http';
import { SAFE_ROUTE } from '../shared/domain/routing';
import type { TurnRunner } from '../shared/ports';

/**
 * The REST API v1: validates the request (zod), runs the turn through the state machine, and
 * shapes its answer. Bad input ends here with a 4xx problem; a fault is a 503 with a safe route.
 */
export const makeHandler = (deps: { runner: TurnRunner; clock?: () => Date }) => {
  // The REST API is the agent desktop's channel.
  const runner = measuredRunner(deps.runner, 'agent');
  return middy<APIGatewayProxyEvent, HttpResponse, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const t0 = performance.now();
      const now = (deps.clock?.() ?? new Date()).toISOString();
      const parsed = parseRequest(event, now);
      if (!parsed.ok) {
        logger.info(parsed.response.statusCode < 400 ? 'served' : 'request rejected', {
          resource: event.resource,
          status: parsed.response.statusCode,
        });
        return parsed.response;
      }
      try {
        const out = await runner.run(parsed.input);
        const res = renderOutput(parsed.input, out);
        logger.info('turn', { action: parsed.input.action, outcome: out.outcome, status: res.statusCode });
        return res;
      } catch (e) {
        logger.error('turn failed', {
          action: parsed.input.action,
          error: e instanceof Error ? e.name : 'unknown',
        });
        return fallbackResponse('RetentionCall', e instanceof Error ? e.name : 'Error', SAFE_ROUTE);
      } finally {
        publishAdapterLatency('agent', performance.now() - t0);
      }
    });
};

export const handler = lazyHandler('http-api', () => makeHandler({ runner: turnRunner() }));
