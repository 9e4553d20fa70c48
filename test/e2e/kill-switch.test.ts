import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { DynamoAuditLog } from '../../shared/adapters/dynamo';
import { FACTORS, premiumAccount, TEST_PEPPER } from '../fakes/accounts';
import { localClient } from '../fakes/local-client';

/**
 * The kill switch over HTTP on the local stack, with the caches as deployed (the configuration 30 s,
 * its pointer 3 s): turned on by ops with a reason, the next contacts get no offer and a person's
 * queue within the promised 3 s, offers already on the table are still answered, the audit log says
 * who and why, and turning it off brings the offers back as fast.
 */
let stack: LocalStack;
let dir: string;
beforeAll(async () => {
  delete process.env.CONFIG_CACHE_MS;
  delete process.env.CONFIG_POINTER_CACHE_MS;
  dir = mkdtempSync(join(tmpdir(), 'rd-ks-'));
  writeFileSync(join(dir, 'pepper'), `${TEST_PEPPER}\n`, { mode: 0o600 });
  stack = await startLocalStack({ port: 0, accounts: 0, pepperFile: join(dir, 'pepper') });
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, any>;
const { http, as } = localClient(() => stack, '/v1');
const ops = as({ roles: ['ops'], user: 'night-ops' });
const PROMISED_MS = 3_000;

let n = 0;
/** A fresh premium customer (no offer history) calling to close, verified on the agent desk. */
async function verifiedCall() {
  const i = ++n;
  const phone = `+1555555028${String(i).padStart(2, '0')}`;
  await stack.db.send(
    new PutCommand({
      TableName: stack.env.ACCOUNTS_TABLE!,
      Item: premiumAccount({ accountId: `E2E-KS-${i}`, phone }),
    }),
  );
  const c = await http('POST', '/contacts', {
    channel: 'agent',
    callType: 'CLOSE_ACCOUNT',
    callerPhone: phone,
  });
  expect(c.status, JSON.stringify(c.json)).toBe(201);
  if (c.json.stage !== 'VERIFY') return c.json as Json;
  const v = await http('POST', `/contacts/${c.json.contactId}/verification`, FACTORS);
  expect(v.status).toBe(200);
  return { ...(c.json as Json), stage: v.json.stage, route: v.json.route };
}
/** Starts calls until one is kill-switched (or not), and says how long that took. */
async function until(killSwitched: boolean): Promise<{ ms: number; call: Json }> {
  const t0 = Date.now();
  for (;;) {
    const call = await verifiedCall();
    if ((call.route.ruleId === 'KILL_SWITCH') === killSwitched) return { ms: Date.now() - t0, call };
    if (Date.now() - t0 > 3 * PROMISED_MS)
      throw new Error(`not ${killSwitched ? 'on' : 'off'} after ${Date.now() - t0} ms`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

describe('kill switch', () => {
  it('refuses a switch without a reason (400 naming it) and from a desk agent (403); changes nothing', async () => {
    const noReason = await ops.http('POST', '/admin/kill-switch', { on: true });
    expect(noReason.status).toBe(400);
    expect(noReason.json.errors.map((e: Json) => e.path)).toContain('reason');
    const agent = await as({ roles: ['supervisor'] }).http('POST', '/admin/kill-switch', {
      on: true,
      reason: 'x y z',
    });
    expect(agent.status).toBe(403);
    expect((await ops.http('GET', '/admin/kill-switch')).json).toMatchObject({ on: false });
  });

  it('on: the next contacts get no offer and a retention person within 3 s; offers on the table are still answered; audited', async () => {
    // A warm container: the configuration is cached, and a contact has offers on the table.
    const before = await verifiedCall();
    const table = await http('GET', `/contacts/${before.contactId}/offers`);
    const onTable: string[] = table.json.offers.map((o: Json) => o.offerId);
    expect(onTable.length).toBeGreaterThan(1);

    const reason = 'e2e: offer pricing incident';
    const r = await ops.http('POST', '/admin/kill-switch', { on: true, reason });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ on: true, changed: true, effectiveWithinSeconds: 3 });
    const version = r.json.version as string;
    // Retried: the same state, no second version.
    expect((await ops.http('POST', '/admin/kill-switch', { on: true, reason })).json).toMatchObject({
      changed: false,
      version,
    });

    const { ms, call } = await until(true);
    if (process.env.RD_SHOW_TIMES) console.log(`kill switch on seen after ${ms} ms`);
    expect(ms).toBeLessThanOrEqual(PROMISED_MS + 500);
    expect(call.stage).toBe('ROUTED');
    expect(call.route.queue).toMatch(/^(RETENTION_SPECIALIST|VIP_RETENTION)$/);
    expect(call.route.reasons[0]).toContain(reason);
    const none = await http('GET', `/contacts/${call.contactId}/offers`);
    expect(none.json.offers).toEqual([]);

    // The offers told before the switch: each decline is recorded; after the last, a person, nothing new.
    for (const offerId of onTable) {
      const a = await http('POST', `/contacts/${before.contactId}/responses`, {
        offerId,
        response: 'DECLINED',
      });
      expect(a.status, JSON.stringify(a.json)).toBe(200);
    }
    const after = (await http('GET', `/contacts/${before.contactId}`)).json;
    expect(after.stage).toBe('ROUTED');
    expect(after.route.ruleId).toBe('KILL_SWITCH');
    expect(after.answers.map((a: Json) => a.offerId)).toEqual(onTable);

    const audit = await new DynamoAuditLog(stack.db, stack.env.CATALOG_TABLE!).month(
      new Date().toISOString().slice(0, 7),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({
        action: 'kill-switch-on',
        subject: version,
        reason,
        by: expect.objectContaining({ username: 'night-ops' }),
      }),
    );
    expect((await ops.http('GET', '/admin/kill-switch')).json).toMatchObject({
      on: true,
      version,
      killSwitch: { reason, by: { username: 'night-ops' } },
    });
  });

  it('off: offers are back within 3 s, on a new version, audited', async () => {
    const reason = 'e2e: incident over';
    const r = await ops.http('POST', '/admin/kill-switch', { on: false, reason });
    expect(r.json).toMatchObject({ on: false, changed: true });
    const { ms, call } = await until(false);
    expect(ms).toBeLessThanOrEqual(PROMISED_MS + 500);
    expect(call.stage).toBe('OFFER');
    expect((await http('GET', `/contacts/${call.contactId}/offers`)).json.offers.length).toBeGreaterThan(0);
    const audit = await new DynamoAuditLog(stack.db, stack.env.CATALOG_TABLE!).month(
      new Date().toISOString().slice(0, 7),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'kill-switch-off', subject: r.json.version, reason }),
    );
    expect((await http('GET', '/admin/config')).json.config.killSwitch).toBeUndefined();
  });
});
