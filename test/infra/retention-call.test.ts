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
  it('is EXPRESS, with logging of every event but no execution data, and tracing', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { IncludeExecutionData: false, Level: 'ALL' },
    });
  });

  it(`ends each run within ${RUN_TIMEOUT_SECONDS} s, under the 8 s a contact flow waits`, () => {
    expect(def.stateMachine.definition.TimeoutSeconds).toBeLessThan(8);
  });

  it('names the stages of the call', () => {
    for (const name of [
      'LoadContact',
      'VerifyCaller',
      'RouteContact',
      'SegmentCustomer',
      'ChooseOffers',
      'OfferCrossSell',
      'RecordAnswer',
      'SaveTurn',
    ])
      expect(states[name]?.Type, name).toBe('Task');
    for (const [name, s] of tasks()) expect(s.Comment, name).toMatch(/^Stage: /);
  });

  it('uses JSONPath only (the local runner ignores JSONata and Assign)', () => {
    expect(def.stateMachine.definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const s of Object.values(states)) {
      expect(s.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
      expect(s.Assign).toBeUndefined();
    }
  });

  it.each([
    'LoadContact',
    'SegmentCustomer',
    'RouteContact',
    'VerifyCaller',
    'ChooseOffers',
    'OfferCrossSell',
    'RecordAnswer',
    'SaveTurn',
  ])(
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

  it('branches only on fields the domain sets ($.action, $.turn.kind, $.turn.next)', () => {
    for (const s of Object.values(states).filter((x) => x.Type === 'Choice'))
      for (const c of s.Choices) expect(['$.action', '$.turn.kind', '$.turn.next']).toContain(c.Variable);
  });
});
