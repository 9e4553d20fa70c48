import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSub } from '../../infra/local/authorizer';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { HISTORY_LIMIT } from '../../shared/domain/governance';
import { localClient } from '../fakes/local-client';

/**
 * Governance of configuration versions, black-box over the local stack's HTTP API: four-eyes approval,
 * activation now or at a time (the schedule run deterministically), its cancel, rollback in one step,
 * the audit log, races, and bad input.
 */
let stack: LocalStack;
beforeAll(async () => {
  // Functions read the active configuration fresh on every turn here, so an activation shows at once.
  process.env.CONFIG_CACHE_MS = '0';
  // The schedule's timer off: the tests run it themselves, at the time they choose.
  stack = await startLocalStack({ port: 0, accounts: 0, activationEveryMs: 0 });
});
afterAll(async () => stack?.stop());

type Json = Record<string, any>;
const as = (user: string, roles: ('productOwner' | 'ops')[] = ['productOwner']) =>
  localClient(() => stack, '/v1', { roles, user }).http;
const lena = as('po.lena');
const sam = as('po.sam');
const kim = as('po.kim');
const ops = as('night-ops', ['ops']);
const who = (username: string) => ({ sub: localSub(username), username });

let n = 0;
/** A new version (the default with a marker), created by `author`. */
async function create(author = lena, tweak: (c: Json) => void = () => undefined): Promise<string> {
  const c = structuredClone(DEFAULT_CONFIG) as Json;
  c.version = `gov-${++n}-${Date.now().toString(36)}`;
  tweak(c);
  const r = await author('POST', '/admin/config/versions', c);
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return c.version;
}
const approve = async (version: string, by = sam) => {
  const r = await by('POST', `/admin/config/versions/${version}/approval`);
  expect(r.status, JSON.stringify(r.json)).toBe(200);
  return r;
};
const activate = (version: string, by = lena, body?: unknown) =>
  by('POST', `/admin/config/versions/${version}/activation`, body);

/** The active item, its pointer and its history, read from the table: they must always agree. */
async function stored() {
  const get = async (sk: string) =>
    (
      await stack.db.send(
        new GetCommand({
          TableName: stack.env.CATALOG_TABLE!,
          Key: { pk: 'DECISION_CONFIG', sk },
          ConsistentRead: true,
        }),
      )
    ).Item as Json;
  const [active, pointer] = await Promise.all([get('ACTIVE'), get('POINTER')]);
  return { active, pointer, history: (active.history as Json[]).map((h) => h.version) };
}
async function expectConsistent() {
  const s = await stored();
  expect(s.pointer.version).toBe(s.active.version);
  expect(s.active.config.version).toBe(s.active.version);
  expect(s.history.at(-1)).toBe(s.active.version);
  return s;
}
const audit = async (subject: string) =>
  (await lena('GET', `/admin/audit?subject=${encodeURIComponent(subject)}`)).json.entries as Json[];

/** Which configuration version a contact's decision used. */
async function decidedWith(): Promise<string> {
  const ava = stack.personas[0]!.persona;
  const desk = localClient(() => stack, '/v1', { roles: ['supervisor'] }).http;
  const c = await desk('POST', '/contacts', {
    channel: 'agent',
    callType: 'CLOSE_ACCOUNT',
    callerPhone: ava.phone,
  });
  await desk('POST', `/contacts/${c.json.contactId}/verification`, { last4: ava.last4, zip: ava.zip });
  await desk('GET', `/contacts/${c.json.contactId}/offers`);
  return (await desk('GET', `/contacts/${c.json.contactId}`)).json.configVersion;
}

/** Puts the seed back on top (each test starts from a known active version). */
async function reset() {
  const p = (await lena('GET', '/admin/config/versions')).json.pendingActivation;
  if (p) await lena('DELETE', `/admin/config/versions/${p.version}/activation`);
  if ((await lena('GET', '/admin/config')).json.version !== DEFAULT_CONFIG.version)
    expect((await activate(DEFAULT_CONFIG.version)).status).toBe(200);
}

describe('four-eyes approval', () => {
  it('the author cannot approve their own version: a 403 naming why, and it stays unapproved', async () => {
    const v = await create(lena);
    const r = await lena('POST', `/admin/config/versions/${v}/approval`);
    expect(r.status).toBe(403);
    expect(r.type).toBe('application/problem+json');
    expect(r.json).toMatchObject({ title: 'Not your own version', createdBy: who('po.lena') });
    expect(r.json.detail).toMatch(/Four eyes.*po\.lena.*another product owner/);
    expect((await lena('GET', `/admin/config/versions/${v}`)).json.approvedAt).toBeUndefined();
  });

  it('an unapproved version cannot be activated: a 409 saying to approve it, and nothing changes', async () => {
    await reset();
    const v = await create(lena);
    const before = await stored();
    const r = await activate(v, sam);
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ title: 'Version not approved' });
    expect(r.json.detail).toContain(`/v1/admin/config/versions/${v}/approval`);
    // The older route refuses it the same way.
    expect((await lena('POST', `/admin/config/versions/${v}/activate`)).status).toBe(409);
    expect(await stored()).toEqual(before);
  });

  it('approved by another, then activated: decisions use it; the list shows author, approver and approval time', async () => {
    await reset();
    const v = await create(lena);
    const ok = await approve(v, sam);
    expect(ok.json).toMatchObject({
      version: v,
      approvedBy: who('po.sam'),
      createdBy: who('po.lena'),
      approvedAt: expect.any(String),
    });
    // Once: a second approval is a 409 naming the first.
    const again = await kim('POST', `/admin/config/versions/${v}/approval`);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ title: 'Version already approved', approvedBy: who('po.sam') });
    // The author may activate it once someone else approved it.
    const act = await activate(v, lena);
    expect(act.status, JSON.stringify(act.json)).toBe(200);
    expect(act.json).toMatchObject({
      active: v,
      previousVersion: DEFAULT_CONFIG.version,
      activatedBy: who('po.lena'),
    });
    expect(await decidedWith()).toBe(v);
    const list = (await ops('GET', '/admin/config/versions')).json;
    expect(list.active).toBe(v);
    expect(list.versions.find((x: Json) => x.version === v)).toEqual({
      version: v,
      createdAt: expect.any(String),
      createdBy: who('po.lena'),
      approvedAt: ok.json.approvedAt,
      approvedBy: who('po.sam'),
    });
    // The seed counts as approved at seeding.
    expect(list.versions.find((x: Json) => x.version === DEFAULT_CONFIG.version)).toMatchObject({
      approvedAt: expect.any(String),
      approvedBy: { username: 'seed' },
    });
    expect(list.history.at(-2).version).toBe(DEFAULT_CONFIG.version);
    expect(list.history.at(-1)).toMatchObject({ version: v, how: 'MANUAL', activatedBy: who('po.lena') });
    const entries = await audit(v);
    expect(entries.map((e) => e.action)).toEqual(['config-create', 'config-approve', 'config-activate']);
    expect(entries[2]).toMatchObject({
      by: who('po.lena'),
      how: 'MANUAL',
      previousVersion: DEFAULT_CONFIG.version,
    });
    await reset();
  });

  it('an already active version is a 409, and changes nothing', async () => {
    await reset();
    const before = await stored();
    const r = await activate(DEFAULT_CONFIG.version);
    expect(r).toMatchObject({ status: 409, json: { title: 'Version already active' } });
    expect(await stored()).toEqual(before);
  });
});

describe('scheduled activation', () => {
  const inHours = (h: number) => new Date(Date.now() + h * 3600_000).toISOString();

  it('is recorded as pending, not carried out before its time, then carried out by the schedule: atomic, placed, audited', async () => {
    await reset();
    const v = await create(lena);
    await approve(v, sam);
    const at = inHours(2);
    const r = await activate(v, kim, { at });
    expect(r.status, JSON.stringify(r.json)).toBe(202);
    expect(r.json.pendingActivation).toMatchObject({ version: v, at, requestedBy: who('po.kim') });
    const list = (await lena('GET', '/admin/config/versions')).json;
    expect(list.pendingActivation).toMatchObject({ version: v, at });
    expect(list.versions.find((x: Json) => x.version === v).pendingActivation).toMatchObject({ at });
    // A person's activation of the same version now is refused while it waits for its time.
    expect((await activate(v, lena)).json).toMatchObject({ status: 409, title: 'An activation is pending' });
    // One pending at a time.
    const other = await create(lena);
    await approve(other, sam);
    expect((await activate(other, lena, { at: inHours(3) })).json).toMatchObject({
      status: 409,
      pendingActivation: { version: v },
    });

    // A minute before: nothing happens.
    const before = await stored();
    expect(await stack.activations.runDue(new Date(Date.parse(at) - 60_000).toISOString())).toEqual({
      kind: 'not-due',
    });
    expect(await stored()).toEqual(before);
    // Due: carried out once.
    const due = new Date(Date.parse(at) + 1_000).toISOString();
    expect(await stack.activations.runDue(due)).toEqual({
      kind: 'activated',
      version: v,
      placement: 'started',
    });
    expect(await stack.activations.runDue(due)).toEqual({ kind: 'none' });
    const s = await expectConsistent();
    expect(s.active).toMatchObject({ version: v, activatedAt: due, activatedBy: who('po.kim') });
    expect(s.active.history.at(-1)).toMatchObject({ version: v, how: 'SCHEDULED' });
    expect((await lena('GET', '/admin/config/versions')).json.pendingActivation).toBeNull();
    expect(await decidedWith()).toBe(v);
    const entries = await audit(v);
    expect(entries.map((e) => e.action)).toEqual([
      'config-create',
      'config-approve',
      'config-schedule',
      'config-activate',
    ]);
    expect(entries[3]).toMatchObject({
      how: 'SCHEDULED',
      scheduledFor: at,
      by: who('po.kim'),
      previousVersion: DEFAULT_CONFIG.version,
    });
    await reset();
  });

  it('a pending activation is cancelled: the schedule then does nothing; the cancel is audited', async () => {
    await reset();
    const v = await create(lena);
    await approve(v, sam);
    const at = inHours(1);
    expect((await activate(v, lena, { at })).status).toBe(202);
    const c = await sam('DELETE', `/admin/config/versions/${v}/activation`);
    expect(c.status, JSON.stringify(c.json)).toBe(200);
    expect(c.json).toMatchObject({ version: v, cancelled: { at }, cancelledBy: who('po.sam') });
    const before = await stored();
    expect(await stack.activations.runDue(inHours(2))).toEqual({ kind: 'none' });
    expect(await stored()).toEqual(before);
    expect((await sam('DELETE', `/admin/config/versions/${v}/activation`)).status).toBe(404);
    const cancel = (await audit(v)).find((e) => e.action === 'config-cancel');
    expect(cancel).toMatchObject({ by: who('po.sam'), scheduledFor: at });
  });

  it.each([
    ['in the past', () => ({ at: new Date(Date.now() - 60_000).toISOString() }), 'at', /future/],
    [
      'more than 90 days ahead',
      () => ({ at: new Date(Date.now() + 91 * 86_400_000).toISOString() }),
      'at',
      /90 days/,
    ],
    ['not a time', () => ({ at: 'tomorrow at six' }), 'at', /ISO 8601/],
    ['a time without a zone', () => ({ at: '2026-12-03T06:00:00' }), 'at', /ISO 8601/],
    ['an unknown field', () => ({ at: inHours(1), when: 'now' }), 'when', /unknown|Unrecognized/i],
    ['a number', () => ({ at: 1767420000 }), 'at', /.+/],
  ])(
    'an activation at a time %s is a 400 naming %s, and schedules nothing',
    async (_n, body, path, message) => {
      const v = await create(lena);
      await approve(v, sam);
      const r = await activate(v, lena, body());
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.errors).toContainEqual({ path, message: expect.stringMatching(message) });
      expect((await lena('GET', '/admin/config/versions')).json.pendingActivation).toBeNull();
    },
  );

  it('an unapproved version cannot be scheduled; an unknown one is a 404', async () => {
    const v = await create(lena);
    expect((await activate(v, lena, { at: inHours(1) })).json).toMatchObject({
      status: 409,
      title: 'Version not approved',
    });
    expect((await activate('no-such-version', lena, { at: inHours(1) })).status).toBe(404);
    expect((await lena('GET', '/admin/config/versions')).json.pendingActivation).toBeNull();
  });
});

describe('rollback in one step', () => {
  it('restores the previous version (decisions use it), goes one further back each time, then refuses', async () => {
    await reset();
    const a = await create(lena, (c) => {
      c.offers = c.offers.filter((o: Json) => o.offerId !== 'annual-fee-waiver');
    });
    const b = await create(sam);
    await approve(a, sam);
    await approve(b, lena);
    expect((await activate(a)).status).toBe(200);
    expect((await activate(b)).status).toBe(200);
    const start = (await stored()).history;
    expect(start.slice(-3)).toEqual([DEFAULT_CONFIG.version, a, b]);
    expect(await decidedWith()).toBe(b);

    // Ops may roll back (a lever for a bad night), in one step.
    const r = await ops('POST', '/admin/config/rollback');
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({
      active: a,
      previousVersion: b,
      activatedBy: who('night-ops'),
      placement: 'started',
    });
    expect((await expectConsistent()).history).toEqual(start.slice(0, -1));
    expect(await decidedWith()).toBe(a);
    const entry = (await audit(a)).find((e) => e.action === 'config-rollback');
    expect(entry).toMatchObject({ by: who('night-ops'), previousVersion: b, how: 'ROLLBACK' });

    // Again: one further back, to the seed…
    expect((await lena('POST', '/admin/config/rollback', {})).json).toMatchObject({
      active: DEFAULT_CONFIG.version,
      previousVersion: a,
    });
    expect(await decidedWith()).toBe(DEFAULT_CONFIG.version);
    // …one step each time down the history (at most HISTORY_LIMIT kept)…
    for (let h = (await stored()).history; h.length > 1; h = h.slice(0, -1)) {
      const back = await lena('POST', '/admin/config/rollback');
      expect(back.json).toMatchObject({ active: h.at(-2), previousVersion: h.at(-1) });
      expect((await expectConsistent()).history).toEqual(h.slice(0, -1));
    }
    // …and with nothing before the oldest: refused, nothing changed.
    const before = await stored();
    expect(before.history).toHaveLength(1);
    const none = await lena('POST', '/admin/config/rollback');
    expect(none).toMatchObject({ status: 409, json: { title: 'Nothing to roll back to' } });
    expect(await stored()).toEqual(before);
    await reset();
  });
});

describe('races leave the active version, its pointer and its history consistent', () => {
  it('two approvals at once: one wins, the other is a 409; the version records the winner', async () => {
    const v = await create(lena);
    const [x, y] = await Promise.all([
      sam('POST', `/admin/config/versions/${v}/approval`),
      kim('POST', `/admin/config/versions/${v}/approval`),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 409]);
    const winner = x.status === 200 ? 'po.sam' : 'po.kim';
    expect((await lena('GET', `/admin/config/versions/${v}`)).json.approvedBy).toEqual(who(winner));
    expect((await audit(v)).filter((e) => e.action === 'config-approve')).toHaveLength(1);
  });

  it('activations of four versions at once: the winners are on the history in order, the pointer agrees, the losers are 409s', async () => {
    await reset();
    const before = (await stored()).history;
    const vs = await Promise.all([1, 2, 3, 4].map(() => create(lena)));
    for (const v of vs) await approve(v, sam);
    const rs = await Promise.all(vs.map((v) => activate(v)));
    const won = vs.filter((_, i) => rs[i]!.status === 200);
    expect(won.length).toBeGreaterThanOrEqual(1);
    for (const r of rs)
      if (r.status !== 200)
        expect(r.json, JSON.stringify(r.json)).toMatchObject({ status: 409, title: 'Concurrent change' });
    const s = await expectConsistent();
    // The winners on top, in the order they won, over what was active before.
    expect(new Set(s.history.slice(-won.length))).toEqual(new Set(won));
    expect(s.history.at(-won.length - 1)).toBe(before.at(-1));
    // Each winner audited once, no loser at all.
    for (const v of vs)
      expect((await audit(v)).filter((e) => e.action === 'config-activate')).toHaveLength(
        won.includes(v) ? 1 : 0,
      );
    await reset();
  });

  it('rollbacks at once, and an activation racing a rollback: every success is one step, the pointer agrees', async () => {
    await reset();
    const vs = await Promise.all([1, 2, 3].map(() => create(lena)));
    for (const v of vs) await approve(v, sam);
    for (const v of vs) expect((await activate(v)).status).toBe(200);
    const before = (await stored()).history;
    const rs = await Promise.all([1, 2, 3].map(() => lena('POST', '/admin/config/rollback')));
    const k = rs.filter((r) => r.status === 200).length;
    expect(k).toBeGreaterThanOrEqual(1);
    for (const r of rs) if (r.status !== 200) expect(r.json.title).toBe('Concurrent change');
    const s = await expectConsistent();
    expect(s.history).toEqual(before.slice(0, before.length - k));

    // An activation and a rollback at once.
    const x = await create(lena);
    await approve(x, sam);
    const mid = (await stored()).history;
    const [act, back] = await Promise.all([activate(x), lena('POST', '/admin/config/rollback')]);
    expect(act.status === 200 || back.status === 200).toBe(true);
    const after = await expectConsistent();
    const push = (h: string[], v: string) => [...h, v].slice(-HISTORY_LIMIT);
    const expected =
      act.status === 200 && back.status === 200
        ? // Both won, one after the other: either order is one step each.
          [push(mid, x).slice(0, -1), push(mid.slice(0, -1), x)]
        : act.status === 200
          ? [push(mid, x)]
          : [mid.slice(0, -1)];
    expect(expected).toContainEqual(after.history);
    await reset();
  });
});

describe('bad input is a 4xx naming the field, never a 5xx', () => {
  it.each([
    ['POST', '/admin/config/versions/v1/approval', { note: 'lgtm' }, 'note', 400],
    ['POST', '/admin/config/rollback', { to: 'v1' }, 'to', 400],
    ['POST', '/admin/config/versions/a%20b/approval', undefined, 'version', 400],
    ['DELETE', '/admin/config/versions/a%20b/activation', undefined, 'version', 400],
    ['GET', '/admin/audit?month=2026-13', undefined, 'month', 400],
    ['GET', '/admin/audit?since=yesterday', undefined, 'since', 400],
  ])('%s %s %j → %s', async (method, path, body, field, status) => {
    const r = await lena(method, path, body);
    expect(r.status, JSON.stringify(r.json)).toBe(status);
    expect(r.json.errors.map((e: Json) => e.path)).toContain(field);
  });

  it('an unknown version is a 404 to approve, activate or cancel', async () => {
    expect((await sam('POST', '/admin/config/versions/no-such-version/approval')).status).toBe(404);
    expect((await sam('POST', '/admin/config/versions/no-such-version/activation')).status).toBe(404);
    expect((await sam('DELETE', '/admin/config/versions/no-such-version/activation')).status).toBe(404);
  });

  it('ops may read the audit log and roll back, but not approve, activate or cancel', async () => {
    expect((await ops('GET', '/admin/audit')).status).toBe(200);
    for (const [method, path] of [
      ['POST', `/admin/config/versions/${DEFAULT_CONFIG.version}/approval`],
      ['POST', `/admin/config/versions/${DEFAULT_CONFIG.version}/activation`],
      ['DELETE', `/admin/config/versions/${DEFAULT_CONFIG.version}/activation`],
    ] as const) {
      const r = await ops(method, path);
      expect(r.status, path).toBe(403);
      expect(r.json.requiredRoles).toEqual(['productOwner']);
    }
  });
});
