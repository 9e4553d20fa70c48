import type { SFNClient } from '@aws-sdk/client-sfn';
import { SAFE_ROUTE } from '../domain/routing';
import type { TurnOutput, TurnRunner } from '../ports';
import type { TurnInput } from '../schemas/api';

/** The Step Functions SDK, loaded on first use: importing it costs tens of ms of a cold start. */
const sdk = () => import('./sdk/sfn');

/**
 * A Step Functions client made on first use, once per container (`new SfnTurnRunner(sfnClient(), arn)`):
 * a function that passes this instead of `new SFNClient({})` loads no SDK at init.
 */
export function sfnClient(): () => Promise<SFNClient> {
  let client: Promise<SFNClient> | undefined;
  return () => {
    client ??= sdk().then(({ SFNClient }) => new SFNClient({}));
    return client;
  };
}

/**
 * Runs a turn with StartSyncExecution. The call answers 200 even when the run failed or timed
 * out, so `status` is checked: anything but SUCCEEDED is the safe route to a retention agent.
 */
export class SfnTurnRunner implements TurnRunner {
  constructor(
    /** A client, or a factory of one (`sfnClient()`) so the SDK loads on the first turn. */
    private readonly sfn: SFNClient | (() => Promise<SFNClient>),
    private readonly stateMachineArn: string,
  ) {}
  async run(input: TurnInput): Promise<TurnOutput> {
    const [{ StartSyncExecutionCommand }, client] = await Promise.all([
      sdk(),
      typeof this.sfn === 'function' ? this.sfn() : this.sfn,
    ]);
    const r = await client.send(
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
