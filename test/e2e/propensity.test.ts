import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import type { LocalStack } from '../../infra/local/stack';
import {
  DynamoPropensityStore,
  PROPENSITY_PK,
  readPropensity,
} from '../../shared/adapters/dynamo/propensity';
import { computeFacts } from '../../shared/domain/facts';
import { propensityFigures } from '../../shared/domain/propensity';
import type { StreamedEvent } from '../../shared/ports';
import type { Account } from '../../shared/schemas/account';
import { FACTORS, premiumAccount } from '../fakes/accounts';
import { localClient } from '../fakes/local-client';
import { putPremiumAccount, startTestStack } from '../fakes/stack';

/**
 * The feature learner on the live path, end to end on the local stack: a contact's start reads the
 * offers' propensity models (in the round trip it already makes) and ranks with each offer's odds
 * for this account, the reasons saying which facts moved them; every answer reaches the learner
 * through the offer log's stream and is learned once; a state that fails validation is never used.
 */
// Every start reads the models as stored (no cache), so that a test sees what it just planted.
process.env.COUNTER_CACHE_MS = '0';

let stack: LocalStack;
type Json = Record<string, any>;
const { http } = localClient(() => stack, '');

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

const PREFIX = '+1555556';
// Two customers of one segment and card: the same year's spend (60,000), one steady, one whose last
// quarter fell to a third of its usual month.
const steady: Partial<Account> = { monthlySpend: Array(12).fill(5000) };
const drifting: Partial<Account> = { monthlySpend: [...Array(9).fill(6000), 2000, 2000, 2000] };

async function closingCall(id: string) {
  const c = await http('POST', '/v1/contacts', {
    channel: 'agent',
    callType: 'CLOSE_ACCOUNT',
    callerPhone: `${PREFIX}${id.slice(-4)}`,
  });
  expect(c.status, JSON.stringify(c.json)).toBe(201);
  const v = await http('POST', `/v1/contacts/${c.json.contactId}/verification`, {
    last4: FACTORS.last4,
    zip: FACTORS.zip,
  });
  expect(v.json.verified, JSON.stringify(v.json)).toBe(true);
  const offers = await http('GET', `/v1/contacts/${c.json.contactId}/offers`);
  expect(offers.status, JSON.stringify(offers.json)).toBe(200);
  const contact = await http('GET', `/v1/contacts/${c.json.contactId}`);
  return {
    contactId: c.json.contactId as string,
    offers: offers.json.offers as Json[],
    contact: contact.json,
  };
}

/**
 * A call decided at the posterior mean: a share of contacts (the exploration share) is decided on
 * weights drawn from the posterior instead, by design at random; their reasons say "explored".
 */
async function decidedOnTheMean(id: string) {
  for (let i = 0; i < 20; i++) {
    const c = await closingCall(id);
    if (!c.offers.some((o) => (o.reasons as string[]).some((r) => / \(explored from /.test(r)))) return c;
  }
  throw new Error('20 contacts in a row explored');
}

/** Answers as the learner would have read them from the log: drifting customers accept, steady ones decline. */
function plantedAnswers(count: number): StreamedEvent[] {
  const now = new Date().toISOString();
  const figuresOf = (over: Partial<Account>) =>
    propensityFigures(computeFacts(premiumAccount(over), now, DEFAULT_CONFIG.value));
  const [fall, keep] = [figuresOf(drifting), figuresOf(steady)];
  return DEFAULT_CONFIG.offers.flatMap((o, k) =>
    Array.from({ length: count }, (_, i): StreamedEvent => {
      const accepted = i % 2 === 0;
      return {
        sequenceNumber: String(100_000 + k * count + i),
        event: {
          contactId: `planted-${k}-${i}`,
          seq: 1,
          at: now,
          event: accepted ? 'ACCEPTED' : 'DECLINED',
          accountId: 'PLANTED',
          callType: 'CLOSE_ACCOUNT',
          channel: 'agent',
          stage: 'RETAINED',
          configVersion: DEFAULT_CONFIG.version,
          offerId: o.offerId,
          learning: { prior: o.acceptProbability, figures: accepted ? fall : keep },
        },
      };
    }),
  );
}

const modelN = async (offerId: string) =>
  (await readPropensity(stack.db, stack.env.LEARNING_TABLE!)).offers[offerId]?.n ?? 0;

describe('propensity learned from the customer’s own facts, live', () => {
  it('two accounts of one segment get different odds, and the reasons name the facts that differ', async () => {
    await new DynamoPropensityStore(stack.db, stack.env.LEARNING_TABLE!).apply(
      'planted',
      plantedAnswers(120),
      1,
    );
    await putPremiumAccount(stack, 'PROP-0001', PREFIX, steady);
    await putPremiumAccount(stack, 'PROP-0002', PREFIX, drifting);
    const [a, b] = [await decidedOnTheMean('PROP-0001'), await decidedOnTheMean('PROP-0002')];
    expect(a.contact.segment.customer).toBe(b.contact.segment.customer);
    expect(a.contact.segment.card).toBe(b.contact.segment.card);
    // The internal copy of the model's odds is not in the contact's view.
    expect(a.contact.propensity).toBeUndefined();
    const shown = (c: typeof a) => new Map(c.offers.map((o) => [o.offerId as string, o]));
    const [sa, sb] = [shown(a), shown(b)];
    const both = [...sa.keys()].filter((id) => sb.has(id));
    expect(both.length, `${[...sa.keys()]} / ${[...sb.keys()]}`).toBeGreaterThan(0);
    for (const id of both) {
      const [oa, ob] = [sa.get(id)!, sb.get(id)!];
      const prior = DEFAULT_CONFIG.offers.find((o) => o.offerId === id)!.acceptProbability;
      // The learned odds moved apart from the prior, the drifting customer's up, the steady one's down.
      expect(ob.economics.acceptProbability).toBeGreaterThan(oa.economics.acceptProbability + 0.2);
      expect(oa.economics.acceptProbability).toBeLessThan(prior);
      const odds = (o: Json) => (o.reasons as string[]).find((r) => r.startsWith('odds '))!;
      expect(odds(ob)).toBe(
        `odds ${ob.economics.acceptProbability.toFixed(2)} (learned from 120 answers; prior ${prior.toFixed(2)})`,
      );
      // What moved them: the last quarter's spend, against the months before and in amount.
      const moved = (o: Json) =>
        (o.reasons as string[])
          .filter((r) => / (raised|lowered) the odds \(/.test(r))
          .map((r) => r.split(' ')[0]);
      for (const o of [oa, ob]) {
        expect(moved(o).length).toBeGreaterThan(0);
        expect(
          moved(o).every((f) => f === 'spendTrend' || f === 'spendLast3m'),
          JSON.stringify(o.reasons),
        ).toBe(true);
      }
      expect(ob.reasons.some((r: string) => r.startsWith('spendTrend < 0.6 raised the odds'))).toBe(true);
    }
  });

  it('an answer reaches the learner through the offer log and is learned once', async () => {
    await putPremiumAccount(stack, 'PROP-0003', PREFIX, steady);
    const call = await closingCall('PROP-0003');
    const offerId = call.offers[0]!.offerId as string;
    await stack.streams.drain();
    const before = await modelN(offerId);
    const r = await http('POST', `/v1/contacts/${call.contactId}/responses`, {
      offerId,
      response: 'DECLINED',
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    // The same answer again (a client's retry): stored once, so learned once.
    await http('POST', `/v1/contacts/${call.contactId}/responses`, { offerId, response: 'DECLINED' });
    await stack.streams.drain();
    expect(await modelN(offerId)).toBe(before + 1);
    await stack.streams.drain();
    expect(await modelN(offerId)).toBe(before + 1);
    // The log entry carries what the learner read: the offer's prior and the account's figures.
    const log = await stack.db.send(
      new QueryCommand({
        TableName: stack.env.OFFER_LOG_TABLE!,
        KeyConditionExpression: 'contactId = :c',
        ExpressionAttributeValues: { ':c': call.contactId },
      }),
    );
    const declined = (log.Items ?? []).filter((e) => e.event === 'DECLINED');
    expect(declined).toHaveLength(1);
    expect(declined[0]!.learning.prior).toBe(
      DEFAULT_CONFIG.offers.find((o) => o.offerId === offerId)!.acceptProbability,
    );
    expect(Object.keys(declined[0]!.learning.figures)).toContain('spendTrend');
  });

  it('the dry-run shows the model’s view of each offer', async () => {
    const r = await http('POST', '/v1/admin/decisions/dry-run', {
      accountId: 'PROP-0002',
      callType: 'CLOSE_ACCOUNT',
      channel: 'agent',
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const views = r.json.propensity.offers as Json[];
    expect(views.length).toBeGreaterThan(0);
    for (const v of views) {
      expect(v.answers).toBeGreaterThanOrEqual(120);
      expect(v.probability).toBeGreaterThan(v.prior);
      expect(v.contributions.some((c: string) => c.startsWith('spendTrend < 0.6 raised the odds'))).toBe(
        true,
      );
    }
    const bad = await http('POST', '/v1/admin/decisions/dry-run', {
      accountId: 'PROP-0002',
      callType: 'CLOSE_ACCOUNT',
      channel: 'fax',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toContain('channel');
  });

  it('a model state that fails validation is never used: the priors decide, and the reasons say so', async () => {
    const key = { callType: PROPENSITY_PK, stat: 'broken-offer' };
    await stack.db.send(
      new PutCommand({
        TableName: stack.env.LEARNING_TABLE!,
        Item: {
          ...key,
          featureSet: '1:1:00000000',
          rev: 1,
          n: 3,
          model: '{"n":3,"mean":[null],"variance":[1]}',
        },
      }),
    );
    try {
      await putPremiumAccount(stack, 'PROP-0004', PREFIX, drifting);
      const c = await closingCall('PROP-0004');
      expect(c.offers.length).toBeGreaterThan(0);
      for (const o of c.offers) {
        const prior = DEFAULT_CONFIG.offers.find((x) => x.offerId === o.offerId)!.acceptProbability;
        expect(o.economics.acceptProbability).toBe(prior);
        expect(o.reasons).toContain(
          `odds ${prior.toFixed(2)}: propensity model state refused (its features are not the ones this code encodes): the catalog priors decide`,
        );
      }
    } finally {
      await stack.db.send(new DeleteCommand({ TableName: stack.env.LEARNING_TABLE!, Key: key }));
    }
  });
});
