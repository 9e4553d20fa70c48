import { describe, expect, it } from 'vitest';
import PERSONAS_JSON from '../../data/personas.json' with { type: 'json' };
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { buildPersonas, PersonasSchema } from '../../infra/local/personas';
import { computeFacts } from '../../shared/domain/facts';
import { compileCatalog } from '../../shared/domain/offers';
import { routeContact } from '../../shared/domain/routing';
import { compileSegmentTable } from '../../shared/domain/segments';
import { verifyFactors } from '../../shared/domain/verification';
import { type Account, AccountSchema } from '../../shared/schemas/account';
import type { CallType } from '../../shared/schemas/config';
import { TEST_PEPPER } from '../fakes/accounts';

const asOf = '2026-11-23';
const customerSegments = compileSegmentTable(DEFAULT_CONFIG.customerSegments);
const cardSegments = compileSegmentTable(DEFAULT_CONFIG.cardSegments);
const catalog = compileCatalog(DEFAULT_CONFIG);
const personas = buildPersonas(asOf, TEST_PEPPER);

function decide(account: Account, callType: CallType = 'CLOSE_ACCOUNT', when = asOf) {
  const facts = computeFacts(account, when, DEFAULT_CONFIG.value);
  const customer = customerSegments.classify(facts).segment;
  const card = cardSegments.classify(facts).segment;
  const { route } = routeContact(DEFAULT_CONFIG.routing, {
    identified: true,
    verification: 'VERIFIED',
    callType,
    customerSegment: customer,
    flags: account.flags,
    annualProfit: facts.annualProfit,
  });
  const ctx = { facts, customerSegment: customer, cardSegment: card, callType };
  return {
    customer,
    card,
    queue: route.queue,
    retention: catalog.rank('RETENTION', ctx).map((o) => o.offer.offerId),
    crossSell: catalog.rank('CROSS_SELL', ctx).map((o) => o.offer.offerId),
  };
}

function byName(prefix: string) {
  const p = personas.find((x) => x.persona.name.startsWith(prefix));
  if (!p) throw new Error(`no persona ${prefix}`);
  return p;
}

const table = personas.map(({ persona, account }) => [persona.name, persona, account] as const);

describe('personas', () => {
  it.each(table)('%s lands in its expected segments and route', (_name, persona, account) => {
    const d = decide(account);
    expect({ customerSegment: d.customer, cardSegment: d.card, routeQueue: d.queue }).toEqual(persona.expect);
  });

  it.each(['2026-01-31', '2026-03-01', '2027-06-15', '2030-12-31'])(
    'keeps every persona in place for a call on %s',
    (when) => {
      for (const { persona, account } of buildPersonas(when, TEST_PEPPER)) {
        const d = decide(account, 'CLOSE_ACCOUNT', when);
        expect(
          { customerSegment: d.customer, cardSegment: d.card, routeQueue: d.queue },
          persona.name,
        ).toEqual(persona.expect);
      }
    },
  );

  it.each(table)(
    '%s has a valid account whose hashes verify the clear factors',
    (_name, persona, account) => {
      expect(AccountSchema.safeParse(account).success).toBe(true);
      expect(account.accountId).toBe(persona.accountId);
      expect(account.phone).toBe(persona.phone);
      const given = {
        last4: persona.last4,
        zip: persona.zip,
        dob: persona.dob,
        ...(persona.pin ? { pin: persona.pin } : {}),
      };
      const r = verifyFactors({
        secrets: account.verification,
        pepper: TEST_PEPPER,
        given,
        callerMatched: true,
        policy: DEFAULT_CONFIG.verification,
        now: `${asOf}T10:00:00Z`,
      });
      expect(r.kind).toBe('verified');
      const json = JSON.stringify(account);
      for (const v of Object.values(given)) expect(json).not.toContain(`"${v}"`);
      expect(json).not.toContain(persona.dob);
    },
  );

  it('has unique ids and phones in the reserved fictional range', () => {
    const ids = personas.map((p) => p.persona.accountId);
    const phones = personas.map((p) => p.persona.phone);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(phones).size).toBe(phones.length);
    for (const id of ids) expect(id).toMatch(/^PER-\d{4}$/);
    for (const ph of phones) expect(ph).toMatch(/^\+155555501(0[1-9]|[1-9]\d)$/);
    expect(new Set(personas.map((p) => p.persona.name)).size).toBe(personas.length);
  });

  it('builds the same accounts for the same asOf', () => {
    expect(buildPersonas(asOf, TEST_PEPPER)).toEqual(personas);
  });

  it('reads data/personas.json through PersonasSchema, in its order', () => {
    expect(PersonasSchema.safeParse(PERSONAS_JSON).success).toBe(true);
    expect(PERSONAS_JSON.map((p) => p.accountId)).toEqual(personas.map((p) => p.persona.accountId));
  });

  it.each([
    [
      "a phone that is not the account id's",
      (ps: any[]) => {
        ps[1].phone = '+15555550199';
      },
      [1, 'phone'],
    ],
    [
      'a duplicate account id',
      (ps: any[]) => {
        ps[2].accountId = ps[1].accountId;
      },
      [2, 'accountId'],
    ],
    [
      'an unknown card product',
      (ps: any[]) => {
        ps[0].account.productCode = 'GOLD';
      },
      [0, 'account', 'productCode'],
    ],
    [
      'eleven months of payments',
      (ps: any[]) => {
        ps[0].account.payments.pop();
      },
      [0, 'account', 'payments'],
    ],
    [
      'spend shares over 1',
      (ps: any[]) => {
        ps[0].account.mix.online = 0.9;
      },
      [0, 'account', 'mix'],
    ],
    [
      'a field the schema does not know',
      (ps: any[]) => {
        ps[0].nickname = 'Avy';
      },
      [0],
    ],
  ])('refuses %s', (_, mutate, path) => {
    const ps = structuredClone(PERSONAS_JSON) as any[];
    mutate(ps);
    const r = PersonasSchema.safeParse(ps);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path)).toContainEqual(path);
  });

  it('offers the fee-sensitive persona the no-fee product change when she asks to close', () => {
    expect(decide(byName('Elena').account).retention).toContain('no-fee-product-change');
  });

  it('cross-sells the travel card to the traveller', () => {
    expect(decide(byName('Hiro').account).crossSell).toContain('travel-card');
  });

  it('cross-sells the cashback card to the grocery shopper', () => {
    expect(decide(byName('Isla').account).crossSell).toContain('cashback-card');
  });

  it('refunds the late fee of the customer who was late once, on a fee complaint', () => {
    expect(decide(byName('Jonas').account, 'FEE_COMPLAINT').retention).toContain('late-fee-refund');
  });

  it('offers the premium transactor fee offers and the new customer a welcome bonus', () => {
    expect(decide(byName('Ava').account).retention).toContain('annual-fee-waiver');
    expect(decide(byName('Chloe').account).retention).toContain('new-customer-bonus');
    expect(decide(byName('Dev').account).retention).toContain('dormant-spend-credit');
    expect(decide(byName('Ben').account).retention).toContain('apr-cut-6m');
  });

  it('makes no retention offer to the high-risk customer', () => {
    const d = decide(byName('Kai').account);
    expect(d.retention).toEqual([]);
    expect(d.crossSell).toEqual([]);
  });

  it('routes the fraud-hold and delinquent personas away from sales', () => {
    expect(decide(byName('Grace').account).queue).toBe('FRAUD');
    expect(decide(byName('Frank').account).queue).toBe('COLLECTIONS');
    for (const callType of ['FEE_COMPLAINT', 'GENERAL_INQUIRY'] as const) {
      expect(decide(byName('Grace').account, callType).queue).toBe('FRAUD');
      expect(decide(byName('Frank').account, callType).queue).toBe('COLLECTIONS');
    }
  });
});
