import { describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/admin-api';
import type { ConfigAdmin } from '../../shared/ports';
import { config, makeAccount } from '../fakes/accounts';
import { MemoryStores } from '../fakes/stores';

const context = {
  functionName: 'admin-api',
  awsRequestId: 'r-1',
  getRemainingTimeInMillis: () => 3000,
} as never;
const event = (
  httpMethod: string,
  resource: string,
  body: unknown = null,
  pathParameters: Record<string, string> | null = null,
) =>
  ({
    httpMethod,
    resource,
    path: resource,
    pathParameters,
    headers: { 'content-type': 'application/json' },
    body: body === null ? null : JSON.stringify(body),
  }) as never;

const noTags = { setTag: async () => 'unknown-account' as const };

function memoryConfigs(): ConfigAdmin & { versions: Map<string, unknown> } {
  const versions = new Map<string, any>([
    [config.version, { version: config.version, createdAt: 'then', config }],
  ]);
  let active = config.version;
  return {
    versions,
    active: async () => ({ version: active, activatedAt: 'then', config: versions.get(active).config }),
    list: async () => [...versions.values()].map(({ version, createdAt }) => ({ version, createdAt })),
    get: async (v) => versions.get(v),
    create: async (c, now) => {
      if (versions.has(c.version)) return 'exists';
      versions.set(c.version, { version: c.version, createdAt: now, config: c });
      return 'created';
    },
    activate: async (v) => {
      if (!versions.has(v)) return 'missing';
      active = v;
      return 'activated';
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
      clock: () => new Date('2026-11-23T12:00:00Z'),
    });
    const created = await h(
      event('POST', '/v1/admin/config/versions', { ...config, version: 'v9' }),
      context,
    );
    expect(created.statusCode).toBe(201);
    const act = await h(
      event('POST', '/v1/admin/config/versions/{version}/activate', null, { version: 'v9' }),
      context,
    );
    expect(JSON.parse(act.body)).toEqual({ active: 'v9', activatedAt: '2026-11-23T12:00:00.000Z' });
  });
  it('dry-runs a decision for an account', async () => {
    const stores = new MemoryStores([makeAccount()]);
    const h = makeHandler({ configs: memoryConfigs(), accounts: stores.accountStore, tagger: noTags });
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
    const h = makeHandler({ configs, accounts: new MemoryStores().accountStore, tagger: noTags });
    const r = await h(event('GET', '/v1/admin/config'), context);
    expect(r.statusCode).toBe(503);
    expect(r.body).not.toContain('index.mjs');
  });
  it('a wrong method is a 405', async () => {
    const h = makeHandler({
      configs: memoryConfigs(),
      accounts: new MemoryStores().accountStore,
      tagger: noTags,
    });
    expect((await h(event('DELETE', '/v1/admin/config'), context)).statusCode).toBe(405);
  });
});
