import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The local stack's fault switch: SDK middleware on the functions' DynamoDB client, so tests can
 * cause what they cannot otherwise (throttling, a hung request, an outage, a chosen interleaving of
 * concurrent writes) without a line of fault code in the handlers. Off unless a test turns it on.
 */
type Operation = string;
interface Send {
  operation: Operation;
  input: Record<string, unknown>;
}
type Rule =
  | { kind: 'error'; ops?: Operation[]; name: string; times: number }
  | { kind: 'delay'; ops?: Operation[]; ms: number; times: number }
  | { kind: 'pause'; ops: Operation[]; times: number; table?: string }
  | {
      kind: 'barrier';
      ops: Operation[];
      count: number;
      waiting: Array<{ send: Send; go: (done: () => void) => void }>;
      order: (a: Send, b: Send) => number;
      timer?: ReturnType<typeof setTimeout>;
    };

/** Service errors DynamoDB answers with 5xx; the others (throttling, ...) are 400s. */
const SERVER_ERRORS = new Set(['InternalServerError', 'ServiceUnavailable']);

/** An error shaped as the SDK shapes a service error (its `name` is the service's error code). */
function serviceError(name: string): Error {
  const e = new Error(`${name} (injected by the local fault switch)`);
  e.name = name;
  const server = SERVER_ERRORS.has(name);
  Object.assign(e, {
    $fault: server ? 'server' : 'client',
    $metadata: { httpStatusCode: server ? 500 : 400 },
    ...(name.startsWith('Throttl') || name === 'ProvisionedThroughputExceededException'
      ? { $retryable: { throttling: true } }
      : {}),
  });
  return e;
}

/** The real database process, for outages: a paused JVM hangs every request, a killed one refuses them. */
export interface DatabaseProcess {
  pause(): void;
  resume(): void;
  kill(): void;
}

export class DynamoFaults {
  private rules: Rule[] = [];
  private paused = false;
  /** Requests sent to DynamoDB per operation since the last reset (faulted ones included). */
  readonly sent = new Map<Operation, number>();

  constructor(private readonly database?: DatabaseProcess) {}

  /** DynamoDB hangs: its JVM is stopped (SIGSTOP); requests are taken by the kernel and wait. */
  pause(): this {
    this.database?.pause();
    this.paused = true;
    return this;
  }

  /** DynamoDB goes on (SIGCONT): what it had taken while paused is served now. */
  resume(): this {
    if (this.paused) this.database?.resume();
    this.paused = false;
    return this;
  }

  /**
   * DynamoDB hangs just as the next request of these operations is sent (a turn's write, say): the JVM
   * is paused and the request waits in the kernel, to be served when it is resumed. With `table`, only
   * a request that writes or reads that table counts (a turn's transaction always holds its contact),
   * so another function on the same client (the KPI aggregator, fed by the offer log's stream) cannot
   * take the fault first.
   */
  pauseOn(ops: Operation[], opts: { table?: string } = {}): this {
    this.rules.push({ kind: 'pause', ops, times: 1, ...opts });
    return this;
  }

  /** DynamoDB dies (SIGKILL); the local stack notices and starts it again. */
  kill(): this {
    this.database?.kill();
    this.paused = false;
    return this;
  }

  attach(client: DynamoDBDocumentClient): void {
    // Errors per attempt, inside the SDK's retry loop (as DynamoDB answers them): a throttled attempt
    // is retried by the SDK like a real one.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String(context.commandName ?? '').replace(/Command$/, '');
        this.failAttempt(operation);
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'localFaultSwitchAttempts', override: true },
    );
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const operation = String(context.commandName ?? '').replace(/Command$/, '');
        this.sent.set(operation, (this.sent.get(operation) ?? 0) + 1);
        const done = await this.apply({ operation, input: args.input as Record<string, unknown> });
        try {
          return await next(args);
        } finally {
          done?.();
        }
      },
      { step: 'initialize', name: 'localFaultSwitch', override: true },
    );
  }

  /**
   * The next `times` attempts of these operations (all when omitted) fail with a service error, as
   * DynamoDB would answer them (throttling: 400, retried by the SDK; InternalServerError: 500).
   */
  fail(name: string, opts: { ops?: Operation[]; times?: number } = {}): this {
    this.rules.push({ kind: 'error', name, times: opts.times ?? Number.POSITIVE_INFINITY, ...opts });
    return this;
  }

  /** The next `times` requests of these operations wait `ms` before they are sent. */
  delay(ms: number, opts: { ops?: Operation[]; times?: number } = {}): this {
    this.rules.push({ kind: 'delay', ms, times: opts.times ?? Number.POSITIVE_INFINITY, ...opts });
    return this;
  }

  /**
   * Holds requests of these operations until `count` have arrived (or `timeoutMs` passed), then sends
   * them one at a time in the given order: a chosen interleaving of concurrent writes.
   */
  barrier(
    ops: Operation[],
    count: number,
    order: (a: Send, b: Send) => number = () => 0,
    timeoutMs = 1_500,
  ): this {
    const rule: Rule = { kind: 'barrier', ops, count, waiting: [], order };
    rule.timer = setTimeout(() => this.release(rule), timeoutMs);
    this.rules.push(rule);
    return this;
  }

  reset(): void {
    this.resume();
    for (const r of this.rules) if (r.kind === 'barrier') this.release(r);
    this.rules = [];
    this.sent.clear();
  }

  private release(rule: Extract<Rule, { kind: 'barrier' }>): void {
    clearTimeout(rule.timer);
    this.rules = this.rules.filter((r) => r !== rule);
    const queue = [...rule.waiting].sort((a, b) => rule.order(a.send, b.send));
    rule.waiting.length = 0;
    // One at a time: each is let go once the one before it has been sent and answered.
    void queue.reduce(
      (prev, w) => prev.then(() => new Promise<void>((done) => w.go(done))),
      Promise.resolve(),
    );
  }

  private failAttempt(operation: Operation): void {
    for (const rule of this.rules) {
      if (rule.kind !== 'error' || rule.times <= 0 || (rule.ops && !rule.ops.includes(operation))) continue;
      rule.times--;
      throw serviceError(rule.name);
    }
  }

  /** Applies the rules to one request; a barrier's answer is the callback that lets the next one go. */
  private async apply(send: Send): Promise<(() => void) | undefined> {
    for (const rule of this.rules) {
      const applies =
        (!rule.ops || rule.ops.includes(send.operation)) &&
        (rule.kind !== 'pause' || !rule.table || namesTable(send.input, rule.table));
      if (!applies) continue;
      if (rule.kind === 'pause' && rule.times > 0) {
        rule.times--;
        this.pause();
      }
      if (rule.kind === 'delay' && rule.times > 0) {
        rule.times--;
        await new Promise((ok) => setTimeout(ok, rule.ms));
      }
      if (rule.kind === 'barrier') {
        return new Promise<() => void>((go) => {
          rule.waiting.push({ send, go });
          if (rule.waiting.length >= rule.count) this.release(rule);
        });
      }
    }
    return undefined;
  }
}

/** Whether a request names a table: its own TableName, or one of its transaction's items'. */
function namesTable(input: Record<string, unknown>, table: string): boolean {
  return JSON.stringify(input).includes(`"TableName":${JSON.stringify(table)}`);
}
