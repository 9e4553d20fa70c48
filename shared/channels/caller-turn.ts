import type { TurnOutput, TurnRunner } from '../ports';
import type { TurnInput } from '../schemas/api';

/**
 * A turn as the voice and chat channels run it. A verification refused with ConcurrentUpdate judged
 * nothing: the contact (or its copy of the account) had changed, and the copy is now up to date. So
 * it is run once more, and judged, rather than handing the caller to an agent. The REST API leaves
 * that retry to its client.
 */
export async function runForCaller(runner: TurnRunner, input: TurnInput): Promise<TurnOutput> {
  const out = await runner.run(input);
  if (input.action === 'verify' && out.outcome === 'rejected' && out.problem.name === 'ConcurrentUpdate')
    return runner.run(input);
  return out;
}
