import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build-app';
import { RUN_TIMEOUT_SECONDS, TRANSIENT_ERRORS } from '../../infra/constructs/retention-call';
import { type LocalDefinition, readLocalDefinition } from '../../infra/local/template';

type State = Record<string, any>;
let def: LocalDefinition;
let states: Record<string, State>;
let template: Template;
beforeAll(() => {
  def = readLocalDefinition();
  states = def.stateMachine.definition.States as Record<string, State>;
  const { service } = buildApp({ bundling: false });
  template = Template.fromStack(service);
});
const tasks = () => Object.entries(states).filter(([, s]) => s.Type === 'Task');

/** Sum of the waits a retrier can add: IntervalSeconds × BackoffRate^k for each retry, capped by MaxDelaySeconds. */
function retryWait(r: State): number {
  let total = 0;
  for (let k = 0; k < (r.MaxAttempts ?? 3); k++)
    total += Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** k, r.MaxDelaySeconds ?? Infinity);
  return total;
}

describe('retention-call state machine (synthesized)', () => {
  it('is EXPRESS, logging errors without execution data, and tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { IncludeExecutionData: false, Level: 'ERROR' },
    });
  });

  it(`ends each run within ${RUN_TIMEOUT_SECONDS} s, under the 8 s a contact flow waits`, () => {
    expect(def.stateMachine.definition.TimeoutSeconds).toBeLessThan(8);
  });

  it('names the stages of the call: two tasks decide and record, the stages between them show the plan', () => {
    expect(
      tasks()
        .map(([n]) => n)
        .sort(),
    ).toEqual(['DecideTurn', 'SaveTurn']);
    for (const name of ['Segment', 'Route', 'Verify', 'Offer', 'CrossSell', 'RecordAnswer', 'Pickup'])
      expect(states[name]?.Type, name).toBe('Pass');
    for (const [name, s] of Object.entries(states))
      expect(s.Comment ?? (s.Type === 'Choice' ? 'choice' : undefined), name).toBeTruthy();
  });

  it('uses JSONPath only (the local runner ignores JSONata and Assign)', () => {
    expect(def.stateMachine.definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const s of Object.values(states)) {
      expect(s.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
      expect(s.Assign).toBeUndefined();
    }
  });

  it.each(['DecideTurn', 'SaveTurn'])(
    '%s: a timeout, a short retry on transient errors only, and a Catch that ends in the safe route',
    (name) => {
      const s = states[name]!;
      expect(s.TimeoutSeconds).toBeGreaterThan(0);
      expect(s.TimeoutSeconds).toBeLessThanOrEqual(3);
      expect(s.Retry?.length).toBeGreaterThan(0);
      for (const r of s.Retry) {
        expect(r.ErrorEquals.every((e: string) => TRANSIENT_ERRORS.includes(e))).toBe(true);
        expect(retryWait(r)).toBeLessThanOrEqual(4);
      }
      const catchAll = s.Catch.find((c: State) => c.ErrorEquals.includes('States.ALL'));
      expect(catchAll).toBeDefined();
      const fallback = states[catchAll.Next]!;
      expect(fallback.Type).toBe('Pass');
      expect(fallback.End).toBe(true);
      expect(fallback.Parameters).toMatchObject({
        outcome: 'fallback',
        failedAt: name,
        route: { queue: 'RETENTION_SPECIALIST' },
      });
      expect(fallback.Parameters.route.reasons[0]).toContain(name);
    },
  );

  it('the default 126 s Lambda retry is gone', () => {
    for (const [, s] of tasks())
      for (const r of s.Retry ?? [])
        expect(r.ErrorEquals).not.toContain('Lambda.ClientExecutionTimeoutException');
  });

  it('branches only on the plan the domain returns ($.plan.kind, $.plan.path)', () => {
    for (const s of Object.values(states).filter((x) => x.Type === 'Choice'))
      for (const c of s.Choices) expect(['$.plan.kind', '$.plan.path']).toContain(c.Variable);
  });

  it('every path through the definition, whatever the Choices and Catches take, invokes at most 2 Lambdas', () => {
    const paths: string[][] = [];
    const walk = (name: string, seen: string[]) => {
      const s = states[name]!;
      const here = [...seen, name];
      expect(seen, `a loop through ${name}`).not.toContain(name);
      const next = [
        ...(s.Next ? [s.Next] : []),
        ...(s.Default ? [s.Default] : []),
        ...(s.Choices ?? []).map((c: State) => c.Next),
        ...(s.Catch ?? []).map((c: State) => c.Next),
      ];
      if (next.length === 0) paths.push(here);
      for (const n of new Set(next)) walk(n, here);
    };
    walk(def.stateMachine.definition.StartAt as string, []);
    const invocations = (p: string[]) => p.filter((n) => states[n]!.Type === 'Task').length;
    expect(paths.length).toBeGreaterThan(10);
    expect(Math.max(...paths.map(invocations))).toBe(2);
  });
});

describe('every kind of turn, run on the synthesized definition with planted plans', () => {
  // DecideTurn's plan decides the path; SaveTurn's answer ends it. Counted: invocations and stages seen.
  const planFor = (kind: string, path?: string) => ({
    kind,
    ...(path ? { path, isNew: path === 'start', contact: { contactId: 'c-1' }, writes: { log: [] } } : {}),
    ...(kind === 'rejected' ? { problem: { name: 'P' } } : {}),
    ...(kind === 'unchanged' ? { contact: { contactId: 'c-1' } } : {}),
  });
  const cases: Array<[string, string | undefined, string[]]> = [
    ['write', 'start', ['Segment', 'Route']],
    ['write', 'verify', ['Verify', 'Route']],
    ['write', 'offer', ['Offer']],
    ['write', 'cross-sell', ['CrossSell']],
    ['write', 'answer', ['RecordAnswer']],
    ['write', 'answer-offer', ['RecordAnswer', 'Offer']],
    ['write', 'answer-cross-sell', ['RecordAnswer', 'CrossSell']],
    ['write', 'pickup', ['Pickup']],
    ['unchanged', undefined, []],
    ['rejected', undefined, []],
  ];
  it.each(cases)('%s %s: at most 2 invocations, through the stages %j', async (kind, path, stages) => {
    const { StateMachine } = await import('aws-local-stepfunctions');
    const calls: string[] = [];
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const state of Object.keys(def.stateMachine.taskFunctions))
      handlers[state] = async () => {
        calls.push(state);
        return state === 'DecideTurn'
          ? planFor(kind, path)
          : { kind: 'saved', contact: { contactId: 'c-1' } };
      };
    const machine = new StateMachine(def.stateMachine.definition as never, {
      validationOptions: { checkArn: false },
    });
    const visited: string[] = [];
    const exec = machine.run({ action: 'x' } as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
    });
    const out = (await exec.result) as Record<string, unknown>;
    for await (const e of exec.eventLogs as AsyncIterable<{ type: string; state?: { name: string } }>)
      if (e.type === 'StateEntered' && e.state) visited.push(e.state.name);
    expect(calls.length).toBeLessThanOrEqual(2);
    expect(calls).toEqual(kind === 'write' ? ['DecideTurn', 'SaveTurn'] : ['DecideTurn']);
    expect(visited.filter((n) => states[n]?.Type === 'Pass' && !['Reply', 'RejectTurn'].includes(n))).toEqual(
      stages,
    );
    expect(out.outcome).toBe(kind === 'rejected' ? 'rejected' : 'ok');
  });
});
