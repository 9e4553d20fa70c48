import { SFNClient } from '@aws-sdk/client-sfn';
import { requireEnv } from '../shared/adapters/env';
import { logger } from '../shared/adapters/logger';
import { SfnTurnRunner } from '../shared/adapters/sfn-runner';
import { handleLex, type LexResponse, toAgent } from '../shared/application/lex';
import type { TurnRunner } from '../shared/ports';

/**
 * The Lex V2 bot alias's code hook: the chat turn through the state machine, answered as a Lex
 * response. Never throws: a fault closes the dialog towards a retention specialist.
 */
export const makeHandler =
  (deps: { runner: TurnRunner; clock?: () => Date }) =>
  async (event: unknown): Promise<LexResponse> => {
    try {
      const out = await handleLex(event, deps.runner, (deps.clock?.() ?? new Date()).toISOString());
      logger.info('lex', {
        dialogAction: out.sessionState.dialogAction.type,
        intent: out.sessionState.intent.name,
      });
      return out;
    } catch {
      return toAgent();
    }
  };

let real: ((event: unknown) => Promise<LexResponse>) | undefined;
export const handler = async (event: unknown): Promise<LexResponse> => {
  try {
    real ??= makeHandler({ runner: new SfnTurnRunner(new SFNClient({}), requireEnv('STATE_MACHINE_ARN')) });
    return await real(event);
  } catch {
    return toAgent();
  }
};
