import { turnRunner } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { measuredRunner, publishAdapterLatency } from '../shared/adapters/metrics';
import { channelHandler, lazyHandler } from '../shared/adapters/task-handler';
import { handleLex, type LexResponse, toAgent } from '../shared/channels/lex';
import type { TurnRunner } from '../shared/ports';

/**
 * The Lex V2 bot alias's code hook: the chat turn through the state machine, answered as a Lex
 * response. Never throws: a fault closes the dialog towards a retention specialist.
 */
export const makeHandler = (deps: { runner: TurnRunner; clock?: () => Date }) => {
  const runner = measuredRunner(deps.runner, 'chat');
  return channelHandler(
    async (event: unknown): Promise<LexResponse> => {
      const t0 = performance.now();
      const out = await handleLex(event, runner, (deps.clock?.() ?? new Date()).toISOString());
      logger.info('lex', {
        dialogAction: out.sessionState.dialogAction.type,
        intent: out.sessionState.intent.name,
      });
      publishAdapterLatency('chat', performance.now() - t0);
      return out;
    },
    () => toAgent(),
  );
};

/** Without its configuration (no state machine ARN) it still closes the dialog towards a specialist. */
export const handler = lazyHandler(
  'lex-adapter',
  () => makeHandler({ runner: turnRunner() }),
  () => toAgent(),
);
