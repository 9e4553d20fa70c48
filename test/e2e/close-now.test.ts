import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lexCodeHookEvent } from '../../infra/local/lex-event';
import type { LocalStack } from '../../infra/local/stack';
import { FACTORS, premiumAccount } from '../fakes/accounts';
import { connectEvent, invokeConnect } from '../fakes/connect';
import { localClient } from '../fakes/local-client';
import { startTestStack } from '../fakes/stack';

/**
 * "Just close it": a customer who insists closes now, on every channel. The closure request is
 * recorded at once (the offer log's CLOSURE_REQUESTED, once), no offer follows, and a repeat is the
 * first answer. Before verification it is refused: a closure is the verified account holder's.
 */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const { http } = localClient(() => stack, '');
let accounts = 0;
async function customer() {
  const n = ++accounts;
  const phone = `+1555556${String(1000 + n).padStart(4, '0')}`;
  await stack.db.send(
    new PutCommand({
      TableName: stack.env.ACCOUNTS_TABLE!,
      Item: premiumAccount({ accountId: `CLOSE-${n}`, phone }),
    }),
  );
  return phone;
}
async function logOf(contactId: string) {
  const r = await stack.db.send(
    new QueryCommand({
      TableName: stack.env.OFFER_LOG_TABLE!,
      KeyConditionExpression: 'contactId = :c',
      ExpressionAttributeValues: { ':c': contactId },
    }),
  );
  return (r.Items ?? []).map((i) => i.event as string);
}
async function contactOf(externalContactId: string) {
  const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
  const items = (await stack.db.send(new ScanCommand({ TableName: stack.env.CONTACTS_TABLE! }))).Items ?? [];
  return items.find((c) => c.externalContactId === externalContactId)!;
}

describe('the agent desk: POST /v1/contacts/{id}/closure', () => {
  it('records the closure request at once, withdraws the offers on the table, and a repeat changes nothing', async () => {
    const phone = await customer();
    // A fee complaint: not a closing call type, yet the customer's closure is what is recorded.
    const started = await http('POST', '/v1/contacts', {
      channel: 'agent',
      callType: 'FEE_COMPLAINT',
      callerPhone: phone,
    });
    const id = started.json.contactId as string;
    const early = await http('POST', `/v1/contacts/${id}/closure`);
    expect(early.status).toBe(409);
    expect(early.json.title).toBe('Caller not verified');
    expect(
      (await http('POST', `/v1/contacts/${id}/verification`, { last4: FACTORS.last4, zip: FACTORS.zip }))
        .json,
    ).toMatchObject({ verified: true });
    const offers = await http('GET', `/v1/contacts/${id}/offers`);
    expect(offers.json.offers.length).toBeGreaterThan(0);
    const closed = await http('POST', `/v1/contacts/${id}/closure`);
    expect(closed.status).toBe(200);
    expect(closed.json).toEqual({ stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED', offers: [] });
    const again = await http('POST', `/v1/contacts/${id}/closure`, {});
    expect(again.json).toEqual(closed.json);
    // Nothing more is offered or taken; the offer shown was withdrawn, not declined.
    const c = (await http('GET', `/v1/contacts/${id}`)).json;
    expect(c).toMatchObject({ stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED' });
    expect(c.answers).toEqual([]);
    const answer = await http('POST', `/v1/contacts/${id}/responses`, {
      offerId: offers.json.offers[0].offerId,
      response: 'ACCEPTED',
    });
    expect(answer.status).toBe(409);
    const log = await logOf(id);
    expect(log.filter((e) => e === 'CLOSURE_REQUESTED')).toHaveLength(1);
    expect(log.filter((e) => e === 'DECLINED' || e === 'ACCEPTED')).toHaveLength(0);
  });

  it('refuses a body with fields, naming them, and changes nothing', async () => {
    const phone = await customer();
    const id = (
      await http('POST', '/v1/contacts', { channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: phone })
    ).json.contactId as string;
    await http('POST', `/v1/contacts/${id}/verification`, { last4: FACTORS.last4, zip: FACTORS.zip });
    const r = await http('POST', `/v1/contacts/${id}/closure`, { reason: 'x' });
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json.errors)).toContain('reason');
    expect((await http('GET', `/v1/contacts/${id}`)).json.stage).toBe('OFFER');
  });
});

describe('Connect: 9 at any offer', () => {
  it('closes now: the closure request recorded, no further offer spoken', async () => {
    const phone = await customer();
    const cid = `close-${Date.now()}`;
    const step = async (params: Record<string, string>) =>
      (await invokeConnect(stack.url, connectEvent(cid, phone, params))).json;
    expect((await step({ step: 'start', callType: 'CLOSE_ACCOUNT' })).stage).toBe('VERIFY');
    await step({ step: 'verify', last4: FACTORS.last4 });
    const offered = await step({ step: 'offers' });
    expect(Number(offered.offerCount)).toBeGreaterThan(0);
    expect(offered.offer1Prompt).toMatch(/or 9 to close your account now\.$/);
    const m = await step({ step: 'close' });
    expect(m).toMatchObject({ stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED', offerCount: '0' });
    expect(m.prompt).toMatch(/sorry to see you go/);
    const c = await contactOf(cid);
    expect((await logOf(c.contactId)).filter((e) => e === 'CLOSURE_REQUESTED')).toHaveLength(1);
  });
});

describe('Lex: "just close it"', () => {
  const lex = async (sessionId: string, intent: string, slots: Record<string, string>) => {
    const r = await fetch(`${stack.url}/2015-03-31/functions/lex-adapter/invocations`, {
      method: 'POST',
      body: JSON.stringify(lexCodeHookEvent({ sessionId, intent, slots, said: 'x' })),
    });
    return (await r.json()) as {
      sessionState: { dialogAction: { type: string }; sessionAttributes: Record<string, string> };
      messages: Array<{ content: string }>;
    };
  };

  it('said while an offer is put, closes at once; said first, closes as soon as the caller is verified, with no offer', async () => {
    const phone = await customer();
    const during = `lex-close-${Date.now()}`;
    const factors = { phone, last4: FACTORS.last4, zip: FACTORS.zip };
    await lex(during, 'CloseAccount', { phone });
    const put = await lex(during, 'CloseAccount', factors);
    expect(put.sessionState.dialogAction.type).toBe('ConfirmIntent');
    const closed = await lex(during, 'CloseNow', factors);
    expect(closed.sessionState.dialogAction.type).toBe('Close');
    expect(closed.messages[0]!.content).toMatch(/sorry to see you go/);
    const c = await contactOf(`lex-${during}`);
    expect(c).toMatchObject({ stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED' });

    const phone2 = await customer();
    const first = `lex-close-first-${Date.now()}`;
    const asked = await lex(first, 'CloseNow', { phone: phone2 });
    expect(asked.sessionState.dialogAction.type).toBe('ElicitSlot');
    const done = await lex(first, 'CloseNow', { phone: phone2, last4: FACTORS.last4, zip: FACTORS.zip });
    expect(done.sessionState.dialogAction.type).toBe('Close');
    const c2 = await contactOf(`lex-${first}`);
    expect(c2).toMatchObject({ stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED', answers: [] });
    expect((await logOf(c2.contactId)).filter((e) => e === 'PRESENTED')).toHaveLength(0);
  });
});
