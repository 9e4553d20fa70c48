import { describe, expect, it } from 'vitest';
import { handler, makeHandler } from '../../functions/connect-adapter';
import { safeRoute, speakable } from '../../shared/channels/connect';
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

  const NOT_CONNECT = (p: string) => `not a Connect contact-flow event (${p})`;
  const ANSWER_NEEDS = 'answer needs offerId and digit 1 (accept) or 2 (decline)';
  it.each([
    ['nothing at all', undefined, NOT_CONNECT('')],
    ['a string', 'hello', NOT_CONNECT('')],
    ['no Details', { Name: 'ContactFlowEvent' }, NOT_CONNECT('Details')],
    ['no ContactData', { Details: {} }, NOT_CONNECT('Details.ContactData')],
    [
      'a numeric ContactId',
      { Details: { ContactData: { ContactId: 5 } } },
      NOT_CONNECT('Details.ContactData.ContactId'),
    ],
    [
      'a 10 KB ContactId',
      { Details: { ContactData: { ContactId: 'x'.repeat(10_000) } } },
      NOT_CONNECT('Details.ContactData.ContactId'),
    ],
    [
      'no CustomerEndpoint and no account id',
      {
        ...startEvent,
        Details: {
          ...startEvent.Details,
          ContactData: { ...startEvent.Details.ContactData, CustomerEndpoint: null },
        },
      },
      'no caller number or account id to identify the caller',
    ],
    ['an unknown step', withParams({ step: 'dance' }), 'unknown step dance'],
    ['an answer without a digit', withParams({ step: 'answer', offerId: 'annual-fee-waiver' }), ANSWER_NEEDS],
    [
      'an answer with digit 7',
      withParams({ step: 'answer', offerId: 'annual-fee-waiver', digit: '7' }),
      ANSWER_NEEDS,
    ],
  ])('%s → the safe route with its reason, nothing run', async (_n, event, reason) => {
    const { inputs, handler: h } = runner();
    const out = await h(event);
    // Exactly the documented answer: the catch-all's 'adapter error' would not match.
    expect(out).toEqual(safeRoute(reason));
    expect(inputs).toEqual([]);
  });

  // Parameters are read one by one: an unusable one is dropped, not a reason to refuse the turn.
  it.each([
    [
      'parameters of the wrong type: the step defaults to start',
      withParams({ step: 42, last4: { x: 1 } }),
      'start',
    ],
    [
      'a 10 KB factor is dropped: the verify runs without it',
      withParams({ step: 'verify', last4: '9'.repeat(10_000) }),
      'verify',
    ],
  ] as const)('%s, answered without the fallback', async (_n, event, action) => {
    const { inputs, handler: h } = runner({ outcome: 'ok', action, contact });
    const out = await h(event);
    expect(out.fallback).toBeUndefined();
    expect(out).toMatchObject({ stage: contact.stage, queue: contact.route.queue });
    expect(inputs).toEqual([expect.objectContaining({ action })]);
    if (action === 'verify') expect(inputs[0]).toMatchObject({ request: {} });
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

  it('a throwing runner is the safe route naming the error', async () => {
    expect(await runner(new TypeError('boom')).handler(startEvent)).toEqual(safeRoute('TypeError'));
  });

  it('a failing state machine is the safe route naming the failed state, and says whether the turn may be kept', async () => {
    const out = await runner({
      outcome: 'fallback',
      failedAt: 'DecideTurn',
      error: 'States.Timeout',
      route: { queue: 'RETENTION_SPECIALIST', priority: 1, reasons: [], ruleId: 'SAFE_FALLBACK' },
    }).handler(startEvent);
    expect(out).toEqual({ ...safeRoute('DecideTurn failed'), stored: 'failed' });
  });

  it('the deployed handler without its configuration still answers, never throws', async () => {
    expect(await handler(startEvent)).toEqual(safeRoute('adapter not configured'));
  });

  it('scripts are safe to speak: SSML characters escaped', () => {
    expect(speakable('Fees < 5 & "no" <break/>')).toBe('Fees &lt; 5 &amp; &quot;no&quot; &lt;break/&gt;');
  });
});

describe('a verification whose contact changed under it (ConcurrentUpdate: nothing judged, the copy refreshed)', () => {
  const concurrent: TurnOutput = {
    outcome: 'rejected',
    problem: { name: 'ConcurrentUpdate', status: 409, title: 'Contact changed', detail: 'retry' },
  };
  function sequence(...outs: TurnOutput[]) {
    const inputs: TurnInput[] = [];
    const r: TurnRunner = {
      run: async (i) => {
        inputs.push(i);
        return outs[Math.min(inputs.length - 1, outs.length - 1)]!;
      },
    };
    return { inputs, handler: makeHandler({ runner: r, clock: () => new Date(NOW) }) };
  }
  it('is run once more, and the caller hears the judged answer, not the safe route', async () => {
    const judged: TurnOutput = { outcome: 'ok', action: 'verify', contact: startedContact('voice') };
    const { inputs, handler: h } = sequence(concurrent, judged);
    const out = await h(verifyEvent);
    expect(inputs.map((i) => i.action)).toEqual(['verify', 'verify']);
    expect(inputs[1]).toEqual(inputs[0]);
    expect(out.fallback).not.toBe('true');
    expect(out.stage).toBe('VERIFY');
  });
  it('only once: a second refusal is the safe route; other turns are never run twice', async () => {
    const twice = sequence(concurrent, concurrent, concurrent);
    expect(await twice.handler(verifyEvent)).toMatchObject({
      fallback: 'false',
      problem: 'ConcurrentUpdate',
    });
    expect(twice.inputs).toHaveLength(2);
    const start = sequence(concurrent);
    await start.handler(startEvent);
    expect(start.inputs).toHaveLength(1);
  });
});
