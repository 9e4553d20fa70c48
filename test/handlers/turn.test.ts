import { describe, expect, it } from 'vitest';
import { makeHandler as decideTurn } from '../../functions/decide-turn';
import { makeHandler as saveTurn } from '../../functions/save-turn';
import type { DecideOutput, Saved } from '../../shared/application/turn';
import type { TurnInput } from '../../shared/schemas/api';
import { FACTORS, NOW, premiumAccount, TEST_CONTACT_KEY, TEST_PEPPER } from '../fakes/accounts';
import { fixedConfig, MemoryStores } from '../fakes/stores';

const context = { functionName: 'task', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 2000 } as never;
const account = premiumAccount();

function handlers(stores = new MemoryStores([account])) {
  const config = fixedConfig();
  return {
    stores,
    decide: decideTurn({
      contacts: stores,
      accounts: stores.accountStore,
      config,
      counters: stores.counters,
      contactKey: async () => TEST_CONTACT_KEY,
      pepper: async () => TEST_PEPPER,
    }),
    save: saveTurn({ store: stores, contacts: stores, accounts: stores.accountStore }),
  };
}
type H<E, R> = (e: E, c: never) => Promise<R>;
const decideOf = (h: ReturnType<typeof handlers>, input: TurnInput) =>
  (h.decide as unknown as H<TurnInput, DecideOutput>)(input, context);
const saveOf = (h: ReturnType<typeof handlers>, plan: DecideOutput) =>
  (h.save as unknown as H<{ plan: DecideOutput }, Saved>)({ plan }, context);
/** A turn as the state machine runs it: DecideTurn, then SaveTurn for a plan that writes. */
async function turn(h: ReturnType<typeof handlers>, input: TurnInput): Promise<DecideOutput | Saved> {
  const plan = await decideOf(h, input);
  return plan.kind === 'write' ? saveOf(h, plan) : plan;
}
const verifyTurn = (h: ReturnType<typeof handlers>, contactId: string, request: Record<string, string>) =>
  turn(h, { action: 'verify', now: NOW, contactId, request });
const closeCall = {
  action: 'start' as const,
  now: NOW,
  request: { channel: 'voice' as const, callType: 'CLOSE_ACCOUNT' as const, accountId: account.accountId },
};
const contactOf = (t: DecideOutput | Saved) => ('contact' in t ? t.contact : undefined);

describe('turn handlers: DecideTurn and SaveTurn (makeHandler with in-memory ports)', () => {
  it('start: DecideTurn finds the account by caller number, segments and routes; SaveTurn stores a VERIFY contact', async () => {
    const h = handlers();
    const start: TurnInput = {
      action: 'start',
      now: NOW,
      request: { channel: 'voice', callType: 'CLOSE_ACCOUNT', callerPhone: account.phone },
    };
    const plan = await decideOf(h, start);
    expect(plan).toMatchObject({ kind: 'write', path: 'start', isNew: true });
    // The plan carries the contact and what to write with it: of the account, only the copy the
    // verification turns need on the contact (salted hashes and counters), nothing else of it.
    expect(JSON.stringify(plan)).not.toContain(account.customerId);
    expect(contactOf(plan)!.account).toEqual({ verification: account.verification, flags: account.flags });
    expect(contactOf(plan)!.verification.callerMatched).toBe(true);
    expect(h.stores.contacts.size).toBe(0);
    const saved = await saveOf(h, plan);
    expect(saved.kind).toBe('saved');
    expect(contactOf(saved)).toMatchObject({
      stage: 'VERIFY',
      version: 1,
      segment: { customer: 'PREMIUM_TRANSACTOR', card: 'PREMIUM' },
    });
    expect(contactOf(saved)!.route.queue).toBe('VIP_RETENTION');
    // The copy is stored for the verification turns, and never returned by the run.
    expect(contactOf(saved)!.account).toBeUndefined();
    expect([...h.stores.contacts.values()][0]!.account?.verification.salt).toBe(account.verification.salt);
    expect(h.stores.contacts.size).toBe(1);
  });

  it('start for an unknown caller is UNIDENTIFIED, routed to general service', async () => {
    const h = handlers();
    const t = await turn(h, {
      action: 'start',
      now: NOW,
      request: { channel: 'chat', callType: 'CLOSE_ACCOUNT', callerPhone: '+15555550999' },
    });
    expect(contactOf(t)).toMatchObject({ stage: 'UNIDENTIFIED', route: { queue: 'GENERAL_SERVICE' } });
    expect(contactOf(t)!.accountId).toBeUndefined();
  });

  it('a fraud report is ROUTED to fraud at once', async () => {
    const h = handlers();
    const t = await turn(h, {
      action: 'start',
      now: NOW,
      request: { channel: 'voice', callType: 'FRAUD_REPORT', accountId: account.accountId },
    });
    expect(contactOf(t)).toMatchObject({ stage: 'ROUTED', route: { queue: 'FRAUD' } });
  });

  it('a start repeated with the same externalContactId returns the same contact unchanged', async () => {
    const h = handlers();
    const start: TurnInput = {
      action: 'start',
      now: NOW,
      request: {
        channel: 'voice',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: account.phone,
        externalContactId: 'connect-123',
      },
    };
    const first = await turn(h, start);
    const again = await decideOf(h, start);
    expect(again).toMatchObject({ kind: 'unchanged', contact: { contactId: contactOf(first)!.contactId } });
  });

  it('DecideTurn rejects an unknown contact (404) and offers before verification (409)', async () => {
    const h = handlers();
    const unknown = await decideOf(h, {
      action: 'get',
      now: NOW,
      contactId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown).toMatchObject({ kind: 'rejected', problem: { name: 'ContactNotFound', status: 404 } });
    const t = await turn(h, closeCall);
    const early = await decideOf(h, { action: 'offers', now: NOW, contactId: contactOf(t)!.contactId });
    expect(early).toMatchObject({ kind: 'rejected', problem: { name: 'NotVerified', status: 409 } });
  });

  it('verify: wrong factors count a failure on the account; right ones verify and move to OFFER', async () => {
    const h = handlers();
    const t = await turn(h, closeCall);
    const id = contactOf(t)!.contactId;
    const wrongPlan = await decideOf(h, {
      action: 'verify',
      now: NOW,
      contactId: id,
      request: { last4: '0000', zip: FACTORS.zip },
    });
    // The factors never travel to SaveTurn.
    expect(JSON.stringify(wrongPlan)).not.toContain(FACTORS.zip);
    const wrong = await saveOf(h, wrongPlan);
    expect(contactOf(wrong)).toMatchObject({
      stage: 'VERIFY',
      verification: { attemptsLeft: 2, lastResult: 'WRONG_FACTORS' },
    });
    expect(h.stores.accounts.get(account.accountId)!.verification.failures).toBe(1);
    const right = await verifyTurn(h, id, { last4: FACTORS.last4, zip: FACTORS.zip });
    expect(contactOf(right)).toMatchObject({ stage: 'OFFER', verification: { status: 'VERIFIED' } });
    expect(h.stores.accounts.get(account.accountId)!.verification.failures).toBe(0);
  });

  it('a contact stored before starts copied the account (a deploy in between) verifies on the account it reads', async () => {
    const h = handlers();
    const id = contactOf(await turn(h, closeCall))!.contactId;
    const { account: _copy, ...older } = h.stores.contacts.get(id)!;
    h.stores.contacts.set(id, older);
    const right = await verifyTurn(h, id, { last4: FACTORS.last4, zip: FACTORS.zip });
    expect(contactOf(right)).toMatchObject({ stage: 'OFFER', verification: { status: 'VERIFIED' } });
  });

  it('offers then declines: each answer is stored with the offers it brought, in the same turn', async () => {
    const h = handlers();
    // At the agent desk (no self-service ceiling, so no handover): every offer is for the desk to present.
    const t = await turn(h, { ...closeCall, request: { ...closeCall.request, channel: 'agent' } });
    const id = contactOf(t)!.contactId;
    await verifyTurn(h, id, { last4: FACTORS.last4, dob: FACTORS.dob });
    const offered = await turn(h, { action: 'offers', now: NOW, contactId: id });
    const shown = contactOf(offered)!.current;
    expect(shown.length).toBeGreaterThan(0);
    expect(h.stores.log.filter((e) => e.event === 'PRESENTED')).toHaveLength(shown.length);
    let c = contactOf(offered)!;
    for (const offerId of shown) {
      const plan = await decideOf(h, {
        action: 'respond',
        now: NOW,
        contactId: id,
        request: { offerId, response: 'DECLINED' },
      });
      const last = offerId === shown.at(-1);
      // The last decline empties the table: the same turn presents what follows.
      expect(plan).toMatchObject({
        kind: 'write',
        path: last ? expect.stringMatching(/^answer-/) : 'answer',
      });
      c = contactOf(await saveOf(h, plan))!;
      expect(c.answers.at(-1)!.result).toEqual({
        stage: c.stage,
        offerIds: c.current,
        ...(c.outcome ? { outcome: c.outcome } : {}),
      });
    }
    expect(c.current.length > 0 || c.stage === 'CLOSED').toBe(true);
  });

  it('SaveTurn reports a concurrent change as a 409 rejection and writes nothing', async () => {
    const h = handlers();
    const start: TurnInput = {
      action: 'start',
      now: NOW,
      request: {
        channel: 'voice',
        callType: 'CLOSE_ACCOUNT',
        accountId: account.accountId,
        externalContactId: 'dup-1',
      },
    };
    const a = await decideOf(h, start);
    const b = await decideOf(h, { ...start, request: { ...start.request, callerPhone: '+15555550100' } });
    expect((await saveOf(h, a)).kind).toBe('saved');
    const second = await saveOf(h, b);
    expect(second).toMatchObject({ kind: 'rejected', problem: { name: 'ConcurrentUpdate', status: 409 } });
    expect(h.stores.saves).toBe(1);
  });

  it('SaveTurn reached with a plan that writes nothing fails (the state machine then routes to an agent)', async () => {
    const h = handlers();
    await expect(
      saveOf(h, { kind: 'unchanged', contact: contactOf(await turn(h, closeCall))! }),
    ).rejects.toThrow(/unchanged plan/);
  });
});
