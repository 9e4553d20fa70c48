import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/admin-api';
import type { AuditEntry, ConfigAdmin } from '../../shared/ports';
import type { PendingActivation } from '../../shared/schemas/governance';
import { config, makeAccount } from '../fakes/accounts';
import { MemoryStores } from '../fakes/stores';

const context = {
  functionName: 'admin-api',
  awsRequestId: 'r-1',
  getRemainingTimeInMillis: () => 3000,
} as never;
/** The authorizer's claims of a product owner, as API Gateway REST passes them (strings). */
const OWNER = {
  sub: '0b7e4c1d-2f3a-4b5c-8d9e-0f1a2b3c4d5e',
  'cognito:username': 'po.lena',
  'cognito:groups': 'productOwner',
};
const event = (
  httpMethod: string,
  resource: string,
  body: unknown = null,
  pathParameters: Record<string, string> | null = null,
  claims: Record<string, string> | null = OWNER,
) =>
  ({
    httpMethod,
    resource,
    path: resource,
    pathParameters,
    headers: { 'content-type': 'application/json' },
    body: body === null ? null : JSON.stringify(body),
    requestContext: claims ? { authorizer: { claims } } : {},
  }) as never;

const noTags = { setTag: async () => 'unknown-account' as const };
const audit = () => {
  const entries: AuditEntry[] = [];
  return { entries, record: async (e: AuditEntry) => void entries.push(e) };
};

/** The config store in memory: the same outcomes as the DynamoDB one (approval, revision, pending). */
function memoryConfigs(): ConfigAdmin & { versions: Map<string, any> } {
  const versions = new Map<string, any>([
    [config.version, { version: config.version, createdAt: 'then', approvedAt: 'then', config }],
  ]);
  let active: any = {
    version: config.version,
    activatedAt: 'then',
    history: [{ version: config.version, activatedAt: 'then', how: 'SEED' }],
    revision: 0,
  };
  let pending: PendingActivation | undefined;
  return {
    versions,
    active: async () => ({ ...active, config: versions.get(active.version).config }),
    list: async () => [...versions.values()].map(({ config: _c, ...v }) => v),
    get: async (v) => versions.get(v),
    create: async (c, now, by) => {
      if (versions.has(c.version)) return 'exists';
      versions.set(c.version, { version: c.version, createdAt: now, createdBy: by, config: c });
      return 'created';
    },
    approve: async (v, now, by) => {
      const stored = versions.get(v);
      if (!stored || stored.approvedAt || stored.createdBy?.sub === by.sub) return 'conflict';
      Object.assign(stored, { approvedAt: now, approvedBy: by });
      return 'approved';
    },
    activate: async (c) => {
      const stored = versions.get(c.version);
      if (!stored) return 'missing';
      if (c.requireApproval && !stored.approvedAt) return 'unapproved';
      if (c.expectedRevision !== active.revision) return 'conflict';
      if (c.pendingId !== undefined && pending?.id !== c.pendingId) return 'not-pending';
      if (c.pendingId !== undefined) pending = undefined;
      active = {
        version: c.version,
        activatedAt: c.now,
        activatedBy: c.by,
        history: c.history,
        revision: active.revision + 1,
      };
      stored.activatedBy = c.by;
      return 'activated';
    },
    pending: async () => pending,
    schedule: async (p) => {
      if (pending) return 'exists';
      pending = p;
      return 'scheduled';
    },
    cancel: async (id) => {
      if (pending?.id !== id) return 'none';
      pending = undefined;
      return 'cancelled';
    },
  };
}

describe('admin-api handler (in-memory ports)', () => {
  it('creates and activates a version', async () => {
    const configs = memoryConfigs();
    const h = makeHandler({
      configs,
      accounts: new MemoryStores().accountStore,
      tagger: noTags,
      audit: audit(),
      clock: () => new Date('2026-11-23T12:00:00Z'),
    });
    const created = await h(
      event('POST', '/v1/admin/config/versions', { ...config, version: 'v9' }),
      context,
    );
    expect(created.statusCode).toBe(201);
    // Four eyes: another product owner approves it first.
    const approval = await h(
      event(
        'POST',
        '/v1/admin/config/versions/{version}/approval',
        null,
        { version: 'v9' },
        {
          ...OWNER,
          sub: 'another-sub',
          'cognito:username': 'po.sam',
        },
      ),
      context,
    );
    expect(approval.statusCode).toBe(200);
    const act = await h(
      event('POST', '/v1/admin/config/versions/{version}/activate', null, { version: 'v9' }),
      context,
    );
    const by = { sub: OWNER.sub, username: 'po.lena' };
    expect(JSON.parse(act.body)).toEqual({
      active: 'v9',
      previousVersion: config.version,
      activatedAt: '2026-11-23T12:00:00.000Z',
      activatedBy: by,
      // No portfolio placement is configured in these in-memory ports.
      placement: 'not started',
    });
    // Who created and who activated the version is stored with it.
    expect(configs.versions.get('v9')).toMatchObject({ createdBy: by, activatedBy: by });
    expect(JSON.parse(created.body)).toMatchObject({ createdBy: by });
  });
  it('dry-runs a decision for an account', async () => {
    const stores = new MemoryStores([makeAccount()]);
    const h = makeHandler({
      configs: memoryConfigs(),
      accounts: stores.accountStore,
      tagger: noTags,
      audit: audit(),
    });
    const r = await h(
      event('POST', '/v1/admin/decisions/dry-run', { accountId: 'ACC-TEST01', callType: 'FEE_COMPLAINT' }),
      context,
    );
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body).offers.retention.length).toBeGreaterThan(0);
  });
  it('a fault is a 503 problem without internals', async () => {
    const configs = {
      ...memoryConfigs(),
      active: async () => {
        throw new Error('ECONNRESET at /var/task/index.mjs:1');
      },
    };
    const h = makeHandler({
      configs,
      accounts: new MemoryStores().accountStore,
      tagger: noTags,
      audit: audit(),
    });
    const r = await h(event('GET', '/v1/admin/config'), context);
    expect(r.statusCode).toBe(503);
    expect(r.body).not.toContain('index.mjs');
  });
  it('a wrong method is a 405', async () => {
    const h = makeHandler({
      configs: memoryConfigs(),
      accounts: new MemoryStores().accountStore,
      tagger: noTags,
      audit: audit(),
    });
    expect((await h(event('DELETE', '/v1/admin/config'), context)).statusCode).toBe(405);
  });

  const handler = (log = audit(), configs = memoryConfigs()) =>
    makeHandler({
      configs,
      accounts: new MemoryStores([makeAccount()]).accountStore,
      tagger: { setTag: async (id) => (id === 'ACC-TEST01' ? 'done' : 'unknown-account') },
      audit: log,
      clock: () => new Date('2026-11-23T12:00:00Z'),
    });
  const as = (groups: string) => ({ ...OWNER, 'cognito:groups': groups });

  it('a request without claims is a 401 problem, and nothing is stored', async () => {
    const configs = memoryConfigs();
    const r = await handler(audit(), configs)(
      event('POST', '/v1/admin/config/versions', { ...config, version: 'v9' }, null, null),
      context,
    );
    expect(r.statusCode).toBe(401);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(configs.versions.has('v9')).toBe(false);
  });

  it.each([
    ['POST', '/v1/admin/config/versions', 'agent', ['productOwner']],
    ['POST', '/v1/admin/config/versions', 'supervisor,ops', ['productOwner']],
    ['POST', '/v1/admin/config/versions/{version}/activate', 'ops', ['productOwner']],
    ['POST', '/v1/admin/config/versions/{version}/approval', 'ops', ['productOwner']],
    ['DELETE', '/v1/admin/config/versions/{version}/activation', 'ops', ['productOwner']],
    ['POST', '/v1/admin/config/rollback', 'agent', ['productOwner', 'ops']],
    ['GET', '/v1/admin/audit', 'supervisor', ['productOwner', 'ops']],
    ['POST', '/v1/admin/tags', 'ops', ['productOwner']],
    ['POST', '/v1/admin/decisions/dry-run', 'supervisor', ['productOwner']],
    ['GET', '/v1/admin/config', 'agent', ['productOwner', 'ops']],
    ['POST', '/v1/admin/accounts/import', 'productOwner', ['ops']],
    ['POST', '/v1/admin/accounts/events', 'supervisor', ['ops']],
  ])('%s %s as %s is a 403 naming %j', async (method, resource, groups, allowed) => {
    const configs = memoryConfigs();
    const r = await handler(audit(), configs)(
      event(method, resource, { ...config, version: 'v9' }, { version: config.version }, as(groups)),
      context,
    );
    expect(r.statusCode).toBe(403);
    expect(JSON.parse(r.body)).toMatchObject({ status: 403, requiredRoles: allowed });
    expect(configs.versions.has('v9')).toBe(false);
  });

  it('ops may read the active configuration', async () => {
    const r = await handler()(event('GET', '/v1/admin/config', null, null, as('ops')), context);
    expect(r.statusCode).toBe(200);
  });

  it('a tag change records who made it: one audit entry with the tag and the accounts changed', async () => {
    const log = audit();
    const r = await handler(log)(
      event('POST', '/v1/admin/tags', { tag: 'WINBACK_Q4', accountIds: ['ACC-TEST01', 'ACC-NOPE01'] }),
      context,
    );
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ tagged: 1, changedBy: { username: 'po.lena' } });
    expect(log.entries).toEqual([
      {
        at: '2026-11-23T12:00:00.000Z',
        by: { sub: OWNER.sub, username: 'po.lena' },
        action: 'tag',
        subject: 'WINBACK_Q4',
        accountIds: ['ACC-TEST01'],
      },
    ]);
  });
});
