import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TASK_TIMEOUT_SECONDS } from '../../infra/constructs/retention-call';
import { createLocalRunner } from '../../infra/local/runner';
import type { LocalStack } from '../../infra/local/stack';
import { TURN_STORAGE_BUDGET, turnStorageWorstMs } from '../../shared/adapters/dynamo';
import { FACTORS, premiumAccount } from '../fakes/accounts';
import { connectEvent, invokeConnect } from '../fakes/connect';
import { localClient } from '../fakes/local-client';
import { startTestStack } from '../fakes/stack';

/**
 * DynamoDB's faults on the local stack (throttling, hung requests, an outage of the real JVM, races
 * between identical retries), driven from outside as a client would: every answer is the safe route
 * within the Connect budget, and what the caller is told is what the tables hold.
 */
let stack: LocalStack;
beforeAll(async () => {
  // No background timers (scheduled activations, funnel metrics): only the turn under test meets the fault.
  stack = await startTestStack({ activationEveryMs: 0, funnelsEveryMs: 0 });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(async () => {
  stack.faults.reset();
  await stack.dynamo.up();
});

/** The Connect contact flow's budget: it waits at most 8 s for a Lambda. */
const CONNECT_BUDGET_MS = 8_000;
type Json = Record<string, any>;
const { http } = localClient(() => stack, '');
const scan = async (table: string) => {
  const items: Json[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const r = await stack.db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(r.Items ?? []));
    start = r.LastEvaluatedKey;
  } while (start);
  return items;
};
/** Everything a turn can change, for "reported failed ⇒ nothing changed". */
const tables = async () => ({
  contacts: await scan(stack.env.CONTACTS_TABLE!),
  log: await scan(stack.env.OFFER_LOG_TABLE!),
  accounts: await scan(stack.env.ACCOUNTS_TABLE!),
  counters: await scan(stack.env.COUNTERS_TABLE!),
});
/**
 * The tables once earlier turns have landed: a task the state machine gave up on (its timeout, then
 * a retry) goes on running in-process, as a Lambda does, and its write (the same token, applied
 * once) can land after the answer. Two equal snapshots 300 ms apart, within 6 s.
 */
async function quietTables() {
  let last = sorted(await tables());
  for (let i = 0; i < 20; i++) {
    await new Promise((ok) => setTimeout(ok, 300));
    const now = sorted(await tables());
    if (now === last) return now;
    last = now;
  }
  return last;
}

const expired = (item: string) => {
  const at = (JSON.parse(item) as { expiresAt?: unknown }).expiresAt;
  return typeof at === 'number' && at * 1000 <= Date.now();
};

/** The items added or removed between two snapshots (for a readable failure). */
const changes = (a: string, b: string) => {
  const [x, y] = [JSON.parse(a) as Record<string, string[]>, JSON.parse(b) as Record<string, string[]>];
  return Object.keys(y).flatMap((k) => [
    ...y[k]!.filter((i) => !x[k]?.includes(i)).map((i) => `+ ${k}: ${i}`),
    // An item whose TTL has passed may be deleted by DynamoDB (Local too) at any moment: not the turn's doing.
    ...(x[k] ?? []).filter((i) => !y[k]!.includes(i) && !expired(i)).map((i) => `- ${k}: ${i}`),
  ]);
};
const sorted = (t: Awaited<ReturnType<typeof tables>>) =>
  JSON.stringify(
    Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.map((i) => JSON.stringify(i)).sort()])),
  );
const logOf = async (contactId: string) =>
  (await scan(stack.env.OFFER_LOG_TABLE!)).filter((e) => e.contactId === contactId);

let accounts = 0;
/** An account of the test's own: a premium customer with no offer history. */
async function customer() {
  const n = ++accounts;
  const phone = `+1555555${String(4000 + n).padStart(4, '0')}`;
  const accountId = `FAULT-${n}`;
  await stack.db.send(
    new PutCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Item: premiumAccount({ accountId, phone }) }),
  );
  return { phone, accountId };
}
async function started() {
  const { phone } = await customer();
  const r = await http('POST', '/v1/contacts', {
    channel: 'agent',
    callType: 'CLOSE_ACCOUNT',
    callerPhone: phone,
  });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json.contactId as string;
}
async function verified() {
  const id = await started();
  const v = await http('POST', `/v1/contacts/${id}/verification`, { last4: FACTORS.last4, zip: FACTORS.zip });
  expect(v.json.verified, JSON.stringify(v.json)).toBe(true);
  return id;
}
async function offered() {
  const id = await verified();
  const o = await http('GET', `/v1/contacts/${id}/offers`);
  expect(o.json.offers.length, JSON.stringify(o.json)).toBeGreaterThan(1);
  return { id, offerId: o.json.offers[0].offerId as string };
}
const timed = async <T>(f: () => Promise<T>) => {
  const t0 = performance.now();
  const out = await f();
  return { out, ms: performance.now() - t0 };
};

/**
 * The race's answers, with each 503 repeated as its body says (a loaded machine can time a held
 * write out: the barrier lets 50 writes go one at a time). None may be a 409: losing the race is
 * never an error for an identical repeat.
 */
async function settle<R extends { status: number; json: Record<string, any> }>(
  rs: R[],
  again: () => Promise<R>,
) {
  expect(rs.filter((r) => r.status === 409)).toEqual([]);
  const out: R[] = [];
  for (const r of rs) {
    if (r.status !== 503) out.push(r);
    else {
      expect(['unknown', 'failed']).toContain(r.json.outcome);
      out.push(await again());
    }
  }
  return out;
}

describe('finding 10: identical concurrent retries all get the first result', () => {
  it('50 identical answers with one Idempotency-Key, racing for the contact: 50 identical 200s, one log entry', async () => {
    const { id, offerId } = await offered();
    // Every retry reads the contact before any of them writes: 49 lose the version race.
    stack.faults.barrier(['TransactWriteItems'], 50, () => 0, 5_000);
    const rs = await Promise.all(
      Array.from({ length: 50 }, () =>
        http(
          'POST',
          `/v1/contacts/${id}/responses`,
          { offerId, response: 'DECLINED' },
          { 'Idempotency-Key': 'retry-0001' },
        ),
      ),
    );
    const settled = await settle(rs, () =>
      http(
        'POST',
        `/v1/contacts/${id}/responses`,
        { offerId, response: 'DECLINED' },
        { 'Idempotency-Key': 'retry-0001' },
      ),
    );
    expect(settled.map((r) => r.status)).toEqual(Array(50).fill(200));
    for (const r of settled) expect(r.json).toEqual(settled[0]!.json);
    const answers = (await logOf(id)).filter((e) => e.event === 'DECLINED' && e.offerId === offerId);
    expect(answers).toHaveLength(1);
  });

  it('50 identical verifications with one Idempotency-Key: 50 identical 200s, one judged guess', async () => {
    const id = await started();
    stack.faults.barrier(['TransactWriteItems'], 50, () => 0, 5_000);
    const rs = await Promise.all(
      Array.from({ length: 50 }, () =>
        http(
          'POST',
          `/v1/contacts/${id}/verification`,
          { last4: FACTORS.last4, zip: FACTORS.zip },
          { 'Idempotency-Key': 'verify-0001' },
        ),
      ),
    );
    const settled = await settle(rs, () =>
      http(
        'POST',
        `/v1/contacts/${id}/verification`,
        { last4: FACTORS.last4, zip: FACTORS.zip },
        { 'Idempotency-Key': 'verify-0001' },
      ),
    );
    expect(settled.map((r) => r.status)).toEqual(Array(50).fill(200));
    for (const r of settled) expect(r.json).toEqual(settled[0]!.json);
    expect(settled[0]!.json).toMatchObject({ verified: true, stage: 'OFFER' });
    const contact = (await scan(stack.env.CONTACTS_TABLE!)).find((c) => c.contactId === id)!;
    // Started (1), verified once (2).
    expect(contact.version).toBe(2);
  });
});

/** DynamoDB answers again (after a pause: what it had taken is served first). */
async function settled() {
  stack.faults.reset();
  await stack.dynamo.up();
  await scan(stack.env.CATALOG_TABLE!);
}

describe('finding 9: what the caller is told is what is stored', () => {
  it('every DynamoDB request answers within the task timeout: attempts cut, retries bounded', () => {
    expect(turnStorageWorstMs()).toBeLessThan(TASK_TIMEOUT_SECONDS * 1000 - 300);
    expect(TURN_STORAGE_BUDGET.maxAttempts).toBeGreaterThan(1);
  });

  it("the local runner enforces a Task state's TimeoutSeconds, as Step Functions does", async () => {
    const hung = () => new Promise<never>(() => undefined);
    const runner = await createLocalRunner(stack.definition.stateMachine, { DecideTurn: hung });
    const { out, ms } = await timed(() =>
      runner.run({ action: 'get', now: new Date().toISOString(), contactId: crypto.randomUUID() }),
    );
    expect(out).toMatchObject({ outcome: 'fallback', failedAt: 'DecideTurn', error: 'States.Timeout' });
    expect(ms).toBeLessThan(CONNECT_BUDGET_MS);
  });

  it('DynamoDB hangs as the answer is written: 503 "unknown" (never "failed"), and the same request repeated gives the one stored result', async () => {
    const { id, offerId } = await offered();
    const before = await logOf(id);
    stack.faults.pauseOn(['TransactWriteItems'], { table: stack.env.CONTACTS_TABLE! });
    const answer = () =>
      http(
        'POST',
        `/v1/contacts/${id}/responses`,
        { offerId, response: 'DECLINED' },
        { 'Idempotency-Key': 'hung-0001' },
      );
    const { out: r, ms } = await timed(answer);
    expect(ms).toBeLessThan(CONNECT_BUDGET_MS);
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ outcome: 'unknown', route: { queue: 'RETENTION_SPECIALIST' } });
    expect(r.json.detail).toMatch(/same Idempotency-Key/);
    // DynamoDB comes back and serves the write it had taken (and the SDK's retries of it, once).
    await settled();
    const again = await answer();
    expect(again.status, JSON.stringify(again.json)).toBe(200);
    expect((await answer()).json).toEqual(again.json);
    const declined = (await logOf(id)).filter((e) => e.event === 'DECLINED');
    expect(declined).toHaveLength(1);
    const contact = (await scan(stack.env.CONTACTS_TABLE!)).find((c) => c.contactId === id)!;
    expect(contact.answers).toHaveLength(1);
    expect((await logOf(id)).length).toBeGreaterThan(before.length);
  });

  it('DynamoDB down before the turn reads: 503 "failed", and nothing changed', async () => {
    const { id, offerId } = await offered();
    const t0 = sorted(await tables());
    stack.faults.pause();
    const { out: r, ms } = await timed(() =>
      http('POST', `/v1/contacts/${id}/responses`, { offerId, response: 'ACCEPTED' }),
    );
    expect(ms).toBeLessThan(CONNECT_BUDGET_MS);
    expect(r.status).toBe(503);
    expect(r.json.outcome).toBe('failed');
    await settled();
    expect(changes(t0, sorted(await tables()))).toEqual([]);
  });
});

/** A Connect contact flow's Lambda call, through the local Invoke API. */
let connectIds = 0;
function connectCall(phone: string) {
  const contactId = `7d1c0a2e-5f3b-4c6d-9e8f-${String(++connectIds).padStart(12, '0')}`;
  return (params: Record<string, string>) => invokeConnect(stack.url, connectEvent(contactId, phone, params));
}

/** What the caller was told, whatever the channel: done, failed (nothing stored) or unknown. */
function told(r: { status: number; json: Json }, channel: 'rest' | 'connect') {
  if (channel === 'connect') {
    expect(r.status).toBe(200);
    for (const v of Object.values(r.json)) expect(typeof v).toBe('string');
    return r.json.fallback === 'true' ? (r.json.stored as string) : 'done';
  }
  if (r.status < 300) return 'done';
  expect(r.status, JSON.stringify(r.json)).toBe(503);
  expect(r.json.route).toMatchObject({ queue: 'RETENTION_SPECIALIST' });
  return r.json.outcome as string;
}

interface Kind {
  name: string;
  channel: 'rest' | 'connect';
  /** Whether the turn writes (a read-only turn can only fail). */
  writes: boolean;
  /** Sets the contact up to the turn; returns the turn, sent as often as the test likes. */
  prepare(): Promise<() => Promise<{ status: number; json: Json }>>;
}
let starts = 0;
const KINDS: Kind[] = [
  {
    name: 'start',
    channel: 'rest',
    writes: true,
    async prepare() {
      const { phone } = await customer();
      const body = {
        channel: 'agent',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: phone,
        externalContactId: `desk-${++starts}`,
      };
      return () => http('POST', '/v1/contacts', body);
    },
  },
  {
    name: 'verify',
    channel: 'rest',
    writes: true,
    async prepare() {
      const id = await started();
      return () =>
        http(
          'POST',
          `/v1/contacts/${id}/verification`,
          { last4: FACTORS.last4, zip: FACTORS.zip },
          { 'Idempotency-Key': `v-${id}` },
        );
    },
  },
  {
    name: 'offers',
    channel: 'rest',
    writes: true,
    async prepare() {
      const id = await verified();
      return () => http('GET', `/v1/contacts/${id}/offers`);
    },
  },
  {
    name: 'respond',
    channel: 'rest',
    writes: true,
    async prepare() {
      const { id, offerId } = await offered();
      return () =>
        http(
          'POST',
          `/v1/contacts/${id}/responses`,
          { offerId, response: 'DECLINED' },
          { 'Idempotency-Key': `r-${id}` },
        );
    },
  },
  {
    name: 'get',
    channel: 'rest',
    writes: false,
    async prepare() {
      const id = await started();
      return () => http('GET', `/v1/contacts/${id}`);
    },
  },
  {
    name: 'Connect start',
    channel: 'connect',
    writes: true,
    async prepare() {
      const step = connectCall((await customer()).phone);
      return () => step({ step: 'start', callType: 'CLOSE_ACCOUNT' });
    },
  },
  {
    name: 'Connect verify',
    channel: 'connect',
    writes: true,
    async prepare() {
      const step = connectCall((await customer()).phone);
      expect((await step({ step: 'start' })).json.stage).toBe('VERIFY');
      return () => step({ step: 'verify', last4: FACTORS.last4, zip: FACTORS.zip });
    },
  },
  {
    name: 'Connect offers',
    channel: 'connect',
    writes: true,
    async prepare() {
      const step = connectCall((await customer()).phone);
      await step({ step: 'start' });
      expect((await step({ step: 'verify', last4: FACTORS.last4, zip: FACTORS.zip })).json.verified).toBe(
        'true',
      );
      return () => step({ step: 'offers' });
    },
  },
  {
    name: 'Connect answer',
    channel: 'connect',
    writes: true,
    async prepare() {
      const step = connectCall((await customer()).phone);
      await step({ step: 'start' });
      await step({ step: 'verify', last4: FACTORS.last4, zip: FACTORS.zip });
      const offers = await step({ step: 'offers' });
      expect(offers.json.offer1Id).toBeTruthy();
      return () => step({ step: 'answer', offerId: offers.json.offer1Id!, digit: '2' });
    },
  },
];

/** Contacts that differ between two scans: added, or changed (with their versions). */
function changedContacts(before: Json[], after: Json[]) {
  const old = new Map(before.map((c) => [c.contactId, c]));
  return after
    .filter((c) => JSON.stringify(old.get(c.contactId)) !== JSON.stringify(c))
    .map((c) => ({
      from: (old.get(c.contactId)?.version as number | undefined) ?? 0,
      to: c.version as number,
    }));
}

describe.each(KINDS)('build item 3, faults as tests: $name', (kind) => {
  it("DynamoDB throttles (the SDK's retries exhausted once): retried, it succeeds within the budget", async () => {
    const send = await kind.prepare();
    stack.faults.fail('ProvisionedThroughputExceededException', {
      ops: ['TransactWriteItems', 'GetItem', 'Query', 'BatchGetItem'],
      times: TURN_STORAGE_BUDGET.maxAttempts + 1,
    });
    const { out, ms } = await timed(send);
    expect(ms).toBeLessThan(CONNECT_BUDGET_MS);
    expect(told(out, kind.channel)).toBe('done');
  });

  it('DynamoDB throttles every request: the safe route, reported failed, and nothing changed', async () => {
    const send = await kind.prepare();
    const before = await quietTables();
    stack.faults.fail('ProvisionedThroughputExceededException');
    const { out, ms } = await timed(send);
    expect(ms).toBeLessThan(CONNECT_BUDGET_MS);
    expect(told(out, kind.channel)).toBe('failed');
    stack.faults.reset();
    expect(changes(before, sorted(await tables()))).toEqual([]);
  });

  it('DynamoDB is down (its JVM stopped): the safe route, reported failed, and nothing changed once it is back', async () => {
    const send = await kind.prepare();
    const before = await quietTables();
    stack.faults.pause();
    const { out, ms } = await timed(send);
    expect(ms).toBeLessThan(CONNECT_BUDGET_MS);
    expect(told(out, kind.channel)).toBe('failed');
    await settled();
    expect(changes(before, sorted(await tables()))).toEqual([]);
  });

  it.skipIf(!kind.writes)(
    'DynamoDB hangs as the turn is written: the safe route, reported unknown; repeated, one result, stored once',
    async () => {
      const send = await kind.prepare();
      const before = await tables();
      stack.faults.pauseOn(['TransactWriteItems'], { table: stack.env.CONTACTS_TABLE! });
      const { out, ms } = await timed(send);
      expect(ms).toBeLessThan(CONNECT_BUDGET_MS);
      expect(told(out, kind.channel)).toBe('unknown');
      await settled();
      const first = await send();
      expect(told(first, kind.channel)).toBe('done');
      const stored = await tables();
      // One turn applied, once: one contact moved by one version, whether the hung write or the repeat stored it.
      expect(changedContacts(before.contacts, stored.contacts)).toEqual([
        { from: expect.any(Number), to: expect.any(Number) },
      ]);
      const [moved] = changedContacts(before.contacts, stored.contacts);
      expect(moved!.to - moved!.from).toBe(1);
      // And repeated again: the same answer, nothing more stored.
      const second = await send();
      expect(second.json).toEqual(first.json);
      expect(changes(sorted(stored), sorted(await tables()))).toEqual([]);
    },
  );
});

describe('finding 11: the local stack recovers when DynamoDB Local dies', () => {
  it('the JVM killed: it is started again on the same port, tables and seed data back, and the functions reconnect', async () => {
    const pid = stack.dynamo.pid;
    const restarts = stack.dynamo.restarts;
    const persona = stack.personas[0]!.persona;
    stack.faults.kill();
    // While it is down: the safe route, reported failed.
    const down = await http('POST', '/v1/contacts', {
      channel: 'agent',
      callType: 'CLOSE_ACCOUNT',
      callerPhone: persona.phone,
    });
    expect(down.status).toBe(503);
    await stack.dynamo.up();
    expect(stack.dynamo.restarts).toBe(restarts + 1);
    expect(stack.dynamo.pid).not.toBe(pid);
    // In memory: seeded again as at start (the personas are there), and the first write is a plain success.
    const c = await http('POST', '/v1/contacts', {
      channel: 'agent',
      callType: 'CLOSE_ACCOUNT',
      callerPhone: persona.phone,
    });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    const v = await http('POST', `/v1/contacts/${c.json.contactId}/verification`, {
      last4: persona.last4,
      zip: persona.zip,
      dob: persona.dob,
    });
    expect(v.status, JSON.stringify(v.json)).toBe(200);
  });
});
