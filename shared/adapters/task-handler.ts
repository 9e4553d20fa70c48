import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { TaskEvent, Turn } from '../application/turn-state';
import { logger } from './logger';

/**
 * Wraps one state-machine task: middy with the logger's context, and one log line per task with
 * ids and outcome only. Errors propagate: the state machine's Retry and Catch decide what follows.
 */
export function taskHandler(run: (event: TaskEvent) => Promise<Turn> | Turn) {
  return middy<TaskEvent, Turn, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const turn = await run(event);
      logger.info('task done', {
        task: event.task,
        action: event.state.action,
        contactId: turn.contact?.contactId,
        kind: turn.kind,
        stage: turn.contact?.stage,
        problem: turn.problem?.name,
      });
      return turn;
    });
}

/** Builds the real handler on first invocation, so importing a function module has no side effects. */
export function lazyHandler<E, R>(build: () => (event: E, context: Context) => Promise<R>) {
  let h: ((event: E, context: Context) => Promise<R>) | undefined;
  return (event: E, context: Context): Promise<R> => {
    h ??= build();
    return h(event, context);
  };
}
