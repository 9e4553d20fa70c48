import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { accountStore, configSource } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { lazyHandler } from '../shared/adapters/task-handler';
import { applyChangeEvent } from '../shared/application/feed';
import type { EventOutcome } from '../shared/application/import';
import { activePlacer, stageLogLines, watchedPlacer } from '../shared/application/strategies';
import type { AccountImportStore, ConfigSource } from '../shared/ports';
import { AccountEventSchema } from '../shared/schemas/import';
import { prebuild } from '../shared/schemas/lazy';

// Every event is parsed with it: built at init, not inside the first event.
prebuild(AccountEventSchema);

/**
 * AccountEvents: one "Account Change" event from the account event bus, applied at once under the
 * `asOf` guard, so the next contact sees it. A bad event is logged with its field paths (never its
 * values) and dropped: retrying cannot fix it. A storage failure is thrown: EventBridge and Lambda
 * retry, then the event lands in the dead-letter queue, so nothing is lost; a retried event that
 * was applied is then `stale` or re-applied with the same values, never doubled.
 */
export const makeHandler = (deps: { store: AccountImportStore; configs?: ConfigSource }) =>
  middy<unknown, EventOutcome, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      // The active strategies place the account as the event leaves it, in the same write.
      const base = deps.configs ? await activePlacer(deps.configs) : undefined;
      const watched = base ? watchedPlacer(base) : undefined;
      const outcome = await applyChangeEvent(event, deps.store, watched?.placer);
      if (outcome.result === 'applied' && watched) {
        const detail = (event as { detail?: { asOf?: unknown; type?: unknown } } | null)?.detail;
        const at = typeof detail?.asOf === 'string' ? detail.asOf : new Date().toISOString();
        for (const line of stageLogLines(watched.lastMoves(), at, String(detail?.type ?? 'EVENT')))
          logger.info('strategy stage', line);
      }
      const id = (event as { id?: unknown } | null)?.id;
      if (outcome.result === 'rejected')
        logger.error('account event refused', {
          eventId: typeof id === 'string' ? id : undefined,
          errors: outcome.errors,
        });
      else logger.info('account event', { eventId: id, result: outcome.result });
      return outcome;
    });

export const handler = lazyHandler('account-events', () =>
  makeHandler({ store: accountStore(), configs: configSource() }),
);
