import { SFNClient } from '@aws-sdk/client-sfn';
import { requireEnv } from '../shared/adapters/env';
import { logger } from '../shared/adapters/logger';
import { SfnTurnRunner } from '../shared/adapters/sfn-runner';
import { type FlatMap, handleConnect, safeRoute } from '../shared/application/connect';
import type { TurnRunner } from '../shared/ports';

/**
 * Amazon Connect contact flows invoke this: it runs the turn through the state machine and
 * answers a flat map of strings. It never throws (Connect would retry, then fail the flow): any
 * fault answers a route to a retention agent. Logs carry the step and stage only, never the digits.
 */
export const makeHandler =
  (deps: { runner: TurnRunner; clock?: () => Date }) =>
  async (event: unknown): Promise<FlatMap> => {
    try {
      const out = await handleConnect(event, deps.runner, (deps.clock?.() ?? new Date()).toISOString());
      logger.info('connect', { stage: out.stage, queue: out.queue, fallback: out.fallback ?? 'false' });
      return out;
    } catch {
      return safeRoute('adapter error');
    }
  };

let real: ((event: unknown) => Promise<FlatMap>) | undefined;
export const handler = async (event: unknown): Promise<FlatMap> => {
  try {
    real ??= makeHandler({ runner: new SfnTurnRunner(new SFNClient({}), requireEnv('STATE_MACHINE_ARN')) });
    return await real(event);
  } catch {
    return safeRoute('adapter not configured');
  }
};
