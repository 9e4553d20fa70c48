import { describe, expect, it } from 'vitest';
import { SfnTurnRunner } from '../../shared/adapters/sfn-runner';
import type { TurnInput } from '../../shared/schemas/api';

const input: TurnInput = {
  action: 'get',
  now: '2026-11-23T12:00:00.000Z',
  contactId: '00000000-0000-4000-8000-000000000001',
};
const fake = (reply: Record<string, unknown>) => {
  const sent: unknown[] = [];
  const send = async (cmd: { input: unknown }) => {
    sent.push(cmd.input);
    return reply;
  };
  return { sent, client: { send } as never };
};

describe('SfnTurnRunner (StartSyncExecution)', () => {
  it('passes the turn as the execution input and returns the run output', async () => {
    const f = fake({
      status: 'SUCCEEDED',
      output: JSON.stringify({ outcome: 'rejected', problem: { name: 'ContactNotFound' } }),
    });
    const out = await new SfnTurnRunner(f.client, 'arn:sm').run(input);
    expect(out).toEqual({ outcome: 'rejected', problem: { name: 'ContactNotFound' } });
    expect(f.sent).toEqual([{ stateMachineArn: 'arn:sm', input: JSON.stringify(input) }]);
  });
  it.each(['FAILED', 'TIMED_OUT'])(
    'a %s run (answered with HTTP 200 by the service) is the safe route',
    async (status) => {
      const out = await new SfnTurnRunner(
        fake({ status, error: status === 'FAILED' ? 'States.Runtime' : undefined }).client,
        'arn:sm',
      ).run(input);
      expect(out).toMatchObject({
        outcome: 'fallback',
        route: { queue: 'RETENTION_SPECIALIST', ruleId: 'SAFE_FALLBACK' },
      });
    },
  );
});
