import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { logger } from '../../shared/adapters/logger';
import { channelHandler, lazyHandler } from '../../shared/adapters/task-handler';
import { captureLogs } from '../fakes/logs';

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'connect-adapter',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:connect-adapter',
  memoryLimitInMB: '512',
  awsRequestId: 'req-42',
  logGroupName: '/aws/lambda/connect-adapter',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 3000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;
type Answer = { answer: string; why?: string; got?: unknown };
const fallback = (e: unknown): Answer => ({
  answer: 'safe',
  why: e instanceof Error ? e.message : String(e),
});

afterEach(() => logger.setLogLevel('SILENT'));

describe('channelHandler: the channel adapters as middy, never throwing', () => {
  it("answers the handler's answer, and its log lines carry the Lambda context (injectLambdaContext)", async () => {
    const h = channelHandler(async (e: unknown): Promise<Answer> => {
      logger.info('ran');
      return { answer: 'ok', got: e };
    }, fallback);
    logger.setLogLevel('INFO');
    const logs = captureLogs();
    try {
      expect(await h({ a: 1 }, context)).toEqual({ answer: 'ok', got: { a: 1 } });
    } finally {
      logs.restore();
    }
    expect(logs.lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        message: 'ran',
        function_name: 'connect-adapter',
        function_request_id: 'req-42',
      }),
    ]);
  });

  it('a throwing handler answers the fallback, given the error', async () => {
    const h = channelHandler(async () => {
      throw new Error('boom');
    }, fallback);
    expect(await h({}, context)).toEqual({ answer: 'safe', why: 'boom' });
  });

  it('a failing middleware (the logger reading a context that throws) answers the fallback too', async () => {
    let ran = false;
    const h = channelHandler(async () => {
      ran = true;
      return { answer: 'ok' };
    }, fallback);
    const broken = {
      ...context,
      get invokedFunctionArn(): string {
        throw new Error('no context');
      },
    };
    expect(await h({}, broken)).toEqual({ answer: 'safe', why: 'no context' });
    expect(ran).toBe(false);
  });

  it('the event reaches the handler exactly as given (none at all stays none), with or without a context', async () => {
    const seen: unknown[] = [];
    const h = channelHandler(async (e: unknown) => {
      seen.push(e);
      return { answer: 'ok' };
    }, fallback);
    await h(undefined);
    await h(null, context);
    await h({}, context);
    expect(seen).toEqual([undefined, null, {}]);
  });
});

describe('lazyHandler', () => {
  it('builds the handler on the first invocation, once', async () => {
    let builds = 0;
    const h = lazyHandler('test', () => {
      builds += 1;
      return async (e: number) => e * 2;
    });
    expect(builds).toBe(0);
    expect(await h(1, context)).toBe(2);
    expect(await h(2, context)).toBe(4);
    expect(builds).toBe(1);
  });

  it('a failing build answers onBuildError and is tried again by the next invocation', async () => {
    let configured = false;
    const h = lazyHandler(
      'test',
      () => {
        if (!configured) throw new Error('Missing environment variable STATE_MACHINE_ARN');
        return async () => 'ran';
      },
      () => 'not configured',
    );
    expect(await h({}, context)).toBe('not configured');
    configured = true;
    expect(await h({}, context)).toBe('ran');
  });

  it('without onBuildError a failing build rejects (the other functions: Lambda reports it)', async () => {
    const h = lazyHandler('test', () => {
      throw new Error('Missing environment variable CONTACTS_TABLE');
    });
    await expect(h({}, context)).rejects.toThrow('CONTACTS_TABLE');
  });
});
