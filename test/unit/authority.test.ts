import { describe, expect, it } from 'vitest';
import {
  admitTurn,
  applyAnswer,
  assignAgent,
  isSelfService,
  newContact,
  presentOffers,
} from '../../shared/domain/call';
import { computeFacts } from '../../shared/domain/facts';
import { compileCatalog } from '../../shared/domain/offers';
import type { TurnInput } from '../../shared/schemas/api';
import { CALL_TYPES, type DecisionConfig } from '../../shared/schemas/config';
import type { Channel, Contact } from '../../shared/schemas/contact';
import type { Actor, Role } from '../../shared/schemas/identity';
import { config, makeAccount, NOW, premiumAccount } from '../fakes/accounts';

const ID = '5ca32fbd-8f92-46af-92a5-6b0f970f0efe';
const catalog = compileCatalog(config);
const authorityOf = (id: string) => config.offers.find((o) => o.offerId === id)?.authority ?? 'AGENT';
const person = (...roles: Role[]): Actor => ({
  sub: `sub-${roles.join('-')}`,
  username: roles.join('.'),
  roles,
});

function contactOn(
  channel: Channel,
  account = premiumAccount(),
  callType: Contact['callType'] = 'CLOSE_ACCOUNT',
): Contact {
  const c = newContact({
    contactId: ID,
    request: { channel, callType, accountId: account.accountId },
    now: NOW,
    accountId: account.accountId,
    callerMatched: false,
    config,
  });
  return {
    ...c,
    stage: 'OFFER',
    facts: computeFacts(account, NOW, config.value),
    segment: { customer: 'PREMIUM_TRANSACTOR', card: 'PREMIUM', reasons: [] },
    verification: { ...c.verification, status: 'VERIFIED' },
  };
}

/** The same contact with `offerId` on the table. */
function withOffer(c: Contact, offerId: string): Contact {
  const o = config.offers.find((x) => x.offerId === offerId)!;
  return {
    ...c,
    offers: [
      {
        offerId,
        kind: o.kind,
        title: o.title,
        scripts: o.scripts,
        reasons: [],
        economics: { cost: 1, customerValue: 2, acceptProbability: 0.5, expectedNetValue: 0.5 },
        authority: o.authority ?? 'AGENT',
        presentedAt: NOW,
      },
    ],
    current: [offerId],
  };
}

const answer = (offerId: string, response: 'ACCEPTED' | 'DECLINED', actor?: Actor): TurnInput => ({
  action: 'respond',
  now: NOW,
  contactId: ID,
  request: { offerId, response },
  ...(actor ? { actor } : {}),
});

describe('an offer is granted only with its authority', () => {
  it('the default catalog has offers of each authority (so the cases below mean something)', () => {
    expect(authorityOf('annual-fee-waiver')).toBe('SPECIALIST');
    expect(authorityOf('credit-line-increase')).toBe('SUPERVISOR');
    expect(authorityOf('apr-cut-6m')).toBe('AGENT');
  });

  it.each<[string, Role[], string, 'proceed' | 'rejected']>([
    ['an agent accepts an agent offer', ['agent'], 'apr-cut-6m', 'proceed'],
    ['an agent accepts a specialist offer', ['agent'], 'annual-fee-waiver', 'rejected'],
    ['an agent accepts a supervisor offer', ['agent'], 'credit-line-increase', 'rejected'],
    ['a specialist accepts a specialist offer', ['specialist'], 'annual-fee-waiver', 'proceed'],
    ['a specialist accepts a supervisor offer', ['specialist'], 'credit-line-increase', 'rejected'],
    ['a supervisor accepts a supervisor offer', ['supervisor'], 'credit-line-increase', 'proceed'],
    ['a supervisor accepts an agent offer', ['supervisor'], 'apr-cut-6m', 'proceed'],
    ['an agent who is also a supervisor', ['agent', 'supervisor'], 'credit-line-increase', 'proceed'],
    ['ops (no desk authority) accepts an agent offer', ['ops'], 'apr-cut-6m', 'rejected'],
  ])('%s: %s', (_, roles, offerId, kind) => {
    const a = admitTurn(
      answer(offerId, 'ACCEPTED', person(...roles)),
      withOffer(contactOn('agent'), offerId),
    );
    expect(a.kind).toBe(kind);
    if (a.kind === 'rejected')
      expect(a.problem).toMatchObject({ name: 'InsufficientAuthority', status: 403 });
  });

  it('the refusal says who may: "needs a supervisor", with the roles that hold that authority', () => {
    const a = admitTurn(
      answer('credit-line-increase', 'ACCEPTED', person('agent')),
      withOffer(contactOn('agent'), 'credit-line-increase'),
    );
    expect(a).toMatchObject({
      kind: 'rejected',
      problem: {
        detail: expect.stringContaining('needs a supervisor'),
        extensions: { requiredAuthority: 'SUPERVISOR', requiredRoles: ['supervisor'] },
      },
    });
    const s = admitTurn(
      answer('annual-fee-waiver', 'ACCEPTED', person('agent')),
      withOffer(contactOn('agent'), 'annual-fee-waiver'),
    );
    expect(s).toMatchObject({ problem: { extensions: { requiredRoles: ['specialist', 'supervisor'] } } });
  });

  it('declining grants nothing: an agent may record that the customer declined a supervisor offer', () => {
    const c = withOffer(contactOn('agent'), 'credit-line-increase');
    expect(admitTurn(answer('credit-line-increase', 'DECLINED', person('agent')), c).kind).toBe('proceed');
  });

  it('a turn with no person (a self-service channel) has an agent authority: a specialist offer is refused', () => {
    const c = withOffer(contactOn('voice'), 'annual-fee-waiver');
    expect(admitTurn(answer('annual-fee-waiver', 'ACCEPTED'), c)).toMatchObject({
      kind: 'rejected',
      problem: { name: 'InsufficientAuthority' },
    });
  });
});

describe('who answered is recorded', () => {
  it('on the contact’s answer and on the offer-log event: the sub and the username, not the roles', () => {
    const r = applyAnswer({
      contact: withOffer(contactOn('agent'), 'annual-fee-waiver'),
      offerId: 'annual-fee-waiver',
      response: 'ACCEPTED',
      config,
      catalog,
      now: NOW,
      actor: person('specialist'),
    });
    const by = { sub: 'sub-specialist', username: 'specialist' };
    expect(r.contact.answers.at(-1)).toMatchObject({ offerId: 'annual-fee-waiver', by });
    expect(r.log.find((e) => e.event === 'ACCEPTED')).toMatchObject({ offerId: 'annual-fee-waiver', by });
  });

  it('a self-service answer records no person', () => {
    const r = applyAnswer({
      contact: withOffer(contactOn('voice'), 'apr-cut-6m'),
      offerId: 'apr-cut-6m',
      response: 'DECLINED',
      config,
      catalog,
      now: NOW,
    });
    expect(r.contact.answers.at(-1)!.by).toBeUndefined();
    expect(r.log[0]!.by).toBeUndefined();
  });
});

/** Walks a whole contact declining everything, as a channel would; returns every offer presented. */
function walk(c0: Contact, actor?: Actor, cfg: DecisionConfig = config, cat = catalog) {
  let c = presentOffers(c0, cat, cfg, NOW, new Map(), undefined, actor).contact;
  for (let guard = 0; guard < 30 && c.current.length > 0; guard++) {
    c = applyAnswer({
      contact: c,
      offerId: c.current[0]!,
      response: 'DECLINED',
      config: cfg,
      catalog: cat,
      now: NOW,
      counters: new Map(),
      ...(actor ? { actor } : {}),
    }).contact;
  }
  return c;
}

describe('the self-service channels never present an offer above agent authority', () => {
  const accounts = [
    premiumAccount(),
    makeAccount(),
    premiumAccount({ creditLimit: 3000, balance: 2900, revolvingBalance: 2800 }),
    makeAccount({ riskScore: 0.01, balance: 100 }),
  ];
  const cases = accounts.flatMap((a, i) =>
    CALL_TYPES.flatMap((t) => (['voice', 'chat'] as const).map((ch) => [`account ${i}`, t, ch, a] as const)),
  );

  it.each(cases)(
    '%s, %s by %s: every offer presented in the whole walk is of agent authority',
    (_, t, ch, a) => {
      const c = walk(contactOn(ch, a, t));
      expect(c.offers.filter((o) => (o.authority ?? 'AGENT') !== 'AGENT').map((o) => o.offerId)).toEqual([]);
    },
  );

  it('the same customer on the agent desktop is presented the specialist fee waiver (the filter is the channel)', () => {
    expect(isSelfService(contactOn('agent'), undefined)).toBe(false);
    const desk = presentOffers(contactOn('agent'), catalog, config, NOW).contact;
    expect(desk.current).toContain('annual-fee-waiver');
    const voice = presentOffers(contactOn('voice'), catalog, config, NOW).contact;
    expect(voice.current).not.toContain('annual-fee-waiver');
    expect(voice.current.length).toBeGreaterThan(0);
  });

  it('a voice contact a desk person acts on, or has picked up, is not self-service', () => {
    const voice = contactOn('voice');
    expect(isSelfService(voice, undefined)).toBe(true);
    expect(isSelfService(voice, person('agent'))).toBe(false);
    const picked = assignAgent(voice, person('specialist'), NOW);
    expect(picked.agent).toEqual({ sub: 'sub-specialist', username: 'specialist', since: NOW });
    expect(isSelfService(picked, undefined)).toBe(false);
    expect(presentOffers(picked, catalog, config, NOW).contact.current).toContain('annual-fee-waiver');
  });

  // Every retention offer needs a specialist: the channel has nothing of its own to offer.
  const specialistOnly: DecisionConfig = {
    ...config,
    offers: config.offers.map((o) => (o.kind === 'RETENTION' ? { ...o, authority: 'SPECIALIST' } : o)),
  };
  const specialistCatalog = compileCatalog(specialistOnly);

  it('when only offers above its authority are left, the channel routes the customer to a person instead', () => {
    const r = presentOffers(contactOn('voice'), specialistCatalog, specialistOnly, NOW);
    expect(r.contact.current).toEqual([]);
    expect(r.log).toEqual([]);
    expect(r.contact.stage).toBe('OFFER');
    expect(r.contact.route).toMatchObject({ queue: 'RETENTION_SPECIALIST', ruleId: 'AUTHORITY_HANDOVER' });
    expect(r.contact.route.reasons[0]).toMatch(/^offers left need a specialist \(.*annual-fee-waiver.*\)/);
    expect(r.contact.handover).toMatchObject({ authority: 'SPECIALIST', at: NOW });
    // Not moved on to cross-sell or closed: the person takes it from the retention offers.
    expect(r.contact.history.map((h) => h.stage)).toEqual(['VERIFY']);
  });

  it('a person who then takes the contact is presented those offers', () => {
    const handed = presentOffers(contactOn('voice'), specialistCatalog, specialistOnly, NOW).contact;
    const picked = presentOffers(
      assignAgent(handed, person('specialist'), NOW),
      specialistCatalog,
      specialistOnly,
      NOW,
    ).contact;
    expect(picked.current).toContain('annual-fee-waiver');
  });

  it('the same walk on the desk goes on to cross-sell and the closure, as before', () => {
    const c = walk(contactOn('agent'), undefined, specialistOnly, specialistCatalog);
    expect(c).toMatchObject({ stage: 'CLOSED', outcome: 'CLOSURE_REQUESTED' });
    expect(c.handover).toBeUndefined();
  });
});
