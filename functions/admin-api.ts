import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import {
  accountStore,
  auditLog,
  configAdmin,
  erasureKey,
  erasureStore,
  funnelStore,
  kpiStore,
  pepper,
  portfolioPlacement,
  propensityState,
  salt,
} from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { lazyHandler } from '../shared/adapters/task-handler';
import type { AdminDeps } from '../shared/application/admin';
import { handleAdmin } from '../shared/channels/admin';
import { type HttpResponse, problemResponse } from '../shared/channels/http';

/** The admin API: configuration versions and dry-runs. Faults are a 503 problem, never a stack trace. */
export const makeHandler = (deps: AdminDeps & { clock?: () => Date }) =>
  middy<APIGatewayProxyEvent, HttpResponse, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      try {
        const res = await handleAdmin(event, deps, (deps.clock?.() ?? new Date()).toISOString());
        logger.info('admin', { resource: event.resource, method: event.httpMethod, status: res.statusCode });
        return res;
      } catch (e) {
        logger.error('admin failed', {
          resource: event.resource,
          error: e instanceof Error ? e.name : 'unknown',
        });
        return problemResponse(
          503,
          'unavailable',
          'Admin API unavailable',
          'The request could not be completed; retry.',
        );
      }
    });

export const handler = lazyHandler('admin-api', () => {
  const accounts = accountStore();
  const audit = auditLog();
  return makeHandler({
    configs: configAdmin(),
    accounts,
    tagger: accounts,
    audit,
    auditTrail: audit,
    erasure: { store: erasureStore(), audit, key: erasureKey },
    importer: { store: accounts, salt, pepper },
    kpis: kpiStore(),
    funnels: funnelStore(),
    placement: portfolioPlacement(),
    portfolio: accounts,
    stageLog: (line) => logger.info('strategy stage', line),
    propensity: propensityState,
  });
});
