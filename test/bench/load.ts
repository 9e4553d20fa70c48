/**
 * Load on the local stack over HTTP (autocannon, 127.0.0.1 only): the calls in flight ramped
 * (1, 5, 10, 20, 40, 80 by default) for the four-turn retention call (start → verify → offers →
 * respond, one contact per call) and for single routes; per level the answers per second and the
 * p50/p95/p99 latency, up to the first level with errors. Bounded: every level stops after
 * `seconds` or `maxRequests` answers, whichever comes first.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import autocannon, { type Request } from 'autocannon';
import type { LocalStack } from '../../infra/local/stack';
import { archetypeOf, generatePortfolio, portfolioSecrets } from '../fakes/portfolio';

export interface LoadOptions {
  levels: number[];
  seconds: number;
  maxRequests: number;
}

interface Caller {
  phone: string;
  last4: string;
  zip: string;
}

interface Level {
  inFlight: number;
  seconds: number;
  answers: number;
  latencies: number[];
  errors: number;
  /** Non-2xx answers by status, socket errors and timeouts, e.g. "409×3, timeout×1". */
  errorKinds: string;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f1 = (n: number) => (Number.isNaN(n) ? '–' : n.toFixed(1));
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * Callers from the seeded portfolio (their clear factors are computable: portfolioSecrets), minus
 * those routed away from retention (delinquent, any flag: fraud hold, collections…): calls reach the
 * offers, unless the contact policy has none left for the account.
 */
function callers(stack: LocalStack, count: number): Caller[] {
  const asOf = new Date().toISOString().slice(0, 10);
  const portfolio = generatePortfolio({ count, asOf, pepper: 'phones-only-the-hashes-are-not-used' })
    .map((a, i) => ({ a, i }))
    .filter(({ a, i }) => archetypeOf(i) !== 'DELINQUENT' && !Object.values(a.flags).some(Boolean))
    .map(({ a, i }) => ({ phone: a.phone, ...portfolioSecrets(i) }));
  const personas = stack.personas
    .filter((p) => p.persona.expect.routeQueue.includes('RETENTION'))
    .map((p) => p.persona);
  return [...portfolio, ...personas].map(({ phone, last4, zip }) => ({ phone, last4, zip }));
}

/** The agent's bearer token when the local stack checks tokens (issue 9's JWT auth); no header before it. */
async function authHeaders(stack: LocalStack): Promise<Record<string, string>> {
  const issuer = (stack as { issuer?: { sign(r: { roles: string[]; user?: string }): Promise<string> } })
    .issuer;
  return issuer
    ? { authorization: `Bearer ${await issuer.sign({ roles: ['agent'], user: 'load-test' })}` }
    : {};
}

/** One level: `connections` requests in flight, each connection looping over `requests`. */
function fire(url: string, connections: number, requests: Request[], o: LoadOptions) {
  return new Promise<Level>((ok, fail) => {
    const latencies: number[] = [];
    // Timed here: autocannon's own duration is rounded up to its 1 s sampling tick.
    const t0 = performance.now();
    let last = t0;
    const inst = autocannon(
      {
        url,
        connections,
        duration: o.seconds,
        maxOverallRequests: Math.max(o.maxRequests, connections * requests.length),
        timeout: 10,
        requests,
      },
      (err, r) => {
        if (err) return fail(err);
        const kinds = Object.entries(r.statusCodeStats)
          .filter(([code]) => !code.startsWith('2'))
          .map(([code, s]) => `${code}×${s.count}`);
        if (r.timeouts) kinds.push(`timeout×${r.timeouts}`);
        if (r.errors - r.timeouts > 0) kinds.push(`socket error×${r.errors - r.timeouts}`);
        ok({
          inFlight: connections,
          seconds: (last - t0) / 1000,
          answers: latencies.length,
          latencies,
          errors: r.non2xx + r.errors,
          errorKinds: kinds.join(', '),
        });
      },
    );
    inst.on('response', (_client, _status, _bytes, ms) => {
      latencies.push(ms);
      last = performance.now();
    });
  });
}

/** Counts the DynamoDB requests the functions send (they share this process with the stack). */
function countDynamo() {
  const counts = { reads: 0, writes: 0 };
  const send = DynamoDBDocumentClient.prototype.send;
  DynamoDBDocumentClient.prototype.send = function (this: DynamoDBDocumentClient, ...args: never[]) {
    const name = (args[0] as unknown as object).constructor.name;
    if (/^(Get|Query|BatchGet|TransactGet)/.test(name)) counts.reads++;
    else counts.writes++;
    return (send as (...a: never[]) => Promise<unknown>).apply(this, args);
  } as typeof send;
  return {
    counts,
    reset: () => {
      counts.reads = 0;
      counts.writes = 0;
    },
    restore: () => {
      DynamoDBDocumentClient.prototype.send = send;
    },
  };
}

/** The four-turn call as an autocannon request cycle; `done` hears of each finished call. */
function callCycle(
  pool: Caller[],
  headers: Record<string, string>,
  done: (ms: number, turns: number) => void,
): Request[] {
  let next = 0;
  const json = { ...headers, 'content-type': 'application/json' };
  const end = (ctx: Record<string, any>, turns: number) => done(performance.now() - ctx.t0, turns);
  return [
    {
      method: 'POST',
      path: '/v1/contacts',
      headers: json,
      setupRequest: (req, ctx) => {
        const c = pool[next++ % pool.length]!;
        ctx.caller = c;
        ctx.t0 = performance.now();
        return {
          ...req,
          body: JSON.stringify({ channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: c.phone }),
        };
      },
      onResponse: (status, body, ctx) => {
        if (status !== 201) return;
        const j = JSON.parse(body);
        ctx.contactId = j.contactId;
        // Routed elsewhere (fraud hold, collections...): a one-turn call.
        if (j.stage === 'VERIFY') ctx.verifying = true;
        else end(ctx, 1);
      },
    },
    {
      method: 'POST',
      headers: json,
      setupRequest: (req, ctx) =>
        ctx.verifying
          ? {
              ...req,
              path: `/v1/contacts/${ctx.contactId}/verification`,
              body: JSON.stringify({ last4: ctx.caller.last4, zip: ctx.caller.zip }),
            }
          : null,
      onResponse: (status, body, ctx) => {
        ctx.verified = status === 200 && JSON.parse(body).verified === true;
        if (status === 200 && !ctx.verified) end(ctx, 2);
      },
    },
    {
      method: 'GET',
      headers,
      setupRequest: (req, ctx) =>
        ctx.verified ? { ...req, path: `/v1/contacts/${ctx.contactId}/offers` } : null,
      onResponse: (status, body, ctx) => {
        if (status !== 200) return;
        ctx.offerId = JSON.parse(body).offers?.[0]?.offerId;
        if (!ctx.offerId) end(ctx, 3);
      },
    },
    {
      method: 'POST',
      headers: json,
      setupRequest: (req, ctx) =>
        ctx.offerId
          ? {
              ...req,
              path: `/v1/contacts/${ctx.contactId}/responses`,
              body: JSON.stringify({ offerId: ctx.offerId, response: 'DECLINED' }),
            }
          : null,
      onResponse: (status, _body, ctx) => {
        if (status === 200) end(ctx, 4);
      },
    },
  ];
}

/** `accounts`: how many synthetic accounts the stack was seeded with (the callers). */
export async function benchLoad(stack: LocalStack, accounts: number, o: LoadOptions): Promise<void> {
  const headers = await authHeaders(stack);
  const pool = callers(stack, accounts);
  const dynamo = countDynamo();
  try {
    // --- The four-turn call.
    let calls: { ms: number; turns: number }[] = [];
    const cycle = callCycle(pool, headers, (ms, turns) => calls.push({ ms, turns }));
    // Warm-up: the JIT of Node and of the Java emulator, and the configuration cache.
    await fire(stack.url, 10, cycle, { ...o, seconds: Math.min(5, o.seconds) });
    console.log('\n## Local stack under load: four-turn retention calls (autocannon, 127.0.0.1)');
    console.log(
      `(start, verify, offers, answer, a new contact per call; calls in flight ramped until errors; each level ≤ ${o.seconds} s or ≤ ${int(o.maxRequests)} answers; DynamoDB Local on Java, state machine and HTTP server in one Node process with the client)`,
    );
    console.log(
      '| in flight | calls/s | answers/s | call p50 ms | call p95 ms | call p99 ms | turn p50 ms | turn p95 ms | turn p99 ms | turns/call | reads/turn | writes/turn | errors |',
    );
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    const byTurns = [0, 0, 0, 0, 0];
    for (const n of o.levels) {
      calls = [];
      dynamo.reset();
      const l = await fire(stack.url, n, cycle, o);
      const turns = calls.reduce((s, c) => s + c.turns, 0);
      for (const c of calls) byTurns[c.turns]!++;
      // Call latency of whole four-turn calls; the others (routed away, no offer left) count in turns/call.
      const ms = calls.filter((c) => c.turns === 4).map((c) => c.ms);
      console.log(
        `| ${n} | ${f1(calls.length / l.seconds)} | ${f1(l.answers / l.seconds)} | ${f1(pct(ms, 50))} | ${f1(pct(ms, 95))} | ${f1(pct(ms, 99))} | ${f1(pct(l.latencies, 50))} | ${f1(pct(l.latencies, 95))} | ${f1(pct(l.latencies, 99))} | ${(turns / calls.length).toFixed(2)} | ${(dynamo.counts.reads / l.answers).toFixed(2)} | ${(dynamo.counts.writes / l.answers).toFixed(2)} | ${l.errors ? `${l.errors} (${l.errorKinds})` : '0'} |`,
      );
      if (l.errors > 0) break;
    }
    console.log(
      `(calls by turns, all levels: ${byTurns[4]} whole; ${byTurns[3]} ended at the offers, none for this account (its segment, eligibility or contact policy); ${byTurns[2]} not verified; ${byTurns[1]} routed away at the start)`,
    );

    // --- Single routes.
    const ids: string[] = [];
    for (const c of pool.slice(0, 50)) {
      const r = await fetch(`${stack.url}/v1/contacts`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: c.phone }),
      });
      if (r.status === 201) ids.push(((await r.json()) as { contactId: string }).contactId);
    }
    let nextCaller = 0;
    let nextId = 0;
    const routes: Array<[string, Request]> = [
      [
        'POST /v1/contacts (start: route, one write)',
        {
          method: 'POST',
          path: '/v1/contacts',
          headers: { ...headers, 'content-type': 'application/json' },
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({
              channel: 'agent',
              callType: 'CLOSE_ACCOUNT',
              callerPhone: pool[nextCaller++ % pool.length]!.phone,
            }),
          }),
        },
      ],
      [
        'GET /v1/contacts/{id} (read only)',
        {
          method: 'GET',
          headers,
          setupRequest: (req) => ({ ...req, path: `/v1/contacts/${ids[nextId++ % ids.length]}` }),
        },
      ],
      ['GET /v1 (index: HTTP server only, no state machine)', { method: 'GET', path: '/v1', headers }],
    ];
    console.log('\n## Local stack under load: single routes (autocannon, 127.0.0.1)');
    console.log('| route | in flight | answers/s | p50 ms | p95 ms | p99 ms | errors |');
    console.log('|---|---:|---:|---:|---:|---:|---|');
    for (const [name, req] of routes) {
      await fire(stack.url, 5, [req], { ...o, seconds: 2 });
      for (const n of o.levels) {
        const l = await fire(stack.url, n, [req], o);
        console.log(
          `| ${name} | ${n} | ${int(l.answers / l.seconds)} | ${f1(pct(l.latencies, 50))} | ${f1(pct(l.latencies, 95))} | ${f1(pct(l.latencies, 99))} | ${l.errors ? `${l.errors} (${l.errorKinds})` : '0'} |`,
        );
        if (l.errors > 0) break;
      }
    }
  } finally {
    dynamo.restore();
  }
}
