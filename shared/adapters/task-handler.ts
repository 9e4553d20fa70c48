import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from './logger';
import { publishMetrics } from './metrics';

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

/**
 * The channel adapters' guarantee (Connect and Lex read only a documented answer, and Connect
 * retries, then fails the flow, on an error): any error of the handler or of a middleware before it
 * answers `fallback(error)` instead of throwing.
 */
export function neverThrow<E, R>(fallback: (error: unknown) => R): MiddlewareObj<E, R, Error, Context> {
  return {
    onError: (request) => {
      request.response = fallback(request.error);
    },
  };
}

/** Stands in for an absent event: middy replaces `undefined` by `{}`, which a channel reads differently. */
const NO_EVENT = Object.freeze({});

/**
 * A channel adapter (Connect, Lex): middy with the logger's context, and `neverThrow(fallback)`
 * outermost, so its answer stands even when a middleware fails. The returned function never rejects:
 * should middy's own error path throw, it answers the same fallback. `run` gets the event exactly as
 * given (even none at all), and the Lambda context is optional (none when called in-process: the
 * local Invoke API, tests).
 */
export function channelHandler<E, R>(run: (event: E) => Promise<R>, fallback: (error: unknown) => R) {
  const h = middy<E, R, Error, Context>()
    .use(neverThrow<E, R>(fallback))
    .use(injectLambdaContext(logger))
    .handler((event) => run((event === NO_EVENT ? undefined : event) as E));
  return async (event: E, context?: Context): Promise<R> => {
    try {
      return await h((event === undefined ? NO_EVENT : event) as E, context as Context);
    } catch (e) {
      return fallback(e);
    }
  };
}

/**
 * Builds the real handler on first invocation, so importing a function module has no side effects
 * (no client, no env read: module init stays small). A build that fails is tried again by the next
 * invocation; meanwhile it throws, or answers `onBuildError` when given (the channel adapters, which
 * never throw). The first invocation of a container also publishes how long the container took to
 * start (`InitDuration`: from the process's start to the end of the function module's init, when
 * this is called; not up to the first event, which may come much later to a container Lambda
 * started ahead of need).
 */
export function lazyHandler<E, R>(
  name: string,
  build: () => (event: E, context: Context) => Promise<R>,
  onBuildError?: (error: unknown) => R,
) {
  // `export const handler = lazyHandler(…)` is the module's last statement: init ends about now.
  const initMs = performance.now();
  let h: ((event: E, context: Context) => Promise<R>) | undefined;
  return async (event: E, context?: Context): Promise<R> => {
    if (!h) publishInitDuration(name, initMs);
    try {
      h ??= build();
    } catch (e) {
      if (onBuildError) return onBuildError(e);
      throw e;
    }
    return h(event, context as Context);
  };
}

let started = false;
/** Once per process: the first handler called in it (on Lambda a process is one function's container). */
function publishInitDuration(name: string, ms: number): void {
  if (started) return;
  started = true;
  publishMetrics([{ name: 'InitDuration', value: ms, dimensions: { function: name } }]);
}
