import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHandler } from '../../functions/connect-adapter';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { connectEvent } from '../fakes/connect';

/** A whole retention call through Connect-shaped events, on the synthesized state machine. */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 0 });
});
afterAll(async () => stack?.stop());

let n = 0;
function call(phone: string) {
  const contactId = `5ca32fbd-8f92-46af-92a5-${String(++n).padStart(12, '0')}`;
  const h = makeHandler({ runner: stack.runner });
  return (params: Record<string, string>) => h(connectEvent(contactId, phone, params));
}

describe('Amazon Connect adapter on the local stack', () => {
  it('start → verify → offers → decline (2) → accept (1): RETAINED, every answer a flat map', async () => {
    const p = stack.personas[0]!.persona;
    const step = call(p.phone);
    expect(await step({ step: 'start', callType: 'CLOSE_ACCOUNT' })).toMatchObject({
      stage: 'VERIFY',
      queue: 'VIP_RETENTION',
    });
    expect(await step({ step: 'start', callType: 'CLOSE_ACCOUNT' })).toMatchObject({ stage: 'VERIFY' }); // Connect's retry
    expect(await step({ step: 'verify', last4: p.last4, zip: p.zip })).toMatchObject({
      stage: 'OFFER',
      verified: 'true',
    });
    const offers = await step({ step: 'offers' });
    expect(Number(offers.offerCount)).toBeGreaterThan(1);
    expect(offers.offer1Script).toBeTruthy();
    const next = await step({ step: 'answer', offerId: offers.offer1Id!, digit: '2' });
    expect(next).toMatchObject({ stage: 'OFFER' });
    expect(next.offer1Id).not.toBe(offers.offer1Id);
    // A retried decline is answered as the first was.
    expect(await step({ step: 'answer', offerId: offers.offer1Id!, digit: '2' })).toEqual(next);
    const done = await step({ step: 'answer', offerId: next.offer1Id!, digit: '1' });
    expect(done).toMatchObject({ stage: 'RETAINED', outcome: 'SAVED', offerCount: '0' });
    for (const m of [offers, next, done]) for (const v of Object.values(m)) expect(typeof v).toBe('string');
  });

  it('a retried wrong verification counts once', async () => {
    const p = stack.personas[1]!.persona;
    const step = call(p.phone);
    await step({ step: 'start', callType: 'FEE_COMPLAINT' });
    const wrong = { step: 'verify', last4: p.last4 === '0000' ? '1111' : '0000', zip: p.zip };
    const first = await step(wrong);
    expect(first).toMatchObject({ stage: 'VERIFY', attemptsLeft: '2' });
    expect(await step(wrong)).toMatchObject({ attemptsLeft: '2' });
  });

  it('a fraud report is routed to fraud with nothing to offer', async () => {
    const step = call(stack.personas[0]!.persona.phone);
    expect(await step({ step: 'start', callType: 'FRAUD_REPORT' })).toMatchObject({
      stage: 'ROUTED',
      queue: 'FRAUD',
      offerCount: '0',
    });
  });

  it("the local stack serves Lambda's Invoke API: the AWS SDK invokes connect-adapter with an endpoint override", async () => {
    const lambda = new LambdaClient({
      endpoint: stack.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const invoke = async (FunctionName: string, event: unknown) => {
      const r = await lambda.send(
        new InvokeCommand({ FunctionName, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
      );
      return {
        status: r.StatusCode,
        error: r.FunctionError,
        payload: JSON.parse(new TextDecoder().decode(r.Payload)),
      };
    };
    const p = stack.personas[2]!.persona;
    const event = connectEvent('invoke-api-0001', p.phone);
    const r = await invoke('connect-adapter', event);
    expect(r).toMatchObject({ status: 200, payload: { stage: 'VERIFY' } });
    expect(r.error).toBeUndefined();
    await expect(invoke('no-such-function', event)).rejects.toThrow(/not found/i);
    lambda.destroy();
  });
});
