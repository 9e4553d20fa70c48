import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { CONFIG_KEY } from '../../shared/adapters/dynamo';
import type { DecisionConfig } from '../../shared/schemas/config';
import { tokenOf } from '../fakes/local-client';

/** A budget cap met over HTTP: the accept past the cap is refused, the call goes on. */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 0 });
  // Before any turn (the functions cache the configuration): the fee waiver may be accepted once a day.
  const config: DecisionConfig = {
    ...DEFAULT_CONFIG,
    version: 'budget-test',
    offers: DEFAULT_CONFIG.offers.map((o) =>
      o.offerId === 'annual-fee-waiver' ? { ...o, budget: { period: 'DAY', maxAccepts: 1 } } : o,
    ),
  };
  await stack.db.send(
    new PutCommand({
      TableName: stack.env.CATALOG_TABLE!,
      Item: { ...CONFIG_KEY, version: config.version, config },
    }),
  );
});
afterAll(async () => stack?.stop());

// The fee waiver needs a specialist: the desk person here is one.
const auth = async () => ({ authorization: `Bearer ${await tokenOf(stack, ['specialist'])}` });
const post = async (path: string, body: unknown) => {
  const r = await fetch(`${stack.url}/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await auth()) },
    body: JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as Record<string, any> };
};
const get = async (path: string) =>
  (await (await fetch(`${stack.url}/v1${path}`, { headers: await auth() })).json()) as Record<string, any>;

describe('budget caps through the whole turn', () => {
  it('two callers offered the same capped incentive: the first accept is granted, the second refused with 409, and the call goes on', async () => {
    const ava = stack.personas[0]!.persona;
    const open = async () => {
      const c = await post('/contacts', {
        channel: 'agent',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: ava.phone,
      });
      await post(`/contacts/${c.json.contactId}/verification`, { last4: ava.last4, zip: ava.zip });
      const offers = await get(`/contacts/${c.json.contactId}/offers`);
      expect(offers.offers.map((o: { offerId: string }) => o.offerId)).toContain('annual-fee-waiver');
      return c.json.contactId as string;
    };
    const [a, b] = [await open(), await open()];
    const first = await post(`/contacts/${a}/responses`, {
      offerId: 'annual-fee-waiver',
      response: 'ACCEPTED',
    });
    expect(first).toMatchObject({ status: 200, json: { stage: 'RETAINED', outcome: 'SAVED' } });
    const second = await post(`/contacts/${b}/responses`, {
      offerId: 'annual-fee-waiver',
      response: 'ACCEPTED',
    });
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({
      title: 'Offer no longer available',
      detail: expect.stringContaining('annual-fee-waiver'),
    });
    expect((await get(`/contacts/${b}`)).stage).toBe('OFFER');
    const next = await post(`/contacts/${b}/responses`, {
      offerId: 'annual-fee-waiver',
      response: 'DECLINED',
    });
    expect(next.status).toBe(200);
    expect(next.json.offers.length).toBeGreaterThan(0);
  });
});
