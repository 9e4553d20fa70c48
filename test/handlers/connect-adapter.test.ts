import { describe, expect, it } from 'vitest';
import { handler, makeHandler } from '../../functions/connect-adapter';
import { speakable } from '../../shared/application/connect';
import type { TurnOutput, TurnRunner } from '../../shared/ports';
import type { TurnInput } from '../../shared/schemas/api';
import { NOW, startedContact } from '../fakes/accounts';
import startEvent from '../fixtures/connect/start-voice-close.json';
import verifyEvent from '../fixtures/connect/verify-dtmf.json';

const contact = startedContact('voice');
function runner(out: TurnOutput | Error = { outcome: 'ok', action: 'start', contact }) {
  const inputs: TurnInput[] = [];
  const r: TurnRunner = {
    run: async (i) => {
      inputs.push(i);
      if (out instanceof Error) throw out;
      return out;
    },
  };
  return { inputs, handler: makeHandler({ runner: r, clock: () => new Date(NOW) }) };
}
const isFlat = (m: Record<string, unknown>) =>
  Object.entries(m).every(([k, v]) => /^[A-Za-z0-9]{1,40}$/.test(k) && typeof v === 'string') &&
  Buffer.byteLength(JSON.stringify(m)) < 32 * 1024;
const withParams = (params: Record<string, unknown>) => ({
  ...startEvent,
  Details: { ...startEvent.Details, Parameters: params },
});

describe('connect-adapter', () => {
  it('start: keys the contact on ContactId, identifies by the caller number, answers a flat map', async () => {
    const { inputs, handler: h } = runner();
    const out = await h(startEvent);
    expect(inputs[0]).toMatchObject({
      action: 'start',
      request: {
        channel: 'voice',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: '+15555550123',
        externalContactId: startEvent.Details.ContactData.ContactId,
      },
    });
    expect(out).toMatchObject({ stage: 'VERIFY', offerCount: '0', verified: 'false' });
    expect(isFlat(out)).toBe(true);
  });

  it('verify: the digits become factors, and a retry of the same attempt has the same idempotency key', async () => {
    const { inputs, handler: h } = runner({ outcome: 'ok', action: 'verify', contact });
    await h(verifyEvent);
    await h(verifyEvent);
    expect(inputs[0]).toMatchObject({ action: 'verify', request: { last4: '4821', zip: '94107' } });
    expect(inputs[0]!.action === 'verify' && inputs[0]!.idempotencyKey).toBe(
      inputs[1]!.action === 'verify' && inputs[1]!.idempotencyKey,
    );
    expect(JSON.stringify(inputs[0]!.action === 'verify' && inputs[0]!.idempotencyKey)).not.toContain('4821');
  });

  it('a DTMF date of birth (YYYYMMDD) becomes an ISO date', async () => {
    const { inputs, handler: h } = runner({ outcome: 'ok', action: 'verify', contact });
    await h(withParams({ step: 'verify', dob: '19800229', last4: '4821' }));
    expect(inputs[0]).toMatchObject({ request: { dob: '1980-02-29', last4: '4821' } });
  });

  it('answer: digit 1 accepts, 2 declines, keyed on ContactId and offer', async () => {
    const { inputs, handler: h } = runner({ outcome: 'ok', action: 'respond', contact });
    await h(withParams({ step: 'answer', offerId: 'annual-fee-waiver', digit: '1' }));
    await h(withParams({ step: 'answer', offerId: 'annual-fee-waiver', digit: '2' }));
    expect(inputs.map((i) => i.action === 'respond' && i.request.response)).toEqual(['ACCEPTED', 'DECLINED']);
  });

  it.each([
    ['nothing at all', undefined],
    ['a string', 'hello'],
    ['no Details', { Name: 'ContactFlowEvent' }],
    ['no ContactData', { Details: {} }],
    ['a numeric ContactId', { Details: { ContactData: { ContactId: 5 } } }],
    ['a 10 KB ContactId', { Details: { ContactData: { ContactId: 'x'.repeat(10_000) } } }],
    [
      'no CustomerEndpoint and no account id',
      {
        ...startEvent,
        Details: {
          ...startEvent.Details,
          ContactData: { ...startEvent.Details.ContactData, CustomerEndpoint: null },
        },
      },
    ],
    ['an unknown step', withParams({ step: 'dance' })],
    ['an answer without a digit', withParams({ step: 'answer', offerId: 'annual-fee-waiver' })],
    ['an answer with digit 7', withParams({ step: 'answer', offerId: 'annual-fee-waiver', digit: '7' })],
    ['parameters of the wrong type', withParams({ step: 42, last4: { x: 1 } })],
    ['10 KB parameters', withParams({ step: 'verify', last4: '9'.repeat(10_000) })],
  ])('%s → the safe route, never an exception', async (_n, event) => {
    const { handler: h } = runner();
    const out = await h(event);
    expect(out.queue).toBeDefined();
    expect(isFlat(out)).toBe(true);
  });

  it('odd call types are served as general inquiries; odd attributes are ignored', async () => {
    const { inputs, handler: h } = runner();
    await h({
      ...startEvent,
      Details: {
        ...startEvent.Details,
        ContactData: { ...startEvent.Details.ContactData, Attributes: { callType: 'PIZZA' } },
      },
    });
    expect(inputs[0]).toMatchObject({ request: { callType: 'GENERAL_INQUIRY' } });
  });

  it('a failing state machine, or a throwing runner, is the safe route to a retention agent', async () => {
    for (const out of [
      new Error('boom'),
      {
        outcome: 'fallback' as const,
        failedAt: 'ChooseOffers',
        error: 'States.Timeout',
        route: { queue: 'RETENTION_SPECIALIST' as const, priority: 1, reasons: [], ruleId: 'SAFE_FALLBACK' },
      },
    ]) {
      const r = await runner(out).handler(startEvent);
      expect(r).toMatchObject({ stage: 'ROUTED', queue: 'RETENTION_SPECIALIST', fallback: 'true' });
    }
  });

  it('the deployed handler without its configuration still answers, never throws', async () => {
    const out = await handler(startEvent);
    expect(out).toMatchObject({ queue: 'RETENTION_SPECIALIST', fallback: 'true' });
  });

  it('scripts are safe to speak: SSML characters escaped', () => {
    expect(speakable('Fees < 5 & "no" <break/>')).toBe('Fees &lt; 5 &amp; &quot;no&quot; &lt;break/&gt;');
  });
});
