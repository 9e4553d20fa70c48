import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import type { LexResponse } from '../../shared/channels/lex';
import confirmEvent from '../fixtures/lex/confirm-offer.json';

/** A whole retention chat through Lex-shaped events, via the local Lambda Invoke API. */
let stack: LocalStack;
let lambda: LambdaClient;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 0 });
  lambda = new LambdaClient({
    endpoint: stack.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
});
afterAll(async () => {
  lambda?.destroy();
  await stack?.stop();
});

async function invoke(event: unknown): Promise<LexResponse> {
  const r = await lambda.send(
    new InvokeCommand({
      FunctionName: 'lex-adapter',
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  return JSON.parse(new TextDecoder().decode(r.Payload)) as LexResponse;
}

/** The next Lex event of the same session, as Lex would send it after the previous answer. */
function event(
  sessionId: string,
  prev: LexResponse | undefined,
  slots: Record<string, string>,
  confirmationState = 'None',
) {
  return {
    ...confirmEvent,
    sessionId,
    sessionState: {
      sessionAttributes: prev?.sessionState.sessionAttributes ?? {},
      activeContexts: [],
      intent: {
        name: 'CloseAccount',
        slots: Object.fromEntries(
          Object.entries(slots).map(([k, v]) => [
            k,
            { value: { interpretedValue: v, originalValue: v, resolvedValues: [v] } },
          ]),
        ),
        state: 'InProgress',
        confirmationState,
      },
    },
  };
}

describe('Lex V2 adapter on the local stack', () => {
  it('asks for the number, then the factors, puts offers with ConfirmIntent; Denied brings the next, Confirmed keeps the customer', async () => {
    const p = stack.personas[0]!.persona;
    const sid = 'chat-0001';
    let r = await invoke(event(sid, undefined, {}));
    expect(r.sessionState.dialogAction).toEqual({ type: 'ElicitSlot', slotToElicit: 'phone' });
    r = await invoke(event(sid, r, { phone: p.phone }));
    expect(r.sessionState.dialogAction).toMatchObject({ type: 'ElicitSlot', slotToElicit: 'last4' });
    // Nothing of ours in the session attributes (the client can set them): the session is the key.
    expect(r.sessionState.sessionAttributes).toEqual({});
    r = await invoke(event(sid, r, { phone: p.phone, last4: p.last4 }));
    // A number typed in chat is no factor: a second one is asked for.
    expect(r.sessionState.dialogAction).toMatchObject({ type: 'ElicitSlot', slotToElicit: 'zip' });
    const factors = { phone: p.phone, last4: p.last4, zip: p.zip };
    r = await invoke(event(sid, r, factors));
    expect(r.sessionState.dialogAction.type).toBe('ConfirmIntent');
    const first = r.messages[0]!.content;
    r = await invoke(event(sid, r, factors, 'Denied'));
    expect(r.sessionState.dialogAction.type).toBe('ConfirmIntent');
    expect(r.messages[0]!.content).not.toBe(first);
    r = await invoke(event(sid, r, factors, 'Confirmed'));
    expect(r.sessionState.dialogAction.type).toBe('Close');
    expect(r.sessionState.intent.state).toBe('Fulfilled');
    expect(r.messages[0]!.content).toMatch(/staying with us/);
    // Where Connect's chat flow takes it next: nowhere, the customer stays.
    expect(r.sessionState.sessionAttributes).toEqual({ next: 'END' });
  });

  it('declining the offers a bot may make, when only a supervisor may grant the rest, closes towards a specialist (saying so)', async () => {
    const p = stack.personas[0]!.persona;
    const sid = 'chat-handover';
    const factors = { phone: p.phone, last4: p.last4, zip: p.zip };
    let r = await invoke(event(sid, undefined, {}));
    r = await invoke(event(sid, r, { phone: p.phone }));
    r = await invoke(event(sid, r, factors));
    for (let i = 0; i < 10 && r.sessionState.dialogAction.type === 'ConfirmIntent'; i++)
      r = await invoke(event(sid, r, factors, 'Denied'));
    expect(r.sessionState.dialogAction.type).toBe('Close');
    expect(r.messages[0]!.content).toMatch(/retention specialist/);
    // To the queue the contact was routed to.
    expect(r.sessionState.sessionAttributes).toEqual({ next: p.expect.routeQueue });
  });

  it('a chat locked by wrong factors goes to security; one the bot cannot place, to general service', async () => {
    const p = stack.personas[2]!.persona;
    const wrong = {
      phone: p.phone,
      last4: p.last4 === '0000' ? '1111' : '0000',
      zip: p.zip === '00000' ? '11111' : '00000',
    };
    let r = await invoke(event('chat-lock', undefined, { phone: p.phone }));
    for (let i = 0; i < 5 && r.sessionState.dialogAction.type === 'ElicitSlot'; i++)
      r = await invoke(event('chat-lock', r, { ...wrong, last4: String(1000 + i) }));
    expect(r.sessionState.dialogAction.type).toBe('Close');
    expect(r.sessionState.sessionAttributes).toEqual({ next: 'SECURITY' });
    const unplaced = await invoke({
      ...confirmEvent,
      sessionState: { ...confirmEvent.sessionState, intent: { name: 'FallbackIntent', slots: {} } },
    });
    expect(unplaced.sessionState.dialogAction.type).toBe('Close');
    expect(unplaced.sessionState.sessionAttributes).toMatchObject({ next: 'GENERAL_SERVICE' });
  });

  it('wrong factors ask again and say how many attempts are left', async () => {
    const p = stack.personas[1]!.persona;
    let r = await invoke(event('chat-0002', undefined, { phone: p.phone }));
    r = await invoke(
      event('chat-0002', r, { phone: p.phone, last4: p.last4 === '0000' ? '1111' : '0000', zip: p.zip }),
    );
    expect(r.sessionState.dialogAction).toMatchObject({ type: 'ElicitSlot', slotToElicit: 'last4' });
    expect(r.messages[0]!.content).toMatch(/2 attempt/);
  });

  it.each([
    ['nothing', undefined],
    ['no sessionState', { sessionId: 'x' }],
    [
      'an unknown intent',
      {
        ...confirmEvent,
        sessionState: { ...confirmEvent.sessionState, intent: { name: 'OrderPizza', slots: {} } },
      },
    ],
    ['a 10 KB transcript', { ...confirmEvent, inputTranscript: 'x'.repeat(10_000) }],
    [
      'a forged contact id',
      {
        ...confirmEvent,
        sessionState: {
          ...confirmEvent.sessionState,
          sessionAttributes: { contactId: '00000000-0000-4000-8000-000000000000' },
        },
      },
    ],
  ])('%s → a valid Lex response, never an exception', async (_n, e) => {
    const r = await invoke(e);
    expect(r.sessionState.dialogAction.type).toMatch(/Close|ElicitSlot|ConfirmIntent/);
    expect(r.messages[0]!.contentType).toBe('PlainText');
  });
});
