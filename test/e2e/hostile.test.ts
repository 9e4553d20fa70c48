import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { PUT_EVENTS_TARGET } from '../../infra/local/events-api';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { ADMIN_ROUTES } from '../../shared/schemas/admin';
import { ROUTES } from '../../shared/schemas/api';
import { rawRequest } from '../fakes/raw-http';
import connectStart from '../fixtures/connect/start-voice-close.json';
import connectVerify from '../fixtures/connect/verify-dtmf.json';
import lexConfirm from '../fixtures/lex/confirm-offer.json';

/**
 * Issue 9: hostile input as property tests, against every entry point of the local stack over HTTP
 * (REST API v1, admin API, Connect and Lex adapters through the Invoke API, EventBridge PutEvents,
 * and raw bytes on the socket). Properties: never a 5xx, never a hang; every 4xx of the REST and
 * admin APIs is problem+json (type, title, status, detail; `errors` with paths on a 400); Connect
 * answers a flat string map, Lex a valid Lex response; and a batch of bad input changes nothing in
 * any table.
 *
 * Runs: RD_PROPERTY_RUNS in total across the file (default 3000), shared by weight below;
 * `npm run test:hostile` runs 100,000. A failure prints fast-check's seed and shrunk case: rerun
 * one with RD_PROPERTY_SEED=<seed> RD_PROPERTY_PATH=<path>.
 */
const TOTAL = Number(process.env.RD_PROPERTY_RUNS ?? 3000);
const SEED = process.env.RD_PROPERTY_SEED ? Number(process.env.RD_PROPERTY_SEED) : undefined;
const PATH = process.env.RD_PROPERTY_PATH;
/** A request that gets no complete answer within this long is a hang. */
const HANG_MS = 10_000;
const runsOf = (share: number) => Math.max(20, Math.round(TOTAL * share));
/** A test's time budget: generous per case (a turn on 2 shared cores), never below a minute. */
const budget = (runs: number, msPerCase = 40) => 60_000 + runs * msPerCase;

let stack: LocalStack;
const figures: Array<{ property: string; runs: number; ms: number; statuses: string }> = [];
/** Answers by status in the property running now: shows how far the cases get (a 201 went all the way). */
let statuses: Record<number, number> = {};
const tally = (status: number) => {
  statuses[status] = (statuses[status] ?? 0) + 1;
};

async function check<T>(
  property: string,
  runs: number,
  arb: fc.Arbitrary<T>,
  predicate: (v: T) => Promise<void>,
) {
  const t0 = performance.now();
  statuses = {};
  await fc.assert(
    fc.asyncProperty(arb, async (v) => {
      await predicate(v);
    }),
    {
      numRuns: runs,
      endOnFailure: true,
      ...(SEED === undefined ? {} : { seed: SEED }),
      ...(PATH ? { path: PATH } : {}),
    },
  );
  figures.push({
    property,
    runs,
    ms: Math.round(performance.now() - t0),
    statuses: Object.entries(statuses)
      .map(([k, n]) => `${k}×${n}`)
      .join(' '),
  });
}

// ---------------------------------------------------------------- HTTP without any tidying

const agent = new Agent({ keepAlive: true, maxSockets: 4 });
interface Answer {
  status: number;
  type: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}
interface Req {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
}

/** node:http, not fetch: the path as given (no `..` resolution), no header of its own, GET bodies allowed. */
function send(r: Req): Promise<Answer> {
  const { port } = new URL(stack.url);
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: r.method,
        path: r.path,
        headers: { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) },
        timeout: HANG_MS,
      },
      (res) => {
        tally(res.statusCode ?? 0);
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          ok({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', fail);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`hang: no answer within ${HANG_MS} ms`)));
    req.on('error', fail);
    req.end(r.body);
  });
}

const show = (r: Req, a: Answer) =>
  `${r.method} ${r.path} ${JSON.stringify(r.headers)} ${r.body?.toString('utf8').slice(0, 300)} → ${a.status} ${a.text.slice(0, 500)}`;

const ProblemSchema = z.object({
  type: z.string().min(1),
  title: z.string().min(1),
  status: z.number().int(),
  detail: z.string().min(1),
});
const ErrorsSchema = z.array(z.object({ path: z.string().min(1), message: z.string().min(1) })).min(1);

/** The REST and admin APIs' contract for any input: no 5xx, JSON answers, 4xx as problem+json. */
function expectApiAnswer(r: Req, a: Answer, hostileAuth = false): void {
  const why = show(r, a);
  expect(a.status, why).toBeGreaterThanOrEqual(200);
  expect(a.status, why).toBeLessThan(500);
  if (hostileAuth && authEnforced())
    expect(a.status, `a hostile token got in: ${why}`).toBeGreaterThanOrEqual(400);
  if (a.status >= 400) {
    expect(a.type, why).toMatch(/^application\/problem\+json/);
    const p = ProblemSchema.parse(JSON.parse(a.text));
    expect(p.status, why).toBe(a.status);
    if (a.status === 400) expect(ErrorsSchema.safeParse(JSON.parse(a.text).errors).success, why).toBe(true);
  } else {
    expect(a.type, why).toMatch(/^application\/json/);
    JSON.parse(a.text);
  }
}

// ---------------------------------------------------------------- tables

/** Every item of every table of the template, sorted: what "nothing changed" compares. */
async function snapshot(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const t of stack.definition.tables) {
    const name = t.create.TableName!;
    const items: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await stack.db.send(new ScanCommand({ TableName: name, ExclusiveStartKey: start }));
      for (const i of page.Items ?? []) items.push(JSON.stringify(i, Object.keys(i).sort()));
      start = page.LastEvaluatedKey;
    } while (start);
    out[name] = items.sort();
  }
  return out;
}

const pastTtl = (item: string) => {
  const m = /"expiresAt":(\d+)/.exec(item);
  return m !== null && Number(m[1]) * 1000 <= Date.now();
};

/** Runs a batch of bad input and checks no table changed under it. */
async function unchanged(run: () => Promise<void>) {
  // What earlier cases set going runs on (an outbox item published, an outbound request deferred and
  // recorded, on the next stream pass): let it land first, so that only this batch is judged.
  await stack.streams.drain();
  await stack.streams.drain();
  const before = await snapshot();
  await run();
  const after = await snapshot();
  for (const name of Object.keys(before)) {
    const added = after[name]!.filter((i) => !before[name]!.includes(i));
    // An item past its TTL may be deleted by DynamoDB (Local too) at any moment: not the input's doing.
    const removed = before[name]!.filter((i) => !after[name]!.includes(i) && !pastTtl(i));
    expect({ table: name, added, removed }).toEqual({ table: name, added: [], removed: [] });
  }
}

// ---------------------------------------------------------------- hostile values

const HUGE = [5_000, 70_000, 400_000, 1_200_000];
const ascii = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
/** What node:http lets a client put in a header value: visible ASCII, space, tab, obs-text. */
const headerValue = fc.string({
  unit: fc.oneof(
    ascii,
    fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
    fc.constant('\t'),
  ),
  maxLength: 200,
});
const FORBIDDEN_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'content-type',
  'authorization',
  'idempotency-key',
  'x-amz-target',
]);
const headerName = fc
  .stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,30}$/)
  .filter((n) => !FORBIDDEN_HEADERS.has(n.toLowerCase()));
const deep = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;
const deepValue = (depth: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};
/** A value where a field's value goes: wrong types, odd strings, huge strings, deep nesting. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom(...HUGE).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 800 }).map(deepValue) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      '',
      ' ',
      '\u0000',
      '\ud800',
      '<speak>hi</speak>',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, sent as text on purpose
      '${jndi:ldap://x}',
      "' OR 1=1 --",
      '{"$ne":null}',
      '+15555550101',
      '+1555555010100000000',
      'PER-0001',
      '9999-99-99',
      '1978-04-12',
      'ACCEPTED',
      'DECLINED',
      'CLOSE_ACCOUNT',
      1e308,
      -0,
      Number.MAX_SAFE_INTEGER + 2,
      true,
      null,
      [],
      {},
    ),
  },
);

/** Every path to a value inside a JSON value (objects and arrays), down to 12 levels. */
function paths(v: unknown, prefix: string[] = []): string[][] {
  if (v === null || typeof v !== 'object' || prefix.length >= 12) return [prefix];
  const own = Object.entries(v as Record<string, unknown>).flatMap(([k, c]) => paths(c, [...prefix, k]));
  return [prefix, ...own];
}
const setOwn = (o: Record<string, unknown>, k: string, value: unknown) =>
  // defineProperty: `__proto__` becomes an own key, as JSON.parse makes it, not the prototype.
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });

type Mutation = { at: number; kind: 'delete' | 'set' | 'add' | 'proto'; key: string; value: unknown };
const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('delete', 'set', 'set', 'add', 'proto'),
  key: fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString'),
  ),
  value: hostileValue,
});
/** The base with each mutation applied at a path chosen among the base's own (the root included). */
function mutate<T>(base: T, mutations: readonly Mutation[]): T {
  const copy = structuredClone(base) as unknown;
  for (const generated of mutations) {
    // A value of its own: fast-check may hand the same object to two mutations (a cycle once nested).
    const m = { ...generated, value: structuredClone(generated.value) };
    const all = paths(copy);
    const path = all[m.at % all.length]!;
    if (path.length === 0) {
      if (copy !== null && typeof copy === 'object') setOwn(copy as Record<string, unknown>, m.key, m.value);
      continue;
    }
    let parent = copy as Record<string, unknown>;
    for (const k of path.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
    const last = path.at(-1)!;
    if (m.kind === 'delete') delete parent[last];
    else if (m.kind === 'set') setOwn(parent, last, m.value);
    else {
      const target = parent[last];
      if (target !== null && typeof target === 'object' && !Array.isArray(target))
        setOwn(target as Record<string, unknown>, m.kind === 'proto' ? '__proto__' : m.key, m.value);
      else setOwn(parent, last, m.value);
    }
  }
  return copy as T;
}
const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });
const mutated = <T>(base: T) => mutations.map((ms) => mutate(base, ms));

/** A body: mutations of a valid one, random JSON, random bytes, invalid UTF-8, huge, deep. */
const bodyOf = (valid: unknown): fc.Arbitrary<Buffer | undefined> =>
  fc.oneof(
    { weight: 6, arbitrary: mutated(valid).map((v) => Buffer.from(JSON.stringify(v) ?? '')) },
    // As valid as it comes: the turn runs, and what it writes must not break later cases.
    { weight: 1, arbitrary: fc.constant(null).map(() => Buffer.from(JSON.stringify(valid))) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((t) => Buffer.from(t)) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)) },
    {
      weight: 1,
      // Valid JSON around bytes that are not UTF-8 (an overlong slash, a lone continuation, 0xFF).
      arbitrary: fc
        .constantFrom([0xc0, 0xaf], [0x80], [0xff, 0xfe], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80])
        .map((bad) =>
          Buffer.concat([
            Buffer.from('{"channel":"'),
            Buffer.from(bad),
            Buffer.from('","callType":"CLOSE_ACCOUNT"}'),
          ]),
        ),
    },
    { weight: 1, arbitrary: fc.constantFrom(...HUGE).map((n) => Buffer.from(`{"x":"${'a'.repeat(n)}"}`)) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 100, max: 200_000 }), fc.boolean())
        .map(([d, obj]) => Buffer.from(obj ? `${'{"a":'.repeat(d)}1${'}'.repeat(d)}` : deep(d))),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('', ' ', 'null', '[]', '{}', '"x"', '{"__proto__":{"a":1}}')
        .map((t) => Buffer.from(t)),
    },
  );
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/problem+json',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/jsonp',
      'application/vnd.api+json',
      '*/*',
      '',
    ),
  },
  { weight: 1, arbitrary: headerValue },
);
/** Random bytes, every one percent-encoded: what `%zz`-style ids and encoded slashes come from. */
const percentBytes = fc
  .uint8Array({ maxLength: 40 })
  .map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join(''));
const pathId = (existing: () => string[], valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(null).map(() => existing()[0]!) },
    { weight: 1, arbitrary: fc.constant(null).map(() => existing()[1] ?? existing()[0]!) },
    { weight: 2, arbitrary: valid },
    { weight: 3, arbitrary: percentBytes },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map(encodeURIComponent) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '%zz',
        '%',
        '%C0%AF',
        '%2e%2e',
        '%2F',
        '..%2F..%2Fadmin',
        'constructor',
        '__proto__',
        'x'.repeat(3000),
      ),
    },
  );
const query = fc.option(
  fc
    .oneof(percentBytes, fc.constantFrom('a=1', '__proto__[x]=1', 'contactId=x', '%zz', '&&=='))
    .map((q) => `?${q}`),
  { nil: '' },
);
/** Authorization headers no one should get past with; none, most of the time, until tokens are needed. */
const hostileAuthorization = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.constant(null).map(() => tampered()),
      headerValue,
      headerValue.map((v) => `Bearer ${v}`),
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        'Basic YWRtaW46YWRtaW4=',
        // alg none, and a token whose header is not JSON
        `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"x","cognito:groups":["ops","productOwner","supervisor"]}').toString('base64url')}.`,
        'Bearer e30.e30.e30',
        'Bearer %%%.%%%.%%%',
        `Bearer ${'a'.repeat(8000)}.${'b'.repeat(4000)}.c`,
      ),
    ),
  },
);

// ---------------------------------------------------------------- the stack

/** Contacts that exist: one started, one verified (persona 0), so routes reach the state machine. */
let contacts: string[] = [];
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 20 });
  await loadTokens();
  const p = stack.personas[0]!.persona;
  const json = () => ({ 'content-type': 'application/json', ...auth('agent') });
  const start = async () => {
    const a = await send({
      method: 'POST',
      path: '/v1/contacts',
      headers: json(),
      body: Buffer.from(
        JSON.stringify({ channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: p.phone }),
      ),
    });
    expect(a.status, a.text).toBe(201);
    return JSON.parse(a.text).contactId as string;
  };
  const started = await start();
  const verified = await start();
  const v = await send({
    method: 'POST',
    path: `/v1/contacts/${verified}/verification`,
    headers: json(),
    body: Buffer.from(JSON.stringify({ last4: p.last4, zip: p.zip, dob: p.dob })),
  });
  expect(JSON.parse(v.text).verified, v.text).toBe(true);
  contacts = [started, verified];
});
afterAll(async () => {
  agent.destroy();
  await stack?.stop();
  if (figures.length) {
    const cases = figures.reduce((n, f) => n + f.runs, 0);
    const ms = figures.reduce((n, f) => n + f.ms, 0);
    console.log(
      [
        `hostile input: ${cases} cases in ${(ms / 1000).toFixed(1)} s (RD_PROPERTY_RUNS=${TOTAL})`,
        ...figures.map(
          (f) =>
            `  ${f.property.padEnd(44)} ${String(f.runs).padStart(7)} cases ${(f.ms / 1000).toFixed(1).padStart(7)} s  ${f.statuses}`,
        ),
      ].join('\n'),
    );
  }
});

type Desk = 'agent' | 'productOwner' | 'ops';
/** Bearer tokens of the local issuer by desk, once the stack has one (JWT on the agent and admin APIs). */
let tokens: Partial<Record<Desk, string>> = {};
/** Whether the local API asks for a token: then a hostile Authorization must never get a 2xx. */
const authEnforced = () => tokens.agent !== undefined;

/**
 * The local issuer's tokens (test/fakes/local-client.ts tokenOf), read without a static import so
 * this file runs the same before and after the API asks for tokens. A stack with an issuer but no
 * token helper is an error, not a silent run of 401s.
 */
async function loadTokens(): Promise<void> {
  if (!('issuer' in stack)) return;
  const { tokenOf } = (await import('../fakes/local-client')) as unknown as {
    tokenOf?: (s: LocalStack, roles: string[]) => Promise<string>;
  };
  if (!tokenOf) throw new Error('The stack has an issuer but test/fakes/local-client.ts has no tokenOf');
  tokens = {
    agent: await tokenOf(stack, ['supervisor']),
    productOwner: await tokenOf(stack, ['productOwner']),
    ops: await tokenOf(stack, ['ops']),
  };
}

/** The headers a request meant for the handlers carries: a valid token for the desk, when one is needed. */
function auth(desk: Desk): Record<string, string> {
  const t = tokens[desk];
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** A real token with its claims rewritten (every role) and the signature kept: it must not verify. */
function tampered(): string {
  const t = tokens.productOwner ?? 'e30.e30.sig';
  const [head, body, sig] = t.split('.');
  let claims: Record<string, unknown> = {};
  try {
    claims = JSON.parse(Buffer.from(body ?? '', 'base64url').toString('utf8'));
  } catch {}
  const forged = { ...claims, 'cognito:groups': ['supervisor', 'productOwner', 'ops'], exp: 4_102_444_800 };
  return `Bearer ${head}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${sig}`;
}

// ---------------------------------------------------------------- REST API v1

const VALID_BODIES: Record<string, unknown> = {
  start: { channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: '+15555550101' },
  // A channel id no contact has: a pickup that finds nothing (404) and changes nothing.
  pickup: { channel: 'voice', externalContactId: 'hostile-no-such-contact' },
  verify: { last4: '4417', zip: '94110' },
  respond: { offerId: 'annual-fee-waiver', response: 'DECLINED' },
  offers: {},
  close: {},
  openapi: {},
  get: {},
};
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'M-SEARCH'];

const restRequest = (opts: { invalidOnly: boolean }) =>
  fc.constantFrom(...ROUTES).chain((route) =>
    fc
      .record({
        method: fc.oneof(
          { weight: 5, arbitrary: fc.constant(route.method as string) },
          fc.constantFrom(...METHODS),
        ),
        id: pathId(() => contacts, fc.uuid()),
        body: bodyOf(VALID_BODIES[route.action]),
        contentType,
        idempotencyKey: fc.option(fc.oneof(headerValue, fc.stringMatching(/^[A-Za-z0-9._:-]{8,100}$/)), {
          freq: 2,
        }),
        authorization: hostileAuthorization,
        extra: fc.dictionary(headerName, headerValue, { maxKeys: 3 }),
        query,
      })
      .map((g) => {
        const headers: Record<string, string> = {
          ...g.extra,
          ...(g.authorization === null ? auth('agent') : { authorization: g.authorization }),
        };
        if (g.contentType !== undefined) headers['content-type'] = g.contentType;
        if (g.idempotencyKey !== null) headers['idempotency-key'] = g.idempotencyKey;
        const path = route.resource.replace('{contactId}', g.id) + g.query;
        const body = g.method === 'GET' && !g.body ? undefined : g.body;
        return {
          route,
          req: { method: g.method, path, headers, body } as Req,
          id: g.id,
          hostileAuth: g.authorization !== null,
        };
      })
      .filter(({ route, req, id }) => {
        if (!opts.invalidOnly) return true;
        // Bad input by construction: no existing contact is ever addressed, and a start is always malformed.
        if (contacts.includes(id)) return false;
        if (route.action !== 'start' || req.method !== 'POST') return true;
        return !req.body || !isValidStart(req.body);
      }),
  );
function isValidStart(body: Buffer): boolean {
  try {
    const b = JSON.parse(body.toString('utf8'));
    return (
      typeof b === 'object' &&
      b !== null &&
      (typeof b.callerPhone === 'string' || typeof b.accountId === 'string')
    );
  } catch {
    return false;
  }
}

describe('REST API v1 under hostile input', () => {
  const any = runsOf(0.2);
  it(`never a 5xx or a hang; every 4xx is problem+json (${any} cases)`, { timeout: budget(any) }, () =>
    check('REST v1: any request', any, restRequest({ invalidOnly: false }), async ({ req, hostileAuth }) =>
      expectApiAnswer(req, await send(req), hostileAuth),
    ),
  );

  const bad = runsOf(0.12);
  it(`a batch of bad input changes no table (${bad} cases)`, { timeout: budget(bad) }, () =>
    unchanged(() =>
      check(
        'REST v1: bad input, tables unchanged',
        bad,
        restRequest({ invalidOnly: true }),
        async ({ req, hostileAuth }) => expectApiAnswer(req, await send(req), hostileAuth),
      ),
    ),
  );

  const raw = runsOf(0.08);
  it(
    `dot segments, backslashes, encoded bytes in the path never reach another resource (${raw} cases)`,
    { timeout: budget(raw) },
    () =>
      check(
        'REST v1: raw paths',
        raw,
        fc.record({
          prefix: fc.constantFrom(
            '/v1/contacts/',
            '/v1/contacts/x/',
            '/v1/',
            '/v1/admin/config/versions/',
            '/',
          ),
          segments: fc.array(
            fc.oneof(
              fc.constantFrom(
                '..',
                '.',
                '%2e%2e',
                '.%2E',
                '%2e',
                '..\\',
                '\\..',
                '%5c',
                '%2f',
                '',
                'admin',
                'config',
                'contacts',
              ),
              percentBytes,
            ),
            { minLength: 1, maxLength: 6 },
          ),
          tail: fc.constantFrom('/admin/config', '/admin/config/versions', '', '/offers', '/verification'),
        }),
        async ({ prefix, segments, tail }) => {
          const target = prefix + segments.join('/') + tail;
          const a = await rawRequest(
            stack.url,
            `GET ${target} HTTP/1.1\r\nHost: x\r\n${Object.entries(auth('agent'))
              .map(([k, v]) => `${k}: ${v}\r\n`)
              .join('')}Connection: close\r\n\r\n`,
            HANG_MS,
          );
          tally(a.status);
          const why = `${target} → ${a.status} ${a.body.slice(0, 300)}`;
          expect(a.status, why).toBeLessThan(500);
          // Only the admin route's own path reads the active configuration.
          if (/(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|\\|%5c/i.test(target))
            expect([400, 404], why).toContain(a.status);
          if (a.status >= 400) {
            expect(a.headers['content-type'], why).toMatch(/^application\/problem\+json/);
            ProblemSchema.parse(JSON.parse(a.body));
          }
        },
      ),
  );

  const bytes = runsOf(0.06);
  it(
    `random bytes on the socket: an HTTP answer, never a 5xx, never a hang (${bytes} cases)`,
    { timeout: budget(bytes) },
    () =>
      check(
        'socket: random request lines and headers',
        bytes,
        fc.record({
          method: fc.oneof(
            fc.constantFrom('GET', 'POST', 'get', 'PRI', ''),
            fc.string({ unit: 'binary-ascii', maxLength: 10 }),
          ),
          target: fc.oneof(
            fc.constantFrom(
              '/v1/contacts',
              '/v1/admin/config',
              '/',
              '*',
              '/2015-03-31/functions/lex-adapter/invocations',
            ),
            fc.string({ unit: 'binary-ascii', maxLength: 80 }),
            fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('latin1')),
          ),
          version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', 'http/1.1', ''),
          headers: fc.array(
            fc.tuple(
              fc
                .oneof(headerName, fc.string({ unit: 'binary-ascii', maxLength: 20 }))
                .filter((n) => !FORBIDDEN_HEADERS.has(n.toLowerCase().trim())),
              fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b).toString('latin1')),
            ),
            { maxLength: 4 },
          ),
        }),
        async (g) => {
          const head = `${g.method} ${g.target} ${g.version}\r\n${g.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}Host: x\r\nConnection: close\r\n\r\n`;
          // A line break inside a random header value ends the head early: the rest is then a body.
          const a = await rawRequest(stack.url, Buffer.from(head, 'latin1'), HANG_MS);
          tally(a.status);
          const why = `${JSON.stringify(head).slice(0, 400)} → ${a.status} ${a.body.slice(0, 300)}`;
          expect(a.status, why).toBeGreaterThanOrEqual(200);
          expect(a.status, why).toBeLessThan(500);
          if (a.status >= 400 && /problem\+json/.test(a.headers['content-type'] ?? ''))
            expect(ProblemSchema.parse(JSON.parse(a.body)).status, why).toBe(a.status);
          if (a.status >= 400) expect(a.body.length, `an empty error body: ${why}`).toBeGreaterThan(0);
        },
      ),
  );
});

// ---------------------------------------------------------------- admin API

/** The first record of the import fixture (its other lines are bad on purpose). */
const importRecord = JSON.parse(
  readFileSync(resolve(import.meta.dirname, '../fixtures/import/accounts.jsonl'), 'utf8').split('\n')[0]!,
) as Record<string, unknown>;
const ADMIN_BODIES = (invalidOnly: boolean): Record<string, fc.Arbitrary<unknown>> => {
  const nowhere = fc.stringMatching(/^NOPE-[0-9a-f]{6,20}$/);
  return {
    // A mutated configuration keeps the active version: valid or not, it never makes a new version here.
    validate: mutated(DEFAULT_CONFIG),
    createVersion: invalidOnly
      ? mutated(DEFAULT_CONFIG).map((c) =>
          c && typeof c === 'object' ? { ...c, version: DEFAULT_CONFIG.version } : c,
        )
      : fc
          .tuple(mutated(DEFAULT_CONFIG), fc.stringMatching(/^hostile-[a-z0-9]{1,12}$/))
          .map(([c, v]) => (c && typeof c === 'object' && !Array.isArray(c) ? { ...c, version: v } : c)),
    dryRun: mutated({ accountId: 'PER-0001', callType: 'CLOSE_ACCOUNT' }),
    tag: invalidOnly
      ? fc
          .tuple(nowhere, mutated({ tag: 'HOSTILE_TEST', accountIds: ['NOPE-000001'] }))
          .map(([id, b]) =>
            b && typeof b === 'object' && !Array.isArray(b) ? { ...b, accountIds: [id] } : b,
          )
      : mutated({ tag: 'HOSTILE_TEST', accountIds: ['PER-0001'] }),
    importAccounts: invalidOnly
      ? mutated({ records: [{ ...importRecord, accountId: 42 }], firstLine: 1 })
      : mutated({ records: [importRecord], firstLine: 1 }),
    accountEvents: invalidOnly
      ? fc
          .tuple(
            nowhere,
            mutated({ type: 'FRAUD_HOLD_SET', accountId: 'NOPE-000001', asOf: '2030-01-01T00:00:00Z' }),
          )
          .map(([id, e]) => ({
            events: [e && typeof e === 'object' && !Array.isArray(e) ? { ...e, accountId: id } : e],
          }))
      : mutated({
          events: [{ type: 'FRAUD_HOLD_SET', accountId: 'PER-0001', asOf: '2000-01-01T00:00:00Z' }],
        }),
    getActive: fc.constant({}),
    listVersions: fc.constant({}),
    getVersion: fc.constant({}),
    activate: fc.oneof(fc.constant({}), mutated({ at: '2030-01-01T00:00:00Z' })),
    approve: fc.constant({}),
    cancelActivation: fc.constant({}),
    rollback: fc.constant({}),
    auditLog: fc.constant({}),
  };
};
const ROLE_OF: Record<string, 'productOwner' | 'ops'> = { importAccounts: 'ops', accountEvents: 'ops' };
const adminRequest = (invalidOnly: boolean) => {
  const bodies = ADMIN_BODIES(invalidOnly);
  return fc.constantFrom(...ADMIN_ROUTES).chain((route) =>
    fc
      .record({
        method: fc.oneof(
          { weight: 5, arbitrary: fc.constant(route.method as string) },
          fc.constantFrom(...METHODS),
        ),
        version: pathId(
          () => (invalidOnly ? ['no-such-version'] : [DEFAULT_CONFIG.version]),
          fc
            .stringMatching(/^[A-Za-z0-9._-]{1,40}$/)
            .filter((v) => v !== DEFAULT_CONFIG.version && !/^\.{1,2}$/.test(v)),
        ),
        otherId: pathId(() => ['NOPE-000001'], fc.stringMatching(/^NOPE-[0-9a-f]{6,20}$/)),
        body: fc.oneof(
          {
            weight: 3,
            arbitrary: (bodies[route.action] ?? mutated({})).map((b) => Buffer.from(JSON.stringify(b) ?? '')),
          },
          { weight: 1, arbitrary: bodyOf({}) },
        ),
        contentType,
        authorization: hostileAuthorization,
        extra: fc.dictionary(headerName, headerValue, { maxKeys: 2 }),
      })
      .map((g) => {
        const headers: Record<string, string> = {
          ...g.extra,
          ...(g.authorization === null
            ? auth(ROLE_OF[route.action] ?? 'productOwner')
            : { authorization: g.authorization }),
        };
        if (g.contentType !== undefined) headers['content-type'] = g.contentType;
        return {
          route,
          version: g.version,
          hostileAuth: g.authorization !== null,
          req: {
            method: g.method,
            // Any other id in the path (an account's) names no account: a hostile erasure erases nothing.
            path: route.resource.replace(/\{(\w+)\}/g, (_, name: string) =>
              name === 'version' ? g.version : g.otherId,
            ),
            headers,
            body: g.method === 'GET' && !g.body ? undefined : g.body,
          } as Req,
        };
      })
      // Bad input by construction: re-activating the active version would rewrite its pointer, and a
      // well-formed request to place the portfolio (no body, or `{}`) is a valid one that records its progress,
      // and a well-formed rollback is a valid one too (if there is anything to roll back to).
      .filter((g) => !(invalidOnly && g.route.action === 'activate' && g.version === DEFAULT_CONFIG.version))
      .filter(
        (g) =>
          !(
            invalidOnly &&
            (g.route.action === 'placePortfolio' || g.route.action === 'rollback') &&
            g.req.method === 'POST' &&
            !g.hostileAuth &&
            isEmptyOrEmptyObject(g.req.body)
          ),
      ),
  );
};

describe('admin API under hostile input', () => {
  const any = runsOf(0.12);
  it(`never a 5xx or a hang; every 4xx is problem+json (${any} cases)`, { timeout: budget(any, 60) }, () =>
    check('admin: any request', any, adminRequest(false), async ({ req, hostileAuth }) =>
      expectApiAnswer(req, await send(req), hostileAuth),
    ),
  );

  const bad = runsOf(0.08);
  it(`a batch of bad input changes no table (${bad} cases)`, { timeout: budget(bad, 60) }, () =>
    unchanged(() =>
      check('admin: bad input, tables unchanged', bad, adminRequest(true), async ({ req, hostileAuth }) =>
        expectApiAnswer(req, await send(req), hostileAuth),
      ),
    ),
  );
});

// ---------------------------------------------------------------- channel adapters (Invoke API)

const FLAT_KEY = /^[A-Za-z0-9]{1,40}$/;
const LexResponseSchema = z.object({
  sessionState: z.object({
    sessionAttributes: z.record(z.string(), z.string()),
    dialogAction: z.object({
      type: z.enum(['ElicitSlot', 'ConfirmIntent', 'Close', 'Delegate', 'ElicitIntent']),
      slotToElicit: z.string().optional(),
    }),
    intent: z.object({
      name: z.string(),
      slots: z.record(z.string(), z.unknown()),
      state: z.enum(['InProgress', 'Fulfilled', 'Failed', 'ReadyForFulfillment']),
    }),
  }),
  messages: z.array(z.object({ contentType: z.literal('PlainText'), content: z.string().min(1) })).min(1),
});
const invoke = (fn: string, body: Buffer | undefined) =>
  send({
    method: 'POST',
    path: `/2015-03-31/functions/${fn}/invocations`,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body } : {}),
  });
/** The function's answer (200) or Lambda's own refusal of a body that is not JSON (400, typed). */
function expectInvokeAnswer(why: string, a: Answer): unknown {
  expect(a.status, `${why} → ${a.status} ${a.text}`).toBeLessThan(500);
  if (a.status === 413) return undefined; // over the local server's 1 MB read limit
  if (a.status !== 200) {
    expect(a.status, a.text).toBe(400);
    expect(a.headers['x-amzn-errortype']).toBe('InvalidRequestContentException');
    return undefined;
  }
  expect(a.headers['x-amz-function-error'], a.text).toBeUndefined();
  return JSON.parse(a.text);
}
const phones = () => stack.personas.map((p) => p.persona.phone);
const eventOf = <T>(fixtures: T[]): fc.Arbitrary<Buffer | undefined> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .constantFrom(...fixtures)
        .chain((f) => mutated(f))
        .map((e) => Buffer.from(JSON.stringify(e) ?? '')),
    },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))) },
    { weight: 1, arbitrary: bodyOf({}) },
  );
/** Connect fixtures with a persona's number and a random step and digits: turns that reach the state machine. */
const connectFixtures = () =>
  [connectStart, connectVerify].flatMap((f) =>
    phones()
      .slice(0, 3)
      .map((phone) => {
        const e = structuredClone(f) as typeof connectStart;
        e.Details.ContactData.CustomerEndpoint.Address = phone;
        return e;
      }),
  );

describe('Connect adapter through the Invoke API', () => {
  const any = runsOf(0.1);
  it(`always a flat map of strings under 32 KB (${any} cases)`, { timeout: budget(any, 80) }, () =>
    check(
      'Connect: any event',
      any,
      fc
        .tuple(
          eventOf(connectFixtures()),
          fc.option(
            fc.record({
              step: fc.constantFrom('start', 'verify', 'offers', 'answer', 'respond', '', '__proto__'),
              digits: fc.string({ maxLength: 10 }),
            }),
          ),
        )
        .map(([body, p]) => {
          if (!p || !body) return body;
          try {
            const e = JSON.parse(body.toString('utf8'));
            if (e?.Details && typeof e.Details === 'object')
              e.Details.Parameters = { ...e.Details.Parameters, ...p };
            return Buffer.from(JSON.stringify(e));
          } catch {
            return body;
          }
        }),
      async (body) => {
        const out = expectInvokeAnswer(
          String(body?.toString('utf8').slice(0, 300)),
          await invoke('connect-adapter', body),
        );
        if (out === undefined) return;
        expect(out !== null && typeof out === 'object' && !Array.isArray(out)).toBe(true);
        for (const [k, v] of Object.entries(out as object)) {
          expect(k).toMatch(FLAT_KEY);
          expect(typeof v).toBe('string');
        }
        expect(Buffer.byteLength(JSON.stringify(out))).toBeLessThan(32 * 1024);
      },
    ),
  );

  const bad = runsOf(0.04);
  it(`events that are not a Connect contact change no table (${bad} cases)`, { timeout: budget(bad) }, () =>
    unchanged(() =>
      check(
        'Connect: bad events, tables unchanged',
        bad,
        fc
          .tuple(
            mutated(connectStart),
            fc.oneof(hostileValue, fc.stringMatching(/^[^A-Za-z0-9-]{1,10}$/), fc.constant(undefined)),
          )
          .map(([e, id]) => {
            // No usable ContactId: a turn could not be keyed, so none may run.
            const data = (e as { Details?: { ContactData?: Record<string, unknown> } })?.Details?.ContactData;
            if (data && typeof data === 'object') {
              if (id === undefined) delete data.ContactId;
              else data.ContactId = typeof id === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(id) ? `${id}!` : id;
            }
            return data && typeof data === 'object'
              ? Buffer.from(JSON.stringify(e))
              : Buffer.from('{"Details":7}');
          }),
        async (body) => {
          const out = expectInvokeAnswer(
            body.toString('utf8').slice(0, 300),
            await invoke('connect-adapter', body),
          );
          if (out !== undefined)
            expect((out as Record<string, string>).fallback, JSON.stringify(out)).toBe('true');
        },
      ),
    ),
  );
});

describe('Lex adapter through the Invoke API', () => {
  const lexFixtures = () => [
    lexConfirm,
    ...phones()
      .slice(0, 2)
      .map((phone) => {
        const e = structuredClone(lexConfirm) as typeof lexConfirm & {
          sessionState: { intent: { slots: Record<string, unknown> } };
        };
        e.sessionId = `hostile-${phone.slice(-4)}`;
        e.sessionState.intent.slots = { phone: { value: { interpretedValue: phone } } };
        return e;
      }),
    ...contacts.map((contactId) => {
      const e = structuredClone(lexConfirm);
      e.sessionState.sessionAttributes.contactId = contactId;
      return e;
    }),
  ];
  const any = runsOf(0.08);
  it(`always a valid Lex response (${any} cases)`, { timeout: budget(any, 80) }, () =>
    check(
      'Lex: any event',
      any,
      fc.constant(null).chain(() => eventOf(lexFixtures())),
      async (body) => {
        const out = expectInvokeAnswer(
          String(body?.toString('utf8').slice(0, 300)),
          await invoke('lex-adapter', body),
        );
        if (out === undefined) return;
        const r = LexResponseSchema.safeParse(out);
        expect(r.success, JSON.stringify(out).slice(0, 500)).toBe(true);
      },
    ),
  );

  const bad = runsOf(0.04);
  it(
    `events with no caller number and no known contact change no table (${bad} cases)`,
    { timeout: budget(bad) },
    () =>
      unchanged(() =>
        check(
          'Lex: bad events, tables unchanged',
          bad,
          mutated(lexConfirm).map((e) => {
            // Nothing to start a contact from (no number) and no contact to act on.
            const s = (e as { sessionState?: Record<string, unknown> })?.sessionState;
            if (s && typeof s === 'object') {
              const attrs = s.sessionAttributes as Record<string, unknown> | undefined;
              if (attrs && typeof attrs === 'object') {
                delete attrs.callerPhone;
                if (typeof attrs.contactId === 'string' && contacts.includes(attrs.contactId))
                  attrs.contactId = '';
              }
              const intent = s.intent as { slots?: Record<string, unknown> } | undefined;
              if (intent && typeof intent === 'object' && intent.slots && typeof intent.slots === 'object')
                delete intent.slots.phone;
            }
            return Buffer.from(JSON.stringify(e) ?? '');
          }),
          async (body) => {
            const out = expectInvokeAnswer(
              body.toString('utf8').slice(0, 300),
              await invoke('lex-adapter', body),
            );
            if (out !== undefined)
              expect(LexResponseSchema.safeParse(out).success, JSON.stringify(out)).toBe(true);
          },
        ),
      ),
  );
});

// ---------------------------------------------------------------- EventBridge PutEvents

const validEntry = (accountId: string) => ({
  Source: 'issuer.core',
  DetailType: 'Account Change',
  Detail: JSON.stringify({ type: 'FRAUD_HOLD_SET', accountId, asOf: '2000-01-01T00:00:00Z' }),
});
const putEventsBody = (invalidOnly: boolean) =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          fc.array(
            fc.tuple(
              invalidOnly
                ? fc.stringMatching(/^NOPE-[0-9a-f]{6,12}$/)
                : fc.constantFrom('PER-0001', 'PER-0002', 'NOPE-000001'),
              mutations,
              mutations,
            ),
            { minLength: 0, maxLength: 12 },
          ),
          mutations,
        )
        .map(([entries, outer]) => {
          const list = entries.map(([id, onDetail, onEntry]) => {
            const detail = mutate(
              { type: 'FRAUD_HOLD_SET', accountId: id, asOf: '2000-01-01T00:00:00Z' },
              onDetail,
            );
            // In a bad batch every event names an account that does not exist.
            const d =
              invalidOnly && detail && typeof detail === 'object' && !Array.isArray(detail)
                ? { ...detail, accountId: id }
                : detail;
            return mutate({ ...validEntry(id), Detail: JSON.stringify(d) ?? '' }, onEntry);
          });
          const body = mutate({ Entries: list }, outer);
          return Buffer.from(JSON.stringify(body) ?? '');
        }),
    },
    { weight: 2, arbitrary: bodyOf({ Entries: [validEntry('NOPE-000001')] }) },
  );
const putEvents = (body: Buffer | undefined, target: string) =>
  send({
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    ...(body ? { body } : {}),
  });
function expectPutEventsAnswer(body: Buffer | undefined, a: Answer) {
  const why = `${body?.toString('utf8').slice(0, 300)} → ${a.status} ${a.text.slice(0, 300)}`;
  expect(a.status, why).toBeLessThan(500);
  if (a.status === 413) return; // over the local server's 1 MB read limit
  expect(a.type, why).toMatch(/^application\/x-amz-json-1\.1/);
  const out = JSON.parse(a.text);
  if (a.status === 200) {
    const sent = JSON.parse(body!.toString('utf8')).Entries as unknown[];
    expect(out.Entries, why).toHaveLength(sent.length);
    expect(out.FailedEntryCount, why).toBe(out.Entries.filter((e: object) => 'ErrorCode' in e).length);
  } else {
    expect(a.status, why).toBe(400);
    expect(out.__type, why).toMatch(/^(SerializationException|ValidationException)$/);
  }
}

describe('EventBridge PutEvents under hostile input', () => {
  const any = runsOf(0.05);
  it(`an AWS JSON answer, never a 5xx (${any} cases)`, { timeout: budget(any) }, () =>
    check('PutEvents: any request', any, putEventsBody(false), async (body) =>
      expectPutEventsAnswer(body, await putEvents(body, PUT_EVENTS_TARGET)),
    ),
  );

  const bad = runsOf(0.03);
  it(
    `events for no known account, or malformed, change no table (${bad} cases)`,
    { timeout: budget(bad) },
    () =>
      unchanged(() =>
        check(
          'PutEvents: bad events, tables unchanged',
          bad,
          fc.tuple(
            putEventsBody(true),
            fc.oneof({ weight: 4, arbitrary: fc.constant(PUT_EVENTS_TARGET) }, headerValue),
          ),
          async ([body, target]) => {
            const a = await putEvents(body, target);
            if (target === PUT_EVENTS_TARGET) expectPutEventsAnswer(body, a);
            // Another target is not PutEvents: the request falls to the REST API's 404.
            else expectApiAnswer({ method: 'POST', path: '/', headers: { 'x-amz-target': target } }, a);
          },
        ),
      ),
  );
});

/** A body the placement route takes as valid: none, blank, or a JSON `{}`. */
function isEmptyOrEmptyObject(body: Buffer | undefined): boolean {
  if (!body) return true;
  const text = body.toString('utf8').trim();
  if (text === '') return true;
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
  } catch {
    return false;
  }
}
