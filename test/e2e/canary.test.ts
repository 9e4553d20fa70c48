import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { CANARY_ACCOUNT_ID } from '../../shared/domain/canary';
import { localClient } from '../fakes/local-client';
import { captureLogs } from '../fakes/logs';

/**
 * The canary on the local stack: the real handler plays a whole call through the state machine
 * against its own account; its contact and offer-log events are marked synthetic, it adds to no
 * business metric, and it publishes its own (CanaryCalls, CanaryLatency), passed or failed.
 */
let stack: LocalStack;
let logs: ReturnType<typeof captureLogs> | undefined;
beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  logs = captureLogs();
  stack = await startLocalStack({ port: 0, accounts: 0 });
});
afterAll(async () => {
  logs?.restore();
  await stack?.stop();
});
type Json = Record<string, any>;
const { http, as } = localClient(() => stack, '/v1');
const emf = () =>
  (logs?.lines ?? []).filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l) as Json);
const metricNames = (lines: Json[]) =>
  lines.flatMap((l) =>
    (l._aws.CloudWatchMetrics as Json[]).flatMap((d) => (d.Metrics as Json[]).map((m) => m.Name)),
  );

describe('canary (local)', () => {
  it('is off by default: no timer calls it', async () => {
    await new Promise((ok) => setTimeout(ok, 200));
    const contacts =
      (await stack.db.send(new ScanCommand({ TableName: stack.env.CONTACTS_TABLE! }))).Items ?? [];
    expect(contacts.filter((c) => c.accountId === CANARY_ACCOUNT_ID)).toEqual([]);
  });

  it('plays start, verify, offers and an accept; marked synthetic; only its own metrics', async () => {
    const before = emf().length;
    const r = await stack.canary.run();
    expect(r, JSON.stringify(r)).toMatchObject({ passed: true, killSwitch: false });
    const contactId = (r as { contactId: string }).contactId;
    const contact = (
      await stack.db.send(new GetCommand({ TableName: stack.env.CONTACTS_TABLE!, Key: { contactId } }))
    ).Item!;
    expect(contact).toMatchObject({ synthetic: true, stage: 'RETAINED', outcome: 'SAVED', channel: 'voice' });
    expect(contact.history.map((h: Json) => h.stage)).toEqual(['VERIFY', 'OFFER', 'RETAINED']);
    const log = (
      await stack.db.send(
        new QueryCommand({
          TableName: stack.env.OFFER_LOG_TABLE!,
          KeyConditionExpression: 'contactId = :c',
          ExpressionAttributeValues: { ':c': contact.contactId },
        }),
      )
    ).Items!;
    expect(log.map((e) => e.event)).toEqual(expect.arrayContaining(['PRESENTED', 'ACCEPTED']));
    for (const e of log) expect(e.synthetic, e.event).toBe(true);
    const published = emf().slice(before);
    // (InitDuration: a container's first invocation, whoever makes it.)
    expect(new Set(metricNames(published).filter((n) => n !== 'InitDuration'))).toEqual(
      new Set(['CanaryCalls', 'CanaryLatency']),
    );
    expect(published.find((l) => 'CanaryCalls' in l)).toMatchObject({ result: 'passed', CanaryCalls: 1 });
    // A second run replaces the account afresh (new factors, no history): it passes again.
    expect(await stack.canary.run()).toMatchObject({ passed: true });
    // The KPI report (from the offer log's stream) counts neither call.
    await stack.streams.drain();
    const kpis = await as({ roles: ['ops'] }).http('GET', '/admin/reports/kpis');
    expect(kpis.status).toBe(200);
    expect(kpis.json.totals).toMatchObject({ contacts: 0, presentations: 0, accepts: 0 });
  });

  it('a real caller’s contact is never synthetic: the REST start has no such field (400 naming it)', async () => {
    const r = await http('POST', '/contacts', {
      channel: 'agent',
      callType: 'CLOSE_ACCOUNT',
      accountId: CANARY_ACCOUNT_ID,
      synthetic: true,
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json.errors)).toContain('synthetic');
    const ok = await http('POST', '/contacts', {
      channel: 'agent',
      callType: 'CLOSE_ACCOUNT',
      accountId: CANARY_ACCOUNT_ID,
    });
    expect(ok.status).toBe(201);
    const stored = await stack.db.send(
      new GetCommand({ TableName: stack.env.CONTACTS_TABLE!, Key: { contactId: ok.json.contactId } }),
    );
    expect(stored.Item?.accountId).toBe(CANARY_ACCOUNT_ID);
    expect(stored.Item?.synthetic).toBeUndefined();
  });

  it('fails, with the step and a failed metric, when the pipeline does', async () => {
    stack.faults.fail('ProvisionedThroughputExceededException', { ops: ['TransactWriteItems'] });
    const before = emf().length;
    let r: Awaited<ReturnType<typeof stack.canary.run>>;
    try {
      r = await stack.canary.run();
    } finally {
      stack.faults.reset();
    }
    expect(r).toMatchObject({ passed: false, step: 'start' });
    expect((r as { why: string }).why).toMatch(/fallback at SaveTurn/);
    expect(
      emf()
        .slice(before)
        .find((l) => 'CanaryCalls' in l),
    ).toMatchObject({ result: 'failed' });
  });

  it('with the kill switch on, a start routed by it is the right answer: it passes', async () => {
    const ops = as({ roles: ['ops'] });
    process.env.CONFIG_CACHE_MS = '0';
    expect((await ops.http('POST', '/admin/kill-switch', { on: true, reason: 'canary test' })).status).toBe(
      200,
    );
    try {
      expect(await stack.canary.run()).toMatchObject({ passed: true, killSwitch: true });
    } finally {
      await ops.http('POST', '/admin/kill-switch', { on: false, reason: 'canary test over' });
    }
  });
});
