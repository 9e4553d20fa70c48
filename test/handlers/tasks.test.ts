import { describe, expect, it } from 'vitest';
import { makeHandler as chooseOffers } from '../../functions/choose-offers';
import { makeHandler as loadContact } from '../../functions/load-contact';
import { makeHandler as recordAnswer } from '../../functions/record-answer';
import { makeHandler as routeContact } from '../../functions/route-contact';
import { makeHandler as saveTurn } from '../../functions/save-turn';
import { makeHandler as segmentCustomer } from '../../functions/segment-customer';
import { makeHandler as verifyCaller } from '../../functions/verify-caller';
import type { TaskState, Turn } from '../../shared/application/turn-state';
import { FACTORS, NOW, premiumAccount, TEST_CONTACT_KEY, TEST_PEPPER } from '../fakes/accounts';
import { fixedConfig, MemoryStores } from '../fakes/stores';

const context = { functionName: 'task', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 2000 } as never;
const account = premiumAccount();

function handlers(stores = new MemoryStores([account])) {
  const config = fixedConfig();
  return {
    stores,
    load: loadContact({
      contacts: stores,
      accounts: stores.accountStore,
      config,
      contactKey: async () => TEST_CONTACT_KEY,
    }),
    segment: segmentCustomer({ config }),
    route: routeContact({ config }),
    verify: verifyCaller({ config, pepper: async () => TEST_PEPPER }),
    choose: chooseOffers({ config, counters: { read: async () => new Map() } }),
    answer: recordAnswer({ config }),
    save: saveTurn({ store: stores }),
  };
}
type H = (e: never, c: never) => Promise<Turn>;
const call = (h: unknown, state: TaskState, task = 'T') => (h as H)({ state, task } as never, context);
/** Runs tasks in order, each getting the state with the previous turn, as the state machine does. */
async function chain(state: TaskState, ...hs: unknown[]): Promise<Turn> {
  let s = state;
  for (const h of hs) s = { ...s, turn: await call(h, s) };
  return s.turn!;
}

/** The start turn as the state machine runs it: LoadContact → SegmentCustomer → RouteContact → SaveTurn. */
const startTurn = (h: ReturnType<typeof handlers>, state: TaskState) =>
  chain(state, h.load, h.segment, h.route, h.save);
/** The verify turn: LoadContact → VerifyCaller → RouteContact → SaveTurn. */
const verifyTurn = (h: ReturnType<typeof handlers>, contactId: string, request: Record<string, string>) =>
  chain({ action: 'verify', now: NOW, contactId, request }, h.load, h.verify, h.route, h.save);
const closeCall = {
  action: 'start' as const,
  now: NOW,
  request: { channel: 'voice' as const, callType: 'CLOSE_ACCOUNT' as const, accountId: account.accountId },
};

describe('task handlers (makeHandler with in-memory ports)', () => {
  it('start: LoadContact finds the account by caller number; segment, route and save store a VERIFY contact', async () => {
    const h = handlers();
    const start: TaskState = {
      action: 'start',
      now: NOW,
      request: { channel: 'voice', callType: 'CLOSE_ACCOUNT', callerPhone: account.phone },
    };
    const loaded = await call(h.load, start);
    expect(loaded).toMatchObject({ kind: 'proceed', isNew: true, account: { accountId: account.accountId } });
    expect(loaded.contact!.verification.callerMatched).toBe(true);
    const saved = await chain(start, h.load, h.segment, h.route, h.save);
    expect(saved.kind).toBe('saved');
    expect(saved.contact).toMatchObject({
      stage: 'VERIFY',
      version: 1,
      segment: { customer: 'PREMIUM_TRANSACTOR', card: 'PREMIUM' },
    });
    expect(saved.contact!.route.queue).toBe('VIP_RETENTION');
    expect(h.stores.contacts.size).toBe(1);
  });

  it('start for an unknown caller is UNIDENTIFIED, routed to general service', async () => {
    const h = handlers();
    const t = await chain(
      {
        action: 'start',
        now: NOW,
        request: { channel: 'chat', callType: 'CLOSE_ACCOUNT', callerPhone: '+15555550999' },
      },
      h.load,
      h.segment,
      h.route,
      h.save,
    );
    expect(t.contact).toMatchObject({ stage: 'UNIDENTIFIED', route: { queue: 'GENERAL_SERVICE' } });
    expect(t.contact!.accountId).toBeUndefined();
  });

  it('a fraud report is ROUTED to fraud at once', async () => {
    const h = handlers();
    const t = await chain(
      {
        action: 'start',
        now: NOW,
        request: { channel: 'voice', callType: 'FRAUD_REPORT', accountId: account.accountId },
      },
      h.load,
      h.segment,
      h.route,
      h.save,
    );
    expect(t.contact).toMatchObject({ stage: 'ROUTED', route: { queue: 'FRAUD' } });
  });

  it('a start repeated with the same externalContactId returns the same contact unchanged', async () => {
    const h = handlers();
    const start: TaskState = {
      action: 'start',
      now: NOW,
      request: {
        channel: 'voice',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: account.phone,
        externalContactId: 'connect-123',
      },
    };
    const first = await chain(start, h.load, h.segment, h.route, h.save);
    const again = await call(h.load, start);
    expect(again).toMatchObject({ kind: 'unchanged', contact: { contactId: first.contact!.contactId } });
  });

  it('LoadContact rejects an unknown contact (404) and offers before verification (409)', async () => {
    const h = handlers();
    const unknown = await call(h.load, {
      action: 'get',
      now: NOW,
      contactId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown).toMatchObject({ kind: 'rejected', problem: { name: 'ContactNotFound', status: 404 } });
    const t = await startTurn(h, closeCall);
    const early = await call(h.load, { action: 'offers', now: NOW, contactId: t.contact!.contactId });
    expect(early).toMatchObject({ kind: 'rejected', problem: { name: 'NotVerified', status: 409 } });
  });

  it('verify: wrong factors count a failure on the account; right ones verify and move to OFFER', async () => {
    const h = handlers();
    const t = await startTurn(h, closeCall);
    const id = t.contact!.contactId;
    const wrong = await verifyTurn(h, id, { last4: '0000', zip: FACTORS.zip });
    expect(wrong.contact).toMatchObject({
      stage: 'VERIFY',
      verification: { attemptsLeft: 2, lastResult: 'WRONG_FACTORS' },
    });
    expect(h.stores.accounts.get(account.accountId)!.verification.failures).toBe(1);
    const right = await verifyTurn(h, id, { last4: FACTORS.last4, zip: FACTORS.zip });
    expect(right.contact).toMatchObject({ stage: 'OFFER', verification: { status: 'VERIFIED' } });
    expect(h.stores.accounts.get(account.accountId)!.verification.failures).toBe(0);
  });

  it('offers then a decline: ChooseOffers presents, RecordAnswer records and says what comes next', async () => {
    const h = handlers();
    const t = await startTurn(h, closeCall);
    const id = t.contact!.contactId;
    await verifyTurn(h, id, { last4: FACTORS.last4, dob: FACTORS.dob });
    const offered = await chain({ action: 'offers', now: NOW, contactId: id }, h.load, h.choose, h.save);
    expect(offered.contact!.current.length).toBeGreaterThan(0);
    expect(h.stores.log.filter((e) => e.event === 'PRESENTED')).toHaveLength(offered.contact!.current.length);
    const first = offered.contact!.current[0]!;
    const state: TaskState = {
      action: 'respond',
      now: NOW,
      contactId: id,
      request: { offerId: first, response: 'DECLINED' },
    };
    const answered = await chain(state, h.load, h.answer);
    expect(answered.next).toBe(offered.contact!.current.length > 1 ? 'NONE' : 'OFFER');
  });

  it('SaveTurn reports a concurrent change as a 409 rejection and writes nothing', async () => {
    const h = handlers();
    const start: TaskState = {
      action: 'start',
      now: NOW,
      request: {
        channel: 'voice',
        callType: 'CLOSE_ACCOUNT',
        accountId: account.accountId,
        externalContactId: 'dup-1',
      },
    };
    const a = await chain(start, h.load, h.segment, h.route);
    const b = await chain(start, h.load, h.segment, h.route);
    expect((await call(h.save, { ...start, turn: a })).kind).toBe('saved');
    const second = await call(h.save, { ...start, turn: b });
    expect(second).toMatchObject({ kind: 'rejected', problem: { name: 'ConcurrentUpdate', status: 409 } });
    expect(h.stores.saves).toBe(1);
  });

  it('a stage task reached without an admitted turn fails (the state machine then routes to an agent)', async () => {
    const h = handlers();
    await expect(
      call(h.choose, {
        action: 'offers',
        now: NOW,
        contactId: '00000000-0000-4000-8000-000000000000',
        turn: { kind: 'rejected' },
      }),
    ).rejects.toThrow(/turn rejected/);
  });
});
