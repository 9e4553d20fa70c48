import { readFileSync } from 'node:fs';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../infra/local/stack';
import type { Account } from '../../shared/schemas/account';
import { FACTORS } from '../fakes/accounts';
import { BUSY_SCORE, QUIET_SCORE, quietCardModel } from '../fakes/churn-model';
import { localClient } from '../fakes/local-client';
import { putPremiumAccount, startTestStack } from '../fakes/stack';

/**
 * The churn model on the live path, end to end on the local stack: a configuration version that holds
 * a model is validated and activated like any other; its backfill scores every account (stored with
 * the model's version); imports and events score the account they change; a score crossing the
 * warning threshold raises one early-warning event on the bus; strategies read the score; and the
 * same call is decided differently once the model is active, the model recorded on the decision.
 */
let stack: LocalStack;
type Json = Record<string, any>;
const { http } = localClient(() => stack, '');
const ops = localClient(() => stack, '', { roles: ['ops'] }).http;
const approver = localClient(() => stack, '', { roles: ['productOwner'], user: 'po.approver' }).http;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const quiet = Array(12).fill(5); // 60 transactions a year
const busy = Array(12).fill(30); // 360
const put = (id: string, over: Partial<Account> = {}) =>
  putPremiumAccount(stack, id, '+1555558', { ...over });
const account = async (id: string) =>
  (await stack.db.send(new GetCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Key: { accountId: id } })))
    .Item as Json;
const warnings = (id: string) =>
  stack.outbound.bus.delivered.filter(
    (e) => e['detail-type'] === 'Churn Risk Raised' && e.detail.accountId === id,
  );

/** A verified agent-desk call closing the card, and its first offers. */
async function closingCall(id: string) {
  const c = await http('POST', '/v1/contacts', {
    channel: 'agent',
    callType: 'CLOSE_ACCOUNT',
    callerPhone: `+1555558${id.slice(-4)}`,
  });
  expect(c.status, JSON.stringify(c.json)).toBe(201);
  const v = await http('POST', `/v1/contacts/${c.json.contactId}/verification`, {
    last4: FACTORS.last4,
    zip: FACTORS.zip,
  });
  expect(v.json.verified, JSON.stringify(v.json)).toBe(true);
  const offers = await http('GET', `/v1/contacts/${c.json.contactId}/offers`);
  expect(offers.status, JSON.stringify(offers.json)).toBe(200);
  const contact = await http('GET', `/v1/contacts/${c.json.contactId}`);
  return {
    contactId: c.json.contactId as string,
    offers: offers.json.offers as Json[],
    contact: contact.json,
  };
}

async function createAndActivate(config: Json) {
  const created = await http('POST', '/v1/admin/config/versions', config);
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  expect((await approver('POST', `/v1/admin/config/versions/${config.version}/approval`)).status).toBe(200);
  const act = await http('POST', `/v1/admin/config/versions/${config.version}/activate`);
  expect(act.status, JSON.stringify(act.json)).toBe(200);
}
async function waitFor<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`${what} did not happen`);
}

let before: Awaited<ReturnType<typeof closingCall>>;
let withModel: Json;

describe('before any model: no score, the call type alone', () => {
  it('a closing call is decided on the call type’s risk; nothing is scored', async () => {
    await put('CHURN-0001', { monthlyTransactions: quiet });
    await put('CHURN-0002', { monthlyTransactions: busy });
    before = await closingCall('CHURN-0001');
    expect(before.offers.length).toBeGreaterThan(0);
    expect(before.contact.churn).toBeUndefined();
    expect((await account('CHURN-0001')).churn).toBeUndefined();
  });
});

describe('a configuration version with a model: validated, then activated like any other', () => {
  it('a model that fails validation is refused, naming the field, and nothing changes', async () => {
    const active = (await http('GET', '/v1/admin/config')).json;
    const cases: Array<[Json, string]> = [
      [quietCardModel({ validation: { ...quietCardModel().validation, auc: 0.55 } }), 'validation.auc'],
      [quietCardModel({ features: ['balance'] }), 'features'],
      [quietCardModel({ trees: [[[8, 120, 1, 1, 1], [2]]] }), 'trees.0'],
      [{ ...quietCardModel(), baseScore: 'NaN' }, 'baseScore'],
    ];
    for (const [i, [model, path]] of cases.entries()) {
      const config = {
        ...active.config,
        version: `${active.version}-bad${i}`,
        churn: { model, warnAt: 0.5 },
      };
      const r = await http('POST', '/v1/admin/config/versions', config);
      expect(r.status, path).toBe(400);
      expect(
        r.json.errors.map((e: Json) => e.path),
        path,
      ).toContain(`churn.model.${path}`);
    }
    const versions = (await http('GET', '/v1/admin/config/versions')).json.versions.map(
      (v: Json) => v.version,
    );
    expect(versions.filter((v: string) => v.includes('-bad'))).toEqual([]);
  });

  it('activated: the backfill scores every account with the model’s version; the crossing warns once', async () => {
    const active = (await http('GET', '/v1/admin/config')).json;
    withModel = {
      ...structuredClone(active.config),
      version: `${active.version}-churn1`,
      churn: { model: quietCardModel(), warnAt: 0.5 },
    };
    await createAndActivate(withModel);
    const a = await waitFor('the backfill', async () => (await account('CHURN-0001')).churn);
    expect(a).toMatchObject({ risk: QUIET_SCORE, modelId: 'churn-test-quiet-cards' });
    expect(a.warnedAt).toBe(a.at);
    const b = await waitFor('the backfill', async () => (await account('CHURN-0002')).churn);
    expect(b).toMatchObject({ risk: BUSY_SCORE, modelId: 'churn-test-quiet-cards' });
    expect(b.warnedAt).toBeUndefined();
    await stack.streams.drain();
    expect(warnings('CHURN-0001')).toHaveLength(1);
    expect(warnings('CHURN-0001')[0]!.detail).toMatchObject({
      risk: QUIET_SCORE,
      warnAt: 0.5,
      modelId: 'churn-test-quiet-cards',
    });
    expect(warnings('CHURN-0002')).toEqual([]);
    // The strategies read the score: the quiet account (steady spend) is at risk now, the busy one not.
    expect(Object.keys((await account('CHURN-0001')).strategies ?? {})).toContain('at-risk-retention');
    expect(Object.keys((await account('CHURN-0002')).strategies ?? {})).not.toContain('at-risk-retention');
  }, 60_000);

  it('the same call is decided on the higher risk, and the decision records the model', async () => {
    // Each function's container reads the active version's pointer at most every 3 s, and the whole
    // new version on its next call: a throwaway account's calls until one is decided on the model.
    await put('CHURN-0009', { monthlyTransactions: quiet });
    await waitFor('the new version in every container', async () =>
      (await closingCall('CHURN-0009')).contact.churn ? true : undefined,
    );
    const after = await closingCall('CHURN-0001');
    // 1 − (1 − 0.8176)(1 − 0.9): the model's score and the closing call, two ways to leave.
    expect(after.contact.churn).toEqual({
      modelId: 'churn-test-quiet-cards',
      score: QUIET_SCORE,
      risk: Math.round((1 - (1 - QUIET_SCORE) * (1 - 0.9)) * 10_000) / 10_000,
    });
    expect(after.contact.configVersion).toBe(withModel.version);
    const first = (o: Json[]) => o.find((x) => x.kind === 'RETENTION')!;
    // The account's lifetime value is now kept at the model's yearly retention (1 − 0.8176): less
    // value at stake per offer than the rule of thumb put on a steady premium card.
    expect(first(after.offers).economics.customerValue).not.toBe(
      first(before.offers).economics.customerValue,
    );
    expect(first(after.offers).reasons.join(' ')).toMatch(/churn risk 0\.98: model 0\.82 with CLOSE_ACCOUNT/);
    // The dry-run shows the model's view: the score, and the retention curve it gives.
    const dry = await http('POST', '/v1/admin/decisions/dry-run', {
      accountId: 'CHURN-0001',
      callType: 'CLOSE_ACCOUNT',
    });
    expect(dry.status, JSON.stringify(dry.json)).toBe(200);
    expect(dry.json.facts.churnRisk).toBe(QUIET_SCORE);
    expect(dry.json.value.parts.lifetime).toMatchObject({
      churnScore: QUIET_SCORE,
      churnModelId: 'churn-test-quiet-cards',
      retentionRate: Math.round((1 - QUIET_SCORE) * 10_000) / 10_000,
    });
    const log = await stack.db.send(
      new QueryCommand({
        TableName: stack.env.OFFER_LOG_TABLE!,
        KeyConditionExpression: 'contactId = :c',
        ExpressionAttributeValues: { ':c': after.contactId },
      }),
    );
    const presented = (log.Items ?? []).filter((e) => e.event === 'PRESENTED');
    expect(presented.length).toBeGreaterThan(0);
    for (const e of presented) expect(e).toMatchObject({ churnModelId: 'churn-test-quiet-cards' });
  }, 60_000);
});

describe('imports and events score the account they change', () => {
  const line1 = () => JSON.parse(readFileSync('test/fixtures/import/accounts.jsonl', 'utf8').split('\n')[0]!);
  const importOne = async (over: Json) => {
    const r = await ops('POST', '/v1/admin/accounts/import', { records: [{ ...line1(), ...over }] });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json;
  };

  it('an imported account is scored with it; a newer record that goes quiet crosses and warns once', async () => {
    await importOne({ monthlyTransactions: busy, asOf: '2026-12-01T06:00:00Z' });
    const first = (await account('IMP-000001')).churn;
    expect(first).toMatchObject({ risk: BUSY_SCORE, modelId: 'churn-test-quiet-cards' });
    // 90 a year, none in the last quarter.
    const goneQuiet = { monthlyTransactions: [...Array(9).fill(10), 0, 0, 0] };
    await importOne({ ...goneQuiet, asOf: '2026-12-02T06:00:00Z' });
    const second = (await account('IMP-000001')).churn;
    expect(second).toMatchObject({ risk: QUIET_SCORE, warnedAt: '2026-12-02T06:00:00Z' });
    // The same record again, and an event that changes nothing the model reads: no second warning.
    const again = await importOne({ ...goneQuiet, asOf: '2026-12-02T06:00:00Z' });
    expect(again.unchanged).toBe(1);
    const ev = await ops('POST', '/v1/admin/accounts/events', {
      events: [{ type: 'USAGE_DROP', accountId: 'IMP-000001', asOf: '2026-12-02T08:00:00Z' }],
    });
    expect(ev.json.results).toEqual([{ index: 0, result: 'applied' }]);
    expect((await account('IMP-000001')).churn).toEqual(second);
    await stack.streams.drain();
    expect(warnings('IMP-000001')).toHaveLength(1);
    // Busy again, the warning re-arms: the next crossing warns again.
    await importOne({ monthlyTransactions: busy, asOf: '2026-12-03T06:00:00Z' });
    expect((await account('IMP-000001')).churn).toEqual({
      risk: BUSY_SCORE,
      modelId: 'churn-test-quiet-cards',
      at: '2026-12-03T06:00:00Z',
    });
    await importOne({ ...goneQuiet, asOf: '2026-12-04T06:00:00Z' });
    await stack.streams.drain();
    expect(warnings('IMP-000001').map((w) => w.detail.at)).toEqual([
      '2026-12-02T06:00:00Z',
      '2026-12-04T06:00:00Z',
    ]);
  }, 60_000);

  it('an event that changes what the model reads rescores the account', async () => {
    await put('CHURN-0003', { monthlyTransactions: busy, asOf: '2026-12-01T00:00:00.000Z' });
    const ev = await ops('POST', '/v1/admin/accounts/events', {
      events: [{ type: 'PAYMENT_MISSED', accountId: 'CHURN-0003', asOf: '2026-12-02T00:00:00.000Z' }],
    });
    expect(ev.json.results).toEqual([{ index: 0, result: 'applied' }]);
    // The account was written before the model (no score): the event scores it.
    expect((await account('CHURN-0003')).churn).toEqual({
      risk: BUSY_SCORE,
      modelId: 'churn-test-quiet-cards',
      at: '2026-12-02T00:00:00.000Z',
    });
  });
});

describe('two writers over the same read: one score, one warning', () => {
  it('two placements of the same account at once write the score once; the other decides again', async () => {
    const { DynamoAccountStore } = await import('../../shared/adapters/dynamo/accounts');
    const { placerOf } = await import('../../shared/application/strategies');
    const { DecisionConfigSchema } = await import('../../shared/schemas/config');
    // Only the score moves (no strategies), so nothing but the score's own condition can keep the two apart.
    const config = DecisionConfigSchema.parse({ ...withModel, version: 'race', strategies: [] });
    const store = new DynamoAccountStore(stack.db, stack.env.ACCOUNTS_TABLE!, stack.env.COUNTERS_TABLE!);
    await put('CHURN-0010', {
      monthlyTransactions: quiet,
      churn: { risk: 0.1, modelId: 'churn-test-quiet-cards', at: '2026-11-01T00:00:00.000Z' },
    });
    const held = (await store.get('CHURN-0010'))!;
    const placer = placerOf(config, () => '2026-12-05T03:00:00.000Z');
    const results = await Promise.all([
      store.placeAccount(held, placer, 'SCHEDULE'),
      store.placeAccount(held, placer, 'SCHEDULE'),
    ]);
    expect(results.sort()).toEqual(['changed', 'scored']);
    // Decided again on what it holds now: nothing to write.
    expect(await store.placeAccount((await store.get('CHURN-0010'))!, placer, 'SCHEDULE')).toBe('unchanged');
    expect((await account('CHURN-0010')).churn).toEqual({
      risk: QUIET_SCORE,
      modelId: 'churn-test-quiet-cards',
      // Scored at the record's asOf (the figures' time), not the schedule's clock.
      at: '2026-11-01T00:00:00.000Z',
      warnedAt: '2026-11-01T00:00:00.000Z',
    });
    await stack.streams.drain();
    expect(warnings('CHURN-0010')).toHaveLength(1);
    expect(warnings('CHURN-0010')[0]!.detail).toMatchObject({ previous: 0.1, cause: 'SCHEDULE' });
  });
});

describe('a threshold lowered under held scores', () => {
  it('an account held below the old threshold and above the new one is warned once', async () => {
    const { nextChurn } = await import('../../shared/domain/churn');
    const held = { risk: 0.4, modelId: 'm', at: '2026-11-01T00:00:00.000Z' };
    const r = nextChurn(held, 0.4, 'm', 0.3, '2026-11-02T00:00:00.000Z');
    expect(r.warning).toEqual({ risk: 0.4, previous: 0.4, warnAt: 0.3 });
    expect(r.churn?.warnedAt).toBe('2026-11-02T00:00:00.000Z');
    // Then it stands: the same score again writes nothing and warns no more.
    expect(nextChurn(r.churn, 0.4, 'm', 0.3, '2026-11-03T00:00:00.000Z')).toEqual({});
  });
});
