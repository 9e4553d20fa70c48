/**
 * Dependent DynamoDB round trips per turn, measured on a real run of the local stack: every request
 * the state machine's tasks send is timed (an SDK middleware on the process's one client), grouped by
 * task invocation, and the longest chain of requests each sent after the one before it answered is
 * the number of round trips (requests in flight together count once). Caches are as a fresh
 * container has them: the configuration and counter caches are off (CONFIG_CACHE_MS=0,
 * COUNTER_CACHE_MS=0), so every read a cold container makes is made and counted.
 */
import type { LocalStack } from '../../infra/local/stack';
import { localClient } from '../fakes/local-client';

type Call = { op: string; read: boolean; start: number; end: number };
const READS = /^(Get|BatchGet|Query|Scan|TransactGet)/;

/** The longest chain of requests, each sent after the previous one answered (interval scheduling). */
export function chainLength(calls: readonly Pick<Call, 'start' | 'end'>[]): number {
  let n = 0;
  let free = Number.NEGATIVE_INFINITY;
  for (const c of [...calls].sort((a, b) => a.end - b.end))
    if (c.start >= free) {
      n++;
      free = c.end;
    }
  return n;
}

export interface TurnTrips {
  turn: string;
  invocations: number;
  reads: number;
  writes: number;
  readTrips: number;
  writeTrips: number;
}

/** Runs one four-turn agent contact (start, verify, offers, decline, accept) and measures each turn. */
export async function measureRoundTrips(
  stack: LocalStack,
  dynamo: { middlewareStack: any },
): Promise<TurnTrips[]> {
  let current: Call[][] | undefined;
  let inTask: Call[] | undefined;
  dynamo.middlewareStack.add(
    (next: (a: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      const op = String(context.commandName ?? '').replace(/Command$/, '');
      const call = { op, read: READS.test(op), start: performance.now(), end: 0 };
      const sink = inTask;
      try {
        return await next(args);
      } finally {
        call.end = performance.now();
        sink?.push(call);
      }
    },
    { step: 'initialize', name: 'roundTripMeter', override: true },
  );
  for (const [state, h] of Object.entries(stack.runner.handlers)) {
    stack.runner.handlers[state] = async (input) => {
      const calls: Call[] = [];
      current?.push(calls);
      inTask = calls;
      try {
        return await h(input);
      } finally {
        inTask = undefined;
      }
    };
  }
  const http = localClient(() => stack).http;
  const p = stack.personas.find((x) => x.persona.expect.customerSegment === 'PREMIUM_TRANSACTOR')!;
  const out: TurnTrips[] = [];
  const turn = async (name: string, send: () => Promise<{ status: number; json: any }>) => {
    current = [];
    const r = await send();
    if (r.status >= 400) throw new Error(`${name}: ${r.status} ${JSON.stringify(r.json)}`);
    const tasks = current;
    current = undefined;
    const all = tasks.flat();
    out.push({
      turn: name,
      invocations: tasks.length,
      reads: all.filter((c) => c.read).length,
      writes: all.filter((c) => !c.read).length,
      // Per task, then summed: the tasks of one run follow each other.
      readTrips: tasks.reduce((n, t) => n + chainLength(t.filter((c) => c.read)), 0),
      writeTrips: tasks.reduce((n, t) => n + chainLength(t.filter((c) => !c.read)), 0),
    });
    return r.json;
  };
  const c = await turn('start', () =>
    http('POST', '/contacts', { channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: p.account.phone }),
  );
  await turn('verify', () =>
    http('POST', `/contacts/${c.contactId}/verification`, { last4: p.persona.last4, zip: p.persona.zip }),
  );
  const offers = await turn('offers', () => http('GET', `/contacts/${c.contactId}/offers`));
  const [first, second] = offers.offers.map((o: { offerId: string }) => o.offerId);
  await turn('respond (decline)', () =>
    http('POST', `/contacts/${c.contactId}/responses`, { offerId: first, response: 'DECLINED' }),
  );
  await turn('respond (accept)', () =>
    http('POST', `/contacts/${c.contactId}/responses`, { offerId: second, response: 'ACCEPTED' }),
  );
  return out;
}

export function printRoundTrips(rows: readonly TurnTrips[]): void {
  console.log(
    '\n## DynamoDB round trips per turn (a real run; caches as a fresh container has them; requests in flight together count once)',
  );
  console.log(
    '| turn | Lambda invocations | read requests | write requests | read round trips | write round trips |',
  );
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.turn} | ${r.invocations} | ${r.reads} | ${r.writes} | ${r.readTrips} | ${r.writeTrips} |`,
    );
}

/** `tsx test/bench/round-trips.ts`: a local stack of its own, caches off, one measured contact. */
if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.CONFIG_CACHE_MS = '0';
  process.env.COUNTER_CACHE_MS = '0';
  const { startLocalStack } = await import('../../infra/local/stack');
  const { dynamoClient } = await import('../../shared/adapters/composition');
  const stack = await startLocalStack({ port: 0, accounts: 0 });
  try {
    printRoundTrips(await measureRoundTrips(stack, dynamoClient()));
  } finally {
    await stack.stop();
  }
}
