import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from './logger';

/** The ids and outcome of a task's result, for its one log line: never the contact's data. */
interface Outcome {
  kind?: string;
  path?: string;
  contact?: { contactId?: string; stage?: string };
  problem?: { name?: string };
}

/**
 * Wraps one state-machine task: middy with the logger's context, and one log line per task with
 * ids and outcome only. Errors propagate: the state machine's Retry and Catch decide what follows.
 */
export function taskHandler<E, R extends Outcome>(task: string, run: (event: E) => Promise<R> | R) {
  return middy<E, R, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const out = await run(event);
      logger.info('task done', {
        task,
        kind: out.kind,
        path: out.path,
        contactId: out.contact?.contactId,
        stage: out.contact?.stage,
        problem: out.problem?.name,
      });
      return out;
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
