import { turnRunner } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { measuredRunner, publishAdapterLatency } from '../shared/adapters/metrics';
import { channelHandler, lazyHandler } from '../shared/adapters/task-handler';
import { type FlatMap, handleConnect, safeRoute } from '../shared/channels/connect';
import type { TurnRunner } from '../shared/ports';

/**
 * Amazon Connect contact flows invoke this: it runs the turn through the state machine and
 * answers a flat map of strings. It never throws (Connect would retry, then fail the flow): any
 * fault answers a route to a retention agent. Logs carry the step and stage only, never the digits.
 */
export const makeHandler = (deps: { runner: TurnRunner; clock?: () => Date }) => {
  const runner = measuredRunner(deps.runner, 'voice');
  return channelHandler(
    async (event: unknown): Promise<FlatMap> => {
      const t0 = performance.now();
      const out = await handleConnect(event, runner, (deps.clock?.() ?? new Date()).toISOString());
      logger.info('connect', { stage: out.stage, queue: out.queue, fallback: out.fallback ?? 'false' });
      publishAdapterLatency('voice', performance.now() - t0);
      return out;
    },
    () => safeRoute('adapter error'),
  );
};

/** Without its configuration (no state machine ARN) it still answers the safe route. */
export const handler = lazyHandler(
  'connect-adapter',
  () => makeHandler({ runner: turnRunner() }),
  () => safeRoute('adapter not configured'),
);
