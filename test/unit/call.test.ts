import { describe, expect, it } from 'vitest';
import { admitTurn, applyAnswer, newContact, presentOffers, stamp } from '../../shared/domain/call';
import { computeFacts } from '../../shared/domain/facts';
import { compileCatalog } from '../../shared/domain/offers';
import type { TurnInput } from '../../shared/schemas/api';
import type { Contact } from '../../shared/schemas/contact';
import { config, NOW, premiumAccount } from '../fakes/accounts';

const ID = '5ca32fbd-8f92-46af-92a5-6b0f970f0efe';
const catalog = compileCatalog(config);
const premium = premiumAccount();

/** On the agent desktop: the decision's walk, with every offer presentable (self-service: authority.test.ts). */
function verifiedContact(callType: Contact['callType'] = 'CLOSE_ACCOUNT'): Contact {
  const c = newContact({
    contactId: ID,
    request: { channel: 'agent', callType, accountId: premium.accountId },
    now: NOW,
    accountId: premium.accountId,
    callerMatched: false,
    config,
  });
  return {
    ...c,
    stage: 'OFFER',
    facts: computeFacts(premium, NOW, config.value),
    segment: { customer: 'PREMIUM_TRANSACTOR', card: 'PREMIUM', reasons: [] },
    verification: { ...c.verification, status: 'VERIFIED' },
  };
}
const respond = (offerId: string, response: 'ACCEPTED' | 'DECLINED', idempotencyKey?: string): TurnInput => ({
  action: 'respond',
  now: NOW,
  contactId: ID,
  request: { offerId, response },
  ...(idempotencyKey ? { idempotencyKey } : {}),
});

describe('admission by stage', () => {
  const at = (stage: Contact['stage'], over: Partial<Contact> = {}) => ({
    ...verifiedContact(),
    stage,
    ...over,
  });
  it.each<[string, TurnInput, Contact, string, string?]>([
    [
      'verify in VERIFY',
      { action: 'verify', now: NOW, contactId: ID, request: { zip: '1' } },
      at('VERIFY'),
      'proceed',
    ],
    [
      'verify when LOCKED',
      { action: 'verify', now: NOW, contactId: ID, request: { zip: '1' } },
      at('LOCKED'),
      'rejected',
      'VerificationLocked',
    ],
    [
      'verify twice',
      { action: 'verify', now: NOW, contactId: ID, request: { zip: '1' } },
      at('OFFER'),
      'rejected',
      'StageConflict',
    ],
    [
      'offers before verification',
      { action: 'offers', now: NOW, contactId: ID },
      at('VERIFY'),
      'rejected',
      'NotVerified',
    ],
    ['offers on a ROUTED contact', { action: 'offers', now: NOW, contactId: ID }, at('ROUTED'), 'unchanged'],
    [
      'offers in OFFER with none on the table',
      { action: 'offers', now: NOW, contactId: ID },
      at('OFFER'),
      'proceed',
    ],
    [
      'offers in OFFER with offers on the table',
      { action: 'offers', now: NOW, contactId: ID },
      at('OFFER', { current: ['x'] }),
      'unchanged',
    ],
    [
      'answer to an offer never presented',
      respond('apr-cut-6m', 'ACCEPTED'),
      at('OFFER', { current: ['annual-fee-waiver'] }),
      'rejected',
      'OfferNotPresented',
    ],
    [
      'answer before verification',
      respond('apr-cut-6m', 'ACCEPTED'),
      at('VERIFY'),
      'rejected',
      'NotVerified',
    ],
    [
      'answer on the table',
      respond('annual-fee-waiver', 'ACCEPTED'),
      at('OFFER', { current: ['annual-fee-waiver'] }),
      'proceed',
    ],
    ['get in any stage', { action: 'get', now: NOW, contactId: ID }, at('CLOSED'), 'unchanged'],
  ])('%s → %s', (_n, input, contact, kind, name) => {
    const a = admitTurn(input, contact);
    expect(a.kind).toBe(kind);
    if (name) expect(a.kind === 'rejected' && a.problem.name).toBe(name);
  });

  it('a repeated identical answer is unchanged; a different second answer conflicts', () => {
    const answered: Contact = {
      ...verifiedContact(),
      answers: [
        {
          offerId: 'annual-fee-waiver',
          response: 'DECLINED',
          at: NOW,
          result: { stage: 'OFFER', offerIds: [] },
        },
      ],
    };
    expect(admitTurn(respond('annual-fee-waiver', 'DECLINED'), answered).kind).toBe('unchanged');
    const r = admitTurn(respond('annual-fee-waiver', 'ACCEPTED'), answered);
    expect(r.kind === 'rejected' && r.problem).toMatchObject({ name: 'AnswerConflict', status: 409 });
  });

  it('an idempotency key reused for another answer is refused', () => {
    const answered: Contact = {
      ...verifiedContact(),
      current: ['half-fee-credit'],
      answers: [
        {
          offerId: 'annual-fee-waiver',
          response: 'DECLINED',
          at: NOW,
          idempotencyKey: 'key-00001',
          result: { stage: 'OFFER', offerIds: [] },
        },
      ],
    };
    const r = admitTurn(respond('half-fee-credit', 'DECLINED', 'key-00001'), answered);
    expect(r.kind === 'rejected' && r.problem.name).toBe('IdempotencyKeyReused');
  });
});

describe('offers, declines, cross-sell and closure', () => {
  it('presents the best retention offers, logs each presentation once, and then leaves them on the table', () => {
    const r = presentOffers(verifiedContact(), catalog, config, NOW);
    expect(r.contact.current.length).toBe(Math.min(3, r.contact.offers.length));
    expect(r.log.map((e) => e.event)).toEqual(r.contact.current.map(() => 'PRESENTED'));
    expect(r.log.map((e) => e.seq)).toEqual(r.log.map((_, i) => i));
    const again = presentOffers(r.contact, catalog, config, NOW);
    expect(again.log).toEqual([]);
    expect(again.contact).toEqual(r.contact);
  });

  it('accepting a retention offer on a closing call saves the customer', () => {
    const p = presentOffers(verifiedContact(), catalog, config, NOW).contact;
    const r = applyAnswer({
      contact: p,
      offerId: p.current[0]!,
      response: 'ACCEPTED',
      config,
      catalog,
      now: NOW,
    });
    expect(r.contact).toMatchObject({ stage: 'RETAINED', outcome: 'SAVED', current: [] });
    expect(r.log.map((e) => e.event)).toEqual(['ACCEPTED']);
  });

  it('accepting on a complaint call resolves it', () => {
    const p = presentOffers(verifiedContact('FEE_COMPLAINT'), catalog, config, NOW).contact;
    const r = applyAnswer({
      contact: p,
      offerId: p.current[0]!,
      response: 'ACCEPTED',
      config,
      catalog,
      now: NOW,
    });
    expect(r.contact).toMatchObject({ stage: 'RESOLVED', outcome: 'RESOLVED' });
  });

  it('declining everything walks retention offers, then cross-sell, then records the closure', () => {
    let c = presentOffers(verifiedContact(), catalog, config, NOW).contact;
    const seen: string[] = [];
    for (let guard = 0; guard < 20 && c.current.length > 0; guard++) {
      const id = c.current[0]!;
      seen.push(id);
      // A decline that empties the table brings the next offers in the same step.
      c = applyAnswer({ contact: c, offerId: id, response: 'DECLINED', config, catalog, now: NOW }).contact;
    }
    const kinds = c.offers.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'RETENTION').length).toBeLessThanOrEqual(
      config.limits.maxRetentionOffers,
    );
    expect(kinds.indexOf('CROSS_SELL')).toBeGreaterThan(kinds.lastIndexOf('RETENTION'));
    expect(new Set(seen).size).toBe(seen.length);
    expect(c).toMatchObject({ stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED' });
    expect(c.history.map((h) => h.stage)).toEqual(['VERIFY', 'CROSS_SELL', 'CLOSED']);
  });

  it('accepting a cross-sell on a closing call sells it and still records the closure request', () => {
    let c: Contact = { ...verifiedContact(), stage: 'CROSS_SELL' };
    c = presentOffers(c, catalog, config, NOW).contact;
    expect(c.offers[0]!.kind).toBe('CROSS_SELL');
    const r = applyAnswer({
      contact: c,
      offerId: c.current[0]!,
      response: 'ACCEPTED',
      config,
      catalog,
      now: NOW,
    });
    expect(r.contact).toMatchObject({ stage: 'CROSS_SOLD', outcome: 'CROSS_SOLD' });
    expect(r.log.map((e) => e.event)).toEqual(['ACCEPTED', 'CLOSURE_REQUESTED']);
  });

  it('with nothing to offer the call closes at once', () => {
    const c: Contact = {
      ...verifiedContact(),
      facts: {
        ...verifiedContact().facts!,
        lifetimeValue: -100,
        travelShare: 0,
        groceriesShare: 0,
        fullPayRatio: 0,
        revolvingBalance: 0,
      },
    };
    const r = presentOffers(c, catalog, config, NOW);
    expect(r.contact).toMatchObject({ stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED', offers: [] });
    expect(r.log.map((e) => e.event)).toEqual(['CLOSURE_REQUESTED']);
  });

  it('an answer is stored once, with the result it produced: the next offers a decline brought', () => {
    const p = presentOffers(verifiedContact(), catalog, config, NOW).contact;
    for (const id of p.current.slice(0, -1))
      expect(
        applyAnswer({
          contact: p,
          offerId: id,
          response: 'DECLINED',
          config,
          catalog,
          now: NOW,
        }).contact.answers.at(-1)!.result,
      ).toEqual({ stage: 'OFFER', offerIds: p.current.filter((x) => x !== id) });
    let c = p;
    for (const id of p.current)
      c = applyAnswer({ contact: c, offerId: id, response: 'DECLINED', config, catalog, now: NOW }).contact;
    // The last decline emptied the table: its result is what followed (new offers, or cross-sell).
    const last = c.answers.at(-1)!;
    expect(last.result).toEqual({
      stage: c.stage,
      offerIds: c.current,
      ...(c.outcome ? { outcome: c.outcome } : {}),
    });
    expect(last.result.offerIds.length + (c.outcome ? 1 : 0)).toBeGreaterThan(0);
    expect(c.answers).toHaveLength(p.current.length);
  });

  it('stamp bumps the version and the times', () => {
    const c = stamp(verifiedContact(), '2026-12-02T00:00:00.000Z');
    expect(c.version).toBe(verifiedContact().version + 1);
    expect(c.updatedAt).toBe('2026-12-02T00:00:00.000Z');
  });
});
