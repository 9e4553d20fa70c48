import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSub } from '../../infra/local/authorizer';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { DynamoAuditLog } from '../../shared/adapters/dynamo';
import { localClient } from '../fakes/local-client';

/** The admin API over HTTP against the local stack: versions, activation, dry-runs, bad input. */
let stack: LocalStack;
beforeAll(async () => {
  // Functions read the active configuration fresh on every turn here, so an activation shows at once.
  process.env.CONFIG_CACHE_MS = '0';
  stack = await startLocalStack({ port: 0, accounts: 0 });
});
afterAll(async () => stack?.stop());

type Json = Record<string, any>;
const { http } = localClient(() => stack);
/** Four eyes: a second product owner approves what the tests' default one creates. */
const approver = localClient(() => stack, '/v1', { roles: ['productOwner'], user: 'po.approver' });
const approve = async (version: string) =>
  expect((await approver.http('POST', `/admin/config/versions/${version}/approval`)).status).toBe(200);
const versions = async () =>
  (
    await stack.db.send(
      new QueryCommand({
        TableName: stack.env.CATALOG_TABLE!,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': 'DECISION_CONFIG' },
      }),
    )
  ).Items ?? [];

describe('admin API: configuration versions', () => {
  it('shows the active configuration and its versions', async () => {
    const a = await http('GET', '/admin/config');
    expect(a).toMatchObject({ status: 200, json: { version: DEFAULT_CONFIG.version } });
    expect(a.json.config.offers.length).toBe(DEFAULT_CONFIG.offers.length);
    const list = await http('GET', '/admin/config/versions');
    expect(list.json).toMatchObject({
      active: DEFAULT_CONFIG.version,
      versions: [{ version: DEFAULT_CONFIG.version }],
    });
  });

  it.each([
    [
      'an unknown fact',
      (c: Json) => {
        c.offers[0].conditions = [{ fact: 'shoeSize', op: 'gt', value: 1 }];
      },
      'offers.0.conditions.0.fact',
    ],
    [
      'a duplicate offer id',
      (c: Json) => {
        c.offers[1].offerId = c.offers[0].offerId;
      },
      'offers.1.offerId',
    ],
    [
      'a budget without a cap',
      (c: Json) => {
        c.offers[0].budget = { period: 'DAY' };
      },
      'offers.0.budget',
    ],
    [
      'a bad CEL segment expression',
      (c: Json) => {
        c.customerSegments.rules[0] = { segment: 'X', description: 'x', expression: 'annualSpend >= ' };
      },
      'customerSegments.rules.0.expression',
    ],
    [
      'an unknown field',
      (c: Json) => {
        c.colour = 'red';
      },
      'colour',
    ],
    [
      'a wrong type',
      (c: Json) => {
        c.limits.offersPerTurn = 'three';
      },
      'limits.offersPerTurn',
    ],
  ])(
    'rejects %s with the failing path, on validate and on create, and stores nothing',
    async (_n, mutate, path) => {
      const before = await versions();
      const c = structuredClone(DEFAULT_CONFIG) as Json;
      c.version = 'bad-1';
      mutate(c);
      for (const route of ['/admin/config/validate', '/admin/config/versions']) {
        const r = await http('POST', route, c);
        expect(r.status).toBe(400);
        expect(r.type).toBe('application/problem+json');
        expect(r.json.errors.map((e: Json) => e.path)).toContain(path);
      }
      expect(await versions()).toEqual(before);
    },
  );

  it('creates a version once, refuses to overwrite it, and activates it atomically; decisions then use it', async () => {
    const v2 = {
      ...structuredClone(DEFAULT_CONFIG),
      version: 'v2-no-waiver',
      offers: DEFAULT_CONFIG.offers.filter((o) => o.offerId !== 'annual-fee-waiver'),
    };
    expect((await http('POST', '/admin/config/validate', v2)).json).toMatchObject({
      valid: true,
      version: 'v2-no-waiver',
    });
    expect((await http('POST', '/admin/config/versions', v2)).status).toBe(201);
    const again = await http('POST', '/admin/config/versions', { ...v2, offers: DEFAULT_CONFIG.offers });
    expect(again.status).toBe(409);
    expect((await http('GET', '/admin/config/versions/v2-no-waiver')).json.config.offers).toHaveLength(
      v2.offers.length,
    );
    // Not active yet: Ava is still offered the waiver.
    const ava = stack.personas[0]!.persona;
    const offersFor = async () => {
      const c = await http('POST', '/contacts', {
        channel: 'agent',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: ava.phone,
      });
      await http('POST', `/contacts/${c.json.contactId}/verification`, { last4: ava.last4, zip: ava.zip });
      const o = await http('GET', `/contacts/${c.json.contactId}/offers`);
      const contact = await http('GET', `/contacts/${c.json.contactId}`);
      return { ids: o.json.offers.map((x: Json) => x.offerId), version: contact.json.configVersion };
    };
    expect((await offersFor()).ids).toContain('annual-fee-waiver');
    await approve('v2-no-waiver');
    expect((await http('POST', '/admin/config/versions/v2-no-waiver/activate')).json).toMatchObject({
      active: 'v2-no-waiver',
    });
    expect((await http('GET', '/admin/config')).json.version).toBe('v2-no-waiver');
    const after = await offersFor();
    expect(after.ids).not.toContain('annual-fee-waiver');
    expect(after.version).toBe('v2-no-waiver');
    // Back to the first version.
    expect((await http('POST', `/admin/config/versions/${DEFAULT_CONFIG.version}/activate`)).status).toBe(
      200,
    );
  });

  it('an unknown version is a 404; a malformed one a 400 naming it', async () => {
    expect((await http('POST', '/admin/config/versions/nope/activate')).status).toBe(404);
    expect((await http('GET', '/admin/config/versions/nope')).status).toBe(404);
    const bad = await http('GET', '/admin/config/versions/a%20b');
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].path).toBe('version');
  });
});

describe('admin API: dry-run ("why this offer")', () => {
  it('explains every offer for a persona: shown with economics, or the filter it failed', async () => {
    const r = await http('POST', '/admin/decisions/dry-run', {
      accountId: 'PER-0001',
      callType: 'CLOSE_ACCOUNT',
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      configVersion: DEFAULT_CONFIG.version,
      segment: { customer: 'PREMIUM_TRANSACTOR', card: 'PREMIUM' },
    });
    expect(r.json.value.lifetimeValue).toBeGreaterThan(0);
    expect(r.json.value.parts).toMatchObject({
      revenue: { interchange: expect.any(Number), interest: expect.any(Number), fees: expect.any(Number) },
      expectedLoss: { lossGivenDefault: 0.85 },
      lifetime: { horizonYears: 3, retentionRate: expect.any(Number) },
    });
    const retention = r.json.offers.retention as Json[];
    expect(retention).toHaveLength(DEFAULT_CONFIG.offers.filter((o) => o.kind === 'RETENTION').length);
    expect(retention.find((o) => o.offerId === 'annual-fee-waiver')).toMatchObject({
      shown: true,
      economics: { cost: 550 },
    });
    expect(retention.find((o) => o.offerId === 'apr-cut-6m')).toMatchObject({
      shown: false,
      reason: expect.stringContaining('not eligible'),
    });
    expect(JSON.stringify(r.json)).not.toContain(stack.personas[0]!.persona.phone);
  });
  it('a fraud report explains that no sales offer is made', async () => {
    const r = await http('POST', '/admin/decisions/dry-run', {
      accountId: 'PER-0001',
      callType: 'FRAUD_REPORT',
    });
    expect(r.json.offers.retention.every((o: Json) => !o.shown && /no sales offer/.test(o.reason))).toBe(
      true,
    );
    expect(r.json.routeIfVerified.queue).toBe('FRAUD');
  });
  it.each([
    [{ accountId: 'NO-SUCH-1', callType: 'CLOSE_ACCOUNT' }, 404, undefined],
    [{ accountId: 'PER-0001', callType: 'CLOSE' }, 400, 'callType'],
    [{ accountId: 'PER-0001', callType: 'CLOSE_ACCOUNT', extra: 1 }, 400, 'extra'],
    ['{not json', 400, '(body)'],
  ])('%j → %i', async (body, status, path) => {
    const r = await http('POST', '/admin/decisions/dry-run', body);
    expect(r.status).toBe(status);
    expect(r.type).toBe('application/problem+json');
    if (path) expect(r.json.errors.map((e: Json) => e.path)).toContain(path);
  });
});

describe('admin API: segment tags from other systems', () => {
  it('tags accounts idempotently, reports unknown ones, and a CEL segment on the tag takes effect once activated', async () => {
    const body = { tag: 'WINBACK_Q4', accountIds: ['PER-0009', 'PER-0010', 'NOPE-000001'] };
    const first = await http('POST', '/admin/tags', body);
    expect(first.json).toEqual({
      tag: 'WINBACK_Q4',
      tagged: 2,
      unknownAccounts: ['NOPE-000001'],
      changedBy: { sub: expect.any(String), username: 'test-productOwner' },
    });
    expect((await http('POST', '/admin/tags', body)).json).toEqual(first.json);
    const account = await stack.db.send(
      new GetCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Key: { accountId: 'PER-0009' } }),
    );
    expect([...((account.Item?.tags as Set<string> | undefined) ?? [])]).toEqual(['WINBACK_Q4']);

    const tagged = structuredClone(DEFAULT_CONFIG) as Json;
    tagged.version = 'v3-winback';
    tagged.customerSegments.rules.unshift({
      segment: 'WINBACK',
      description: 'on the Q4 win-back list',
      expression: '"WINBACK_Q4" in tags',
    });
    expect((await http('POST', '/admin/config/versions', tagged)).status).toBe(201);
    await approve('v3-winback');
    expect((await http('POST', '/admin/config/versions/v3-winback/activate')).status).toBe(200);
    const dry = await http('POST', '/admin/decisions/dry-run', {
      accountId: 'PER-0009',
      callType: 'CLOSE_ACCOUNT',
    });
    expect(dry.json.segment.customer).toBe('WINBACK');
    const other = await http('POST', '/admin/decisions/dry-run', {
      accountId: 'PER-0008',
      callType: 'CLOSE_ACCOUNT',
    });
    expect(other.json.segment.customer).not.toBe('WINBACK');

    const removed = await http('POST', '/admin/tags', { ...body, remove: true });
    expect(removed.json).toMatchObject({ untagged: 2 });
    const after = await http('POST', '/admin/decisions/dry-run', {
      accountId: 'PER-0009',
      callType: 'CLOSE_ACCOUNT',
    });
    expect(after.json.segment.customer).not.toBe('WINBACK');
    expect((await http('POST', `/admin/config/versions/${DEFAULT_CONFIG.version}/activate`)).status).toBe(
      200,
    );
  });

  it.each([
    [{ tag: 'lower', accountIds: ['PER-0001'] }, 'tag'],
    [{ tag: 'OK_TAG', accountIds: [] }, 'accountIds'],
    [{ tag: 'OK_TAG', accountIds: ['bad id!'] }, 'accountIds.0'],
  ])('%j is a 400 naming %s', async (body, path) => {
    const r = await http('POST', '/admin/tags', body);
    expect(r.status).toBe(400);
    expect(r.json.errors.map((e: Json) => e.path)).toContain(path);
  });
});

describe('admin API: who changed what', () => {
  const lena = localClient(() => stack, '/v1', { roles: ['productOwner'], user: 'po.lena' });
  const by = () => ({ sub: localSub('po.lena'), username: 'po.lena' });

  it('a version records who created it, and the active configuration who activated it', async () => {
    const created = await lena.http('POST', '/admin/config/versions', {
      ...DEFAULT_CONFIG,
      version: 'who-1',
    });
    expect(created).toMatchObject({ status: 201, json: { version: 'who-1', createdBy: by() } });
    expect((await lena.http('GET', '/admin/config/versions/who-1')).json).toMatchObject({ createdBy: by() });
    const list = await lena.http('GET', '/admin/config/versions');
    expect(list.json.versions.find((v: Json) => v.version === 'who-1')).toMatchObject({ createdBy: by() });
    const other = localClient(() => stack, '/v1', { roles: ['productOwner'], user: 'po.sam' });
    expect((await other.http('POST', '/admin/config/versions/who-1/approval')).json).toMatchObject({
      approvedBy: { username: 'po.sam' },
      createdBy: by(),
    });
    const act = await other.http('POST', '/admin/config/versions/who-1/activate');
    expect(act.json).toMatchObject({ active: 'who-1', activatedBy: { username: 'po.sam' } });
    expect((await lena.http('GET', '/admin/config')).json).toMatchObject({
      version: 'who-1',
      activatedBy: { sub: localSub('po.sam'), username: 'po.sam' },
    });
    // Put the seed back for the other tests of the file.
    await lena.http('POST', `/admin/config/versions/${DEFAULT_CONFIG.version}/activate`);
  });

  it('a tag change is in the audit log: who, when, which tag, which accounts', async () => {
    const r = await lena.http('POST', '/admin/tags', {
      tag: 'AUDITED_TAG',
      accountIds: ['PER-0011'],
      remove: false,
    });
    expect(r.status).toBe(200);
    const log = await new DynamoAuditLog(stack.db, stack.env.CATALOG_TABLE!).month(
      new Date().toISOString().slice(0, 7),
    );
    expect(log.filter((e) => e.subject === 'AUDITED_TAG')).toEqual([
      { at: expect.any(String), by: by(), action: 'tag', subject: 'AUDITED_TAG', accountIds: ['PER-0011'] },
    ]);
  });

  it('an agent may not create a version (403 naming productOwner), and nothing is stored', async () => {
    const agent = localClient(() => stack, '/v1', { roles: ['agent', 'supervisor'] });
    const r = await agent.http('POST', '/admin/config/versions', { ...DEFAULT_CONFIG, version: 'who-agent' });
    expect(r).toMatchObject({
      status: 403,
      type: 'application/problem+json',
      json: { requiredRoles: ['productOwner'] },
    });
    expect((await versions()).map((v) => v.version)).not.toContain('who-agent');
  });
});
