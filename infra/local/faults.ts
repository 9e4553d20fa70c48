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
  | {
      kind: 'barrier';
      ops: Operation[];
      count: number;
      waiting: Array<{ send: Send; go: (done: () => void) => void }>;
      order: (a: Send, b: Send) => number;
      timer?: ReturnType<typeof setTimeout>;
    };

/** An error shaped as the SDK shapes a service error (its `name` is the service's error code). */
function serviceError(name: string): Error {
  const e = new Error(`${name} (injected by the local fault switch)`);
  e.name = name;
  Object.assign(e, { $fault: name.startsWith('Throttl') ? 'client' : 'server', $metadata: {} });
  return e;
}

export class DynamoFaults {
  private rules: Rule[] = [];
  /** Requests sent to DynamoDB per operation since the last reset (faulted ones included). */
  readonly sent = new Map<Operation, number>();

  attach(client: DynamoDBDocumentClient): void {
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

  /** The next `times` requests of these operations (all when omitted) fail with a service error. */
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

  /** Applies the rules to one request; a barrier's answer is the callback that lets the next one go. */
  private async apply(send: Send): Promise<(() => void) | undefined> {
    for (const rule of this.rules) {
      const applies = !rule.ops || rule.ops.includes(send.operation);
      if (!applies) continue;
      if (rule.kind === 'error' && rule.times > 0) {
        rule.times--;
        throw serviceError(rule.name);
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
