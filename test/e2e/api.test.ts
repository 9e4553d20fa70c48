import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import PERSONAS from '../../data/personas.json' with { type: 'json' };
import { buildApp } from '../../infra/build-app';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { budgetItemKey, COST } from '../../shared/adapters/dynamo/counters';
import { METRICS, METRICS_NAMESPACE } from '../../shared/domain/metrics';
import { FACTORS, premiumAccount, TEST_PEPPER } from '../fakes/accounts';
import { localClient } from '../fakes/local-client';
import { captureLogs } from '../fakes/logs';
import { metricReferences } from '../infra/metric-references';

/** The local stack driven over HTTP the way a client would: every persona, and every kind of bad input. */
let stack: LocalStack;
/** Every line the functions log during the suite, read by the PII test at the end. */
let logs: ReturnType<typeof captureLogs> | undefined;
const logLines = (): string[] => logs?.lines ?? [];
beforeAll(async () => {
  // The functions' logger is built when the stack imports them: at INFO, so there is something to inspect.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  // And the metric lines, so the metrics test below reads what the functions publish.
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  logs = captureLogs();
  // The operator's pepper file (--pepper-file): the fake accounts below are hashed with it.
  const pepperFile = join(mkdtempSync(join(tmpdir(), 'rd-pepper-')), 'pepper');
  writeFileSync(pepperFile, `${TEST_PEPPER}\n`, { mode: 0o600 });
  stack = await startLocalStack({ port: 0, accounts: 200, pepperFile });
});
afterAll(async () => {
  logs?.restore();
  await stack?.stop();
});

type Json = Record<string, any>;
const { http } = localClient(() => stack, '');
const scan = async (table: string) =>
  (await stack.db.send(new ScanCommand({ TableName: table }))).Items ?? [];
const snapshot = async () => ({
  contacts: await scan(stack.env.CONTACTS_TABLE!),
  log: await scan(stack.env.OFFER_LOG_TABLE!),
});

async function startCall(phone: string, callType = 'CLOSE_ACCOUNT') {
  const r = await http('POST', '/v1/contacts', { channel: 'agent', callType, callerPhone: phone });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json as { contactId: string; stage: string; route: Json };
}
/**
 * A customer of its own for a test: a profitable premium transactor with no offer history (the
 * personas' histories fill up as the suite declines their offers, and the contact policy then
 * suppresses those offers for 30 days).
 */
let fresh = 0;
async function freshCustomerCall() {
  const n = ++fresh;
  const phone = `+1555555019${n}`;
  await stack.db.send(
    new PutCommand({
      TableName: stack.env.ACCOUNTS_TABLE!,
      Item: premiumAccount({ accountId: `E2E-FRESH-${n}`, phone }),
    }),
  );
  const c = await startCall(phone);
  const v = await http('POST', `/v1/contacts/${c.contactId}/verification`, {
    last4: FACTORS.last4,
    zip: FACTORS.zip,
  });
  expect(v.json.verified).toBe(true);
  return c;
}

async function verifiedCall(personaIndex = 0) {
  const p = stack.personas[personaIndex]!.persona;
  const c = await startCall(p.phone);
  const v = await http('POST', `/v1/contacts/${c.contactId}/verification`, {
    last4: p.last4,
    zip: p.zip,
    dob: p.dob,
  });
  return { ...c, verify: v, persona: p };
}

const TERMINAL = ['RETAINED', 'RESOLVED', 'CROSS_SOLD', 'CLOSED', 'ROUTED', 'UNIDENTIFIED', 'LOCKED'];

describe('every persona can be taken through a whole call over HTTP', () => {
  it('the stack seeds exactly the personas of personas.json', () =>
    expect(stack.personas.map((p) => p.persona.accountId)).toEqual(PERSONAS.map((p) => p.accountId)));

  it.each(PERSONAS.map((p, i) => [p.name, i] as const))('%s', async (_name, i) => {
    const p = stack.personas[i]!.persona;
    expect(p.accountId).toBe(PERSONAS[i]!.accountId);
    const c = await startCall(p.phone);
    expect(c.route.queue).toBeDefined();
    let stage = c.stage;
    if (stage === 'VERIFY') {
      const v = await http('POST', `/v1/contacts/${c.contactId}/verification`, {
        last4: p.last4,
        zip: p.zip,
        dob: p.dob,
      });
      expect(v.status).toBe(200);
      expect(v.json.verified).toBe(true);
      stage = v.json.stage;
      expect(v.json.route.queue).toBe(p.expect.routeQueue);
    } else {
      expect(c.route.queue).toBe(p.expect.routeQueue);
    }
    let offers = await http('GET', `/v1/contacts/${c.contactId}/offers`);
    expect(offers.status).toBe(200);
    // Decline everything but accept the last offer of odd personas: both endings are exercised.
    for (let n = 0; n < 12 && offers.json.offers.length > 0; n++) {
      const o = offers.json.offers[0];
      expect(o).toMatchObject({
        offerId: expect.any(String),
        kind: expect.stringMatching(/RETENTION|CROSS_SELL/),
        script: expect.any(String),
      });
      expect(o.economics.expectedNetValue).toBeGreaterThan(0);
      const accept = i % 2 === 1 && offers.json.offers.length === 1;
      offers = await http('POST', `/v1/contacts/${c.contactId}/responses`, {
        offerId: o.offerId,
        response: accept ? 'ACCEPTED' : 'DECLINED',
      });
      expect(offers.status).toBe(200);
    }
    const final = await http('GET', `/v1/contacts/${c.contactId}`);
    expect(final.status).toBe(200);
    expect(TERMINAL).toContain(final.json.stage);
    expect(final.json.segment.customer).toBe(p.expect.customerSegment);
  });
});

describe('answers', () => {
  it('a repeated identical answer returns the first result; a different second answer is a 409', async () => {
    const c = await freshCustomerCall();
    const offers = await http('GET', `/v1/contacts/${c.contactId}/offers`);
    const id = offers.json.offers[0].offerId;
    const first = await http(
      'POST',
      `/v1/contacts/${c.contactId}/responses`,
      { offerId: id, response: 'DECLINED' },
      { 'Idempotency-Key': 'answer-0001' },
    );
    const again = await http(
      'POST',
      `/v1/contacts/${c.contactId}/responses`,
      { offerId: id, response: 'DECLINED' },
      { 'Idempotency-Key': 'answer-0001' },
    );
    // The same answer (headers aside: a Date header moves when the two straddle a second).
    expect({ status: again.status, json: again.json }).toEqual({ status: first.status, json: first.json });
    const other = await http('POST', `/v1/contacts/${c.contactId}/responses`, {
      offerId: id,
      response: 'ACCEPTED',
    });
    expect(other.status).toBe(409);
    expect(other.type).toBe('application/problem+json');
    const reused = await http(
      'POST',
      `/v1/contacts/${c.contactId}/responses`,
      { offerId: offers.json.offers[1]?.offerId ?? 'half-fee-credit', response: 'DECLINED' },
      { 'Idempotency-Key': 'answer-0001' },
    );
    expect(reused.status).toBe(422);
  });

  it('concurrent identical answers are recorded once', async () => {
    const c = await freshCustomerCall();
    const offers = await http('GET', `/v1/contacts/${c.contactId}/offers`);
    const id = offers.json.offers[0].offerId;
    const rs = await Promise.all(
      Array.from({ length: 5 }, () =>
        http('POST', `/v1/contacts/${c.contactId}/responses`, { offerId: id, response: 'ACCEPTED' }),
      ),
    );
    expect(rs.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const r of rs) expect([200, 409]).toContain(r.status);
    const log = (await scan(stack.env.OFFER_LOG_TABLE!)).filter(
      (e) => e.contactId === c.contactId && e.event === 'ACCEPTED',
    );
    expect(log).toHaveLength(1);
    const contact = await http('GET', `/v1/contacts/${c.contactId}`);
    expect(contact.json.answers).toHaveLength(1);
  });

  it('an offer declined on one call is not offered again on the next call of the same customer (contact policy)', async () => {
    const first = await freshCustomerCall();
    const offers = await http('GET', `/v1/contacts/${first.contactId}/offers`);
    const declined = offers.json.offers[0].offerId;
    await http('POST', `/v1/contacts/${first.contactId}/responses`, {
      offerId: declined,
      response: 'DECLINED',
    });
    // The same customer calls again.
    const phone = `+1555555019${fresh}`;
    const again = await startCall(phone);
    await http('POST', `/v1/contacts/${again.contactId}/verification`, {
      last4: FACTORS.last4,
      zip: FACTORS.zip,
    });
    const next = await http('GET', `/v1/contacts/${again.contactId}/offers`);
    expect(next.json.offers.length).toBeGreaterThan(0);
    expect(next.json.offers.map((o: Json) => o.offerId)).not.toContain(declined);
  });

  it('offers before verification are a 409; an answer to an offer never presented is a 409', async () => {
    const p = stack.personas[0]!.persona;
    const c = await startCall(p.phone, 'FEE_COMPLAINT');
    expect((await http('GET', `/v1/contacts/${c.contactId}/offers`)).status).toBe(409);
    await http('POST', `/v1/contacts/${c.contactId}/verification`, { last4: p.last4, zip: p.zip });
    await http('GET', `/v1/contacts/${c.contactId}/offers`);
    const r = await http('POST', `/v1/contacts/${c.contactId}/responses`, {
      offerId: 'never-presented',
      response: 'ACCEPTED',
    });
    expect(r.status).toBe(409);
    expect(r.json.detail).toContain('never-presented');
  });

  it('three wrong verifications answer 423 and route to security', async () => {
    const p = stack.personas.find((x) => x.persona.expect.customerSegment === 'NEW')!.persona;
    const c = await startCall(p.phone);
    const wrong = { last4: p.last4 === '9999' ? '1111' : '9999', zip: p.zip };
    expect((await http('POST', `/v1/contacts/${c.contactId}/verification`, wrong)).json).toMatchObject({
      verified: false,
      attemptsLeft: 2,
    });
    expect((await http('POST', `/v1/contacts/${c.contactId}/verification`, wrong)).json).toMatchObject({
      verified: false,
      attemptsLeft: 1,
    });
    const locked = await http('POST', `/v1/contacts/${c.contactId}/verification`, wrong);
    expect(locked.status).toBe(423);
    expect(locked.json).toMatchObject({ stage: 'LOCKED', attemptsLeft: 0, route: { queue: 'SECURITY' } });
  });
});

describe('the API described', () => {
  it('serves its OpenAPI 3.1 document to any desk, ops or product-owner token, and to nobody without one', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const r = await http('GET', '/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^application\/json/);
    expect(await new Validator().validate(r.json as never)).toEqual({ valid: true });
    expect(Object.keys(r.json.paths)).toContain('/v1/contacts/{contactId}/closure');
    const client = localClient(() => stack, '');
    expect((await client.as({ roles: ['ops'] }).http('GET', '/v1/openapi.json')).status).toBe(200);
    expect((await client.as({ roles: ['productOwner'] }).http('GET', '/v1/openapi.json')).status).toBe(200);
    expect((await client.as(null).http('GET', '/v1/openapi.json')).status).toBe(401);
  });
});

describe('bad input: a 4xx problem naming the problem, never a 5xx, nothing written', () => {
  it('every bad request is refused cleanly and the tables are unchanged', async () => {
    const c = await verifiedCall(0);
    const id = c.contactId;
    const before = await snapshot();
    const cases: Array<[string, string, string, unknown, number, string?]> = [
      ['empty body', 'POST', '/v1/contacts', '', 400, '(body)'],
      ['malformed JSON', 'POST', '/v1/contacts', '{"channel": "voice",', 400, '(body)'],
      [
        'wrong type',
        'POST',
        '/v1/contacts',
        { channel: 'voice', callType: 42, callerPhone: '+15555550101' },
        400,
        'callType',
      ],
      [
        'unknown enum',
        'POST',
        '/v1/contacts',
        { channel: 'fax', callType: 'CLOSE_ACCOUNT', callerPhone: '+15555550101' },
        400,
        'channel',
      ],
      [
        'unknown field',
        'POST',
        '/v1/contacts',
        { channel: 'voice', callType: 'CLOSE_ACCOUNT', callerPhone: '+15555550101', ssn: '1' },
        400,
        'ssn',
      ],
      [
        'unknown field in verification',
        'POST',
        `/v1/contacts/${id}/verification`,
        { last4: '1234', cvv: '123' },
        400,
        'cvv',
      ],
      [
        'wrong type in answer',
        'POST',
        `/v1/contacts/${id}/responses`,
        { offerId: 7, response: 'ACCEPTED' },
        400,
        'offerId',
      ],
      [
        'oversized body',
        'POST',
        '/v1/contacts',
        { channel: 'voice', callType: 'CLOSE_ACCOUNT', externalContactId: 'a'.repeat(10_000) },
        413,
      ],
      ['huge body', 'POST', '/v1/contacts', 'x'.repeat(200_000), 413],
      ['unknown contact', 'GET', '/v1/contacts/00000000-0000-4000-8000-000000000404', undefined, 404],
      [
        'unknown contact, answer',
        'POST',
        '/v1/contacts/00000000-0000-4000-8000-000000000404/responses',
        { offerId: 'annual-fee-waiver', response: 'ACCEPTED' },
        404,
      ],
      ['malformed contact id', 'GET', '/v1/contacts/%27%20OR%201=1', undefined, 400, 'contactId'],
      [
        'answer to an offer never presented',
        'POST',
        `/v1/contacts/${id}/responses`,
        { offerId: 'no-such-offer', response: 'ACCEPTED' },
        409,
      ],
      ['verify twice', 'POST', `/v1/contacts/${id}/verification`, { last4: '1234', zip: '12345' }, 409],
      ['unknown route', 'GET', '/v1/accounts', undefined, 404],
      ['wrong method', 'DELETE', `/v1/contacts/${id}`, undefined, 405],
    ];
    for (const [name, method, path, body, status, field] of cases) {
      const r = await http(method, path, body);
      expect(r.status, `${name}: ${JSON.stringify(r.json)}`).toBe(status);
      expect(r.type, name).toBe('application/problem+json');
      expect(r.json, name).toMatchObject({
        type: expect.any(String),
        title: expect.any(String),
        status,
        detail: expect.any(String),
      });
      if (field)
        expect(
          r.json.errors.map((e: Json) => e.path),
          name,
        ).toContain(field);
      expect(JSON.stringify(r.json), name).not.toMatch(/at \w+ \(|node_modules|\.ts:\d+/);
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('no secrets at rest or in logs', () => {
  it('contacts and the offer log hold no phone number, date of birth or clear factor; the logs of the whole suite neither', async () => {
    expect(logLines().length).toBeGreaterThan(100);
    expect(logLines().some((l) => l.includes('"task":"DecideTurn"'))).toBe(true);
    const stored = JSON.stringify(await snapshot());
    const logged = logLines().join('');
    for (const { persona: p } of stack.personas) {
      for (const secret of [p.phone, p.phone.slice(2), p.dob]) {
        expect(stored).not.toContain(secret);
        expect(logged).not.toContain(secret);
      }
      for (const f of [p.last4, p.zip, p.pin].filter(Boolean)) {
        expect(stored).not.toContain(`"${f}"`);
        expect(logged).not.toContain(`"${f}"`);
      }
    }
  });
});

describe('metrics: what the functions publish during the suite', () => {
  // Two things the rest of the suite does not play: an accept refused by its budget cap, and a turn
  // that falls back (DynamoDB throttling every write: the safe route).
  beforeAll(async () => {
    const offered = [];
    for (let i = 0; i < 5 && offered.length === 0; i++) {
      const c = await freshCustomerCall();
      const o = await http('GET', `/v1/contacts/${c.contactId}/offers`);
      if (o.json.offers.some((x: Json) => x.offerId === 'annual-fee-waiver')) offered.push(c);
    }
    expect(offered, 'a fresh premium customer is offered the annual fee waiver').toHaveLength(1);
    // The month's budget of the waiver (maxCost 250,000) spent since it was presented.
    const month = new Date().toISOString().slice(0, 7);
    await stack.db.send(
      new PutCommand({
        TableName: stack.env.COUNTERS_TABLE!,
        Item: { pk: budgetItemKey('MONTH', month), [`${COST}annual-fee-waiver`]: 250_000 },
      }),
    );
    const refused = await http('POST', `/v1/contacts/${offered[0]!.contactId}/responses`, {
      offerId: 'annual-fee-waiver',
      response: 'ACCEPTED',
    });
    expect(refused.status).toBe(409);
    await stack.db.send(
      new DeleteCommand({ TableName: stack.env.COUNTERS_TABLE!, Key: { pk: budgetItemKey('MONTH', month) } }),
    );
    stack.faults.fail('ProvisionedThroughputExceededException', { ops: ['TransactWriteItems'] });
    try {
      const r = await http('POST', '/v1/contacts', {
        channel: 'agent',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: '+15555550177',
      });
      expect(r.status).toBe(503);
    } finally {
      stack.faults.reset();
    }
    // The canary's call (its timer is off in tests): its own metrics, and none of the business ones.
    expect(await stack.canary.run()).toMatchObject({ passed: true });
    // And PublishFunnels' run (its 5-minute timer does not fire in a suite): the strategies' gauges.
    expect((await stack.funnels.publish()).strategies.length).toBeGreaterThan(0);
  });

  /** Every embedded-metric line logged: its namespace, and each metric with the dimension sets it went under. */
  const emf = () =>
    logLines()
      .filter((l) => l.startsWith('{"_aws"'))
      .map((l) => JSON.parse(l) as Json);

  it('every turn publishes under the catalog: one namespace, each metric under exactly its dimension sets, bounded values', () => {
    const lines = emf();
    expect(lines.length).toBeGreaterThan(100);
    const seen = new Map<string, Set<string>>();
    for (const line of lines) {
      for (const directive of line._aws.CloudWatchMetrics) {
        expect(directive.Namespace).toBe(METRICS_NAMESPACE);
        for (const m of directive.Metrics) {
          const spec = METRICS[m.Name as keyof typeof METRICS];
          expect(spec, m.Name).toBeDefined();
          // Exactly the catalog's sets (no `service` added, nothing crossed).
          expect(directive.Dimensions, m.Name).toEqual(spec.sets);
          expect(typeof line[m.Name], m.Name).toBe('number');
          for (const d of spec.sets.flat()) {
            expect(typeof line[d], `${m.Name}.${d}`).toBe('string');
            // Never an id: no contact id, account id, UUID or phone number as a dimension value.
            expect(line[d], `${m.Name}.${d}`).not.toMatch(/^(E2E-|ACC-)|[0-9a-f]{8}-[0-9a-f]{4}|^\+?\d{7,}/);
          }
          const values = seen.get(m.Name) ?? new Set<string>();
          values.add(
            spec.sets
              .flat()
              .map((d) => `${d}=${line[d]}`)
              .join(','),
          );
          seen.set(m.Name, values);
        }
      }
    }
    // The suite plays starts, verifications (right and wrong), offers, answers both ways and outcomes.
    for (const name of [
      'Turns',
      'TurnLatency',
      'AdapterLatency',
      'ContactsStarted',
      'Verifications',
      'Routes',
      'StageReached',
      'OffersPresented',
      'OfferAnswers',
      'Outcomes',
      'IncentiveSpend',
      'ValueKept',
    ] as const)
      expect(seen.has(name), `${name} published`).toBe(true);
    expect([...seen.get('OfferAnswers')!].some((v) => v.includes('response=ACCEPTED'))).toBe(true);
    expect([...seen.get('OfferAnswers')!].some((v) => v.includes('response=DECLINED'))).toBe(true);
    expect([...seen.get('Verifications')!].some((v) => v.includes('result=WRONG_FACTORS'))).toBe(true);
  });

  it('every metric the dashboard and the alarms name, under the dimensions they name, was published', () => {
    const published = new Set(
      emf().flatMap((line) =>
        (line._aws.CloudWatchMetrics as Json[]).flatMap((d) =>
          (d.Metrics as Json[]).flatMap((m) =>
            (d.Dimensions as string[][]).map((set) => `${m.Name} {${[...set].sort().join(',')}}`),
          ),
        ),
      ),
    );
    const { service } = buildApp({ bundling: false });
    const refs = metricReferences(Template.fromStack(service).toJSON());
    expect(refs.length).toBeGreaterThan(30);
    const missing = refs
      .map((r) => `${r.name} {${[...r.dimensions].sort().join(',')}}`)
      .filter((r) => !published.has(r));
    expect([...new Set(missing)]).toEqual([]);
  });

  it('a stored turn is counted once: as many ContactsStarted as new contacts in the table', async () => {
    const started = emf().filter((l) => 'ContactsStarted' in l).length;
    // The canary's contact is synthetic: counted in no business metric.
    const contacts = (await scan(stack.env.CONTACTS_TABLE!)).filter((c) => !c.synthetic).length;
    expect(started).toBe(contacts);
  });
});
