import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { StateMachine } from 'aws-local-stepfunctions';
import { SAFE_ROUTE } from '../../shared/domain/routing';
import type { TurnOutput, TurnRunner } from '../../shared/ports';
import type { TurnInput } from '../../shared/schemas/api';
import type { LocalDefinition } from './template';

export type LambdaLike = (event: unknown, context: Context) => Promise<unknown>;
const ROOT = resolve(import.meta.dirname, '../..');

export function fakeContext(functionName: string, timeoutMs = 3000): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Imports `functions/<name>.ts` and returns its AWS `handler` export: the code Lambda runs. */
export async function importHandler(entryName: string): Promise<LambdaLike> {
  const mod = (await import(pathToFileURL(resolve(ROOT, 'functions', `${entryName}.ts`)).href)) as {
    handler?: LambdaLike;
  };
  if (typeof mod.handler !== 'function') throw new Error(`functions/${entryName}.ts exports no handler`);
  return mod.handler;
}

export type LocalRunner = TurnRunner & { handlers: Record<string, (input: unknown) => Promise<unknown>> };

/**
 * Runs the synthesized state machine in-process with the real handlers. Payloads cross a JSON
 * boundary as they do between Step Functions and Lambda. `overrides` replaces a state's handler
 * (tests use it to make one task fail).
 */
export async function createLocalRunner(
  sm: LocalDefinition['stateMachine'],
  overrides: Record<string, LambdaLike> = {},
): Promise<LocalRunner> {
  const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  for (const [state, entry] of Object.entries(sm.taskFunctions)) {
    const h = overrides[state] ?? (await importHandler(entry));
    handlers[state] = async (input) => {
      const out = await h(JSON.parse(JSON.stringify(input)), fakeContext(entry));
      return out === undefined ? null : JSON.parse(JSON.stringify(out));
    };
  }
  const machine = new StateMachine(sm.definition as never, { validationOptions: { checkArn: false } });
  return {
    handlers,
    async run(input: TurnInput): Promise<TurnOutput> {
      try {
        const exec = machine.run(input as never, {
          overrides: { taskResourceLocalHandlers: handlers as never },
        });
        return (await exec.result) as unknown as TurnOutput;
      } catch (e) {
        // As StartSyncExecution reports FAILED or TIMED_OUT: the safe route.
        return {
          outcome: 'fallback',
          failedAt: 'RetentionCall',
          error: e instanceof Error ? e.name : 'Error',
          route: { ...SAFE_ROUTE, reasons: [...SAFE_ROUTE.reasons] },
        };
      }
    },
  };
}
