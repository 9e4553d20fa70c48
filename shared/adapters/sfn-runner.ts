import { type SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { SAFE_ROUTE } from '../domain/routing';
import type { TurnOutput, TurnRunner } from '../ports';
import type { TurnInput } from '../schemas/api';

/**
 * Runs a turn with StartSyncExecution. The call answers 200 even when the run failed or timed
 * out, so `status` is checked: anything but SUCCEEDED is the safe route to a retention agent.
 */
export class SfnTurnRunner implements TurnRunner {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}
  async run(input: TurnInput): Promise<TurnOutput> {
    const r = await this.sfn.send(
      new StartSyncExecutionCommand({ stateMachineArn: this.stateMachineArn, input: JSON.stringify(input) }),
    );
    if (r.status !== 'SUCCEEDED' || !r.output)
      return {
        outcome: 'fallback',
        failedAt: 'RetentionCall',
        error: r.error ?? r.status ?? 'UNKNOWN',
        route: { ...SAFE_ROUTE, reasons: [...SAFE_ROUTE.reasons] },
      };
    return JSON.parse(r.output) as TurnOutput;
  }
}
