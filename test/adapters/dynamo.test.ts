import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import {
  compareSeq,
  DynamoAccountStore,
  DynamoAuditLog,
  DynamoConfigAdmin,
  DynamoConfigSource,
  DynamoContactStore,
  DynamoCounterStore,
  DynamoKpiStore,
  DynamoTurnStore,
  TransientStorageError,
} from '../../shared/adapters/dynamo';
import { DynamoPropensityStore, readPropensity, stateOf } from '../../shared/adapters/dynamo/propensity';
import { newContact } from '../../shared/domain/call';
import { computeFacts } from '../../shared/domain/facts';
import {
  FEATURE_SET,
  predict,
  propensityFigures,
  propensityStateProblem,
} from '../../shared/domain/propensity';
import type { StreamedEvent, TurnWrite } from '../../shared/ports';
import type { Offer } from '../../shared/schemas/config';
import type { OfferLogEvent } from '../../shared/schemas/contact';
import { config, makeAccount, NOW } from '../fakes/accounts';

let stack: LocalStack;
let tables: {
  contacts: string;
  accounts: string;
  offerLog: string;
  catalog: string;
  counters: string;
  learning: string;
};
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 50 });
  tables = {
    contacts: stack.env.CONTACTS_TABLE!,
    accounts: stack.env.ACCOUNTS_TABLE!,
    offerLog: stack.env.OFFER_LOG_TABLE!,
    catalog: stack.env.CATALOG_TABLE!,
    counters: stack.env.COUNTERS_TABLE!,
    learning: stack.env.LEARNING_TABLE!,
  };
});
afterAll(async () => stack?.stop());
/** Read fresh (no cache), as a fresh container reads. */
const counterStore = () =>
  new DynamoCounterStore(stack.db, { counters: tables.counters, learning: tables.learning }, 0);

let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
const event = (contactId: string, seq: number): OfferLogEvent => ({
  contactId,
  seq,
  at: NOW,
  event: 'PRESENTED',
  accountId: 'ACC-TEST01',
  callType: 'CLOSE_ACCOUNT',
  channel: 'voice',
  stage: 'OFFER',
  offerId: 'annual-fee-waiver',
  configVersion: config.version,
});
async function saveRetrying(store: DynamoTurnStore, write: TurnWrite) {
  for (let i = 0; ; i++) {
    try {
      return await store.save(write);
    } catch (e) {
      if (!(e instanceof TransientStorageError) || i >= 20) throw e;
      await new Promise((ok) => setTimeout(ok, 5 + Math.random() * 20));
    }
  }
}
const draft = (contactId: string) =>
  newContact({
    contactId,
    request: { channel: 'voice', callType: 'CLOSE_ACCOUNT', accountId: 'ACC-TEST01' },
    now: NOW,
    accountId: 'ACC-TEST01',
    callerMatched: false,
    config,
  });
const logCount = async (contactId: string) =>
  (
    await stack.db.send(
      new QueryCommand({
        TableName: tables.offerLog,
        KeyConditionExpression: 'contactId = :c',
        ExpressionAttributeValues: { ':c': contactId },
      }),
    )
  ).Items?.length ?? 0;

describe('DynamoDB adapters (DynamoDB Local, tables from the synthesized template)', () => {
  it('accounts: by id and by caller number through the byPhone index', async () => {
    const accounts = new DynamoAccountStore(stack.db, tables.accounts);
    const p = stack.personas[0]!;
    expect((await accounts.get(p.account.accountId))?.accountId).toBe(p.account.accountId);
    expect((await accounts.findByPhone(p.persona.phone))?.accountId).toBe(p.account.accountId);
    expect(await accounts.findByPhone('+15555550998')).toBeUndefined();
    expect(await accounts.get('NO-SUCH-ACCOUNT')).toBeUndefined();
  });

  it('a number shared by two accounts identifies neither', async () => {
    const accounts = new DynamoAccountStore(stack.db, tables.accounts);
    for (const id of ['SHARED-0001', 'SHARED-0002'])
      await stack.db.send(
        new PutCommand({
          TableName: tables.accounts,
          Item: makeAccount({ accountId: id, phone: '+15555550177' }),
        }),
      );
    expect(await accounts.findByPhone('+15555550177')).toBeUndefined();
    for (const id of ['SHARED-0001', 'SHARED-0002'])
      await stack.db.send(new DeleteCommand({ TableName: tables.accounts, Key: { accountId: id } }));
  });

  it('a turn is written whole: contact and offer log together; a stale version writes nothing at all', async () => {
    const store = new DynamoTurnStore(stack.db, tables);
    const contacts = new DynamoContactStore(stack.db, tables.contacts);
    const id = uuid();
    const c = { ...draft(id), version: 1 };
    expect(await store.save({ contact: c, log: [event(id, 0)] })).toBe('saved');
    expect(await contacts.get(id)).toEqual(c);
    expect(await logCount(id)).toBe(1);

    // Stale: expects version 0 but 1 is stored. Neither the contact nor the two log events land.
    const stale: TurnWrite = {
      contact: { ...c, version: 2, stage: 'CLOSED' },
      expectedVersion: 0,
      log: [event(id, 1), event(id, 2)],
    };
    expect(await store.save(stale)).toBe('conflict');
    expect((await contacts.get(id))?.stage).toBe('VERIFY');
    expect(await logCount(id)).toBe(1);

    // A new contact with an id that exists is a conflict too.
    expect(await store.save({ contact: c, log: [] })).toBe('conflict');
  });

  it('an offer-log event is never written twice', async () => {
    const store = new DynamoTurnStore(stack.db, tables);
    const id = uuid();
    expect(await store.save({ contact: { ...draft(id), version: 1 }, log: [event(id, 0)] })).toBe('saved');
    expect(
      await store.save({ contact: { ...draft(id), version: 2 }, expectedVersion: 1, log: [event(id, 0)] }),
    ).toBe('conflict');
    expect(await logCount(id)).toBe(1);
  });

  it('of ten concurrent writers of the same version, exactly one wins', async () => {
    const store = new DynamoTurnStore(stack.db, tables);
    const id = uuid();
    await store.save({ contact: { ...draft(id), version: 1 }, log: [] });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        saveRetrying(store, {
          contact: { ...draft(id), version: 2, logSeq: 1 },
          expectedVersion: 1,
          log: [event(id, 0)].map((e) => ({ ...e, at: `${NOW.slice(0, 20)}${String(i).padStart(3, '0')}Z` })),
        }),
      ),
    );
    expect(results.filter((r) => r === 'saved')).toHaveLength(1);
    expect(await logCount(id)).toBe(1);
  });

  it('verification counters on the account change only if still as read, in the same transaction', async () => {
    const store = new DynamoTurnStore(stack.db, tables);
    const accountId = 'ACC-VERIFY1';
    await stack.db.send(
      new PutCommand({ TableName: tables.accounts, Item: makeAccount({ accountId, phone: '+15555550188' }) }),
    );
    const id = uuid();
    const update = { accountId, expected: { failures: 0, attempts: 0 }, next: { failures: 1, attempts: 1 } };
    expect(await store.save({ contact: { ...draft(id), version: 1 }, log: [], account: update })).toBe(
      'saved',
    );
    const id2 = uuid();
    // Same expectation again (a concurrent attempt that read failures = 0): refused, and its contact not written.
    expect(await store.save({ contact: { ...draft(id2), version: 1 }, log: [], account: update })).toBe(
      'account-changed',
    );
    expect(await new DynamoContactStore(stack.db, tables.contacts).get(id2)).toBeUndefined();
    const lock = {
      accountId,
      expected: { failures: 1, attempts: 1 },
      next: { failures: 3, attempts: 2, lockedUntil: '2026-11-23T12:30:00.000Z' },
    };
    expect(await store.save({ contact: { ...draft(id2), version: 1 }, log: [], account: lock })).toBe(
      'saved',
    );
    const a = await stack.db.send(new GetCommand({ TableName: tables.accounts, Key: { accountId } }));
    expect(a.Item?.verification).toMatchObject({ failures: 3, lockedUntil: '2026-11-23T12:30:00.000Z' });
    const unlock = { accountId, expected: lock.next, next: { failures: 0, attempts: 3 } };
    expect(await store.save({ contact: { ...draft(uuid()), version: 1 }, log: [], account: unlock })).toBe(
      'saved',
    );
    const b = await stack.db.send(new GetCommand({ TableName: tables.accounts, Key: { accountId } }));
    expect(b.Item?.verification.lockedUntil).toBeUndefined();
    // A right guess judged on a stale sequence (failures and lock unchanged, attempts moved) is refused too.
    const stale = { accountId, expected: { failures: 0, attempts: 2 }, next: { failures: 0, attempts: 3 } };
    expect(await store.save({ contact: { ...draft(uuid()), version: 1 }, log: [], account: stale })).toBe(
      'account-changed',
    );
    // A copy made before the record changed (an import, an event: asOf moved) is refused as well.
    const current = { failures: 0, attempts: 3 };
    const before = { accountId, expected: { ...current, asOf: '2020-01-01T00:00:00.000Z' }, next: current };
    expect(await store.save({ contact: { ...draft(uuid()), version: 1 }, log: [], account: before })).toBe(
      'account-changed',
    );
    expect(
      await store.save({
        contact: { ...draft(uuid()), version: 1 },
        log: [],
        account: { accountId, expected: current, next: { failures: 0, attempts: 4 } },
      }),
    ).toBe('saved');
  });

  it('the active configuration is read once per cache period', async () => {
    let now = 0;
    const source = new DynamoConfigSource(stack.db, tables.catalog, 30_000, () => now);
    const first = await source.active();
    expect(first.version).toBe(config.version);
    await stack.db.send(
      new PutCommand({
        TableName: tables.catalog,
        Item: { pk: 'DECISION_CONFIG', sk: 'ACTIVE', version: 'v2', config: { ...config, version: 'v2' } },
      }),
    );
    expect((await source.active()).version).toBe(config.version);
    now = 30_001;
    expect((await source.active()).version).toBe('v2');
    await stack.db.send(
      new PutCommand({
        TableName: tables.catalog,
        Item: { pk: 'DECISION_CONFIG', sk: 'ACTIVE', version: config.version, config },
      }),
    );
  });

  it('the kill switch reaches a warm container within the pointer period, reading only the ~100-byte pointer', async () => {
    let now = 0;
    const reads: string[] = [];
    const spy = {
      send: (cmd: { input: { Key?: { sk?: string } } }) => {
        reads.push(String(cmd.input.Key?.sk));
        return stack.db.send(cmd as never);
      },
    } as unknown as typeof stack.db;
    const source = new DynamoConfigSource(spy, tables.catalog, 30_000, () => now, 3_000);
    const admin = new DynamoConfigAdmin(stack.db, tables.catalog);
    const by = { sub: 'ops-1', username: 'ops-night' };
    expect((await source.active()).killSwitch).toBeUndefined();
    expect(reads).toEqual(['ACTIVE']);
    const killSwitch = { reason: 'pricing incident', since: NOW, by };
    expect(await admin.create({ ...config, version: 'ks-adapter', killSwitch }, NOW, by)).toBe('created');
    const audit = {
      at: NOW,
      by,
      action: 'kill-switch-on' as const,
      subject: 'ks-adapter',
      previousVersion: config.version,
      reason: 'pricing incident',
    };
    const before = await admin.active();
    const change = { now: NOW, by, requireApproval: false, history: [] };
    try {
      expect(
        await admin.activate({
          ...change,
          version: 'ks-adapter',
          how: 'KILL_SWITCH',
          expectedRevision: before?.revision,
          audit,
        }),
      ).toBe('activated');
      now = 2_999;
      expect((await source.active()).killSwitch).toBeUndefined();
      expect(reads).toEqual(['ACTIVE']);
      // The pointer's period is over: its kill switch applies over the held configuration at once…
      now = 3_000;
      const overlaid = await source.active();
      expect(overlaid).toMatchObject({ version: config.version, killSwitch });
      expect(reads).toEqual(['ACTIVE', 'POINTER']);
      // …and the next turn reads the new version whole (once), then nothing until the periods end.
      now = 3_001;
      expect(await source.active()).toMatchObject({ version: 'ks-adapter', killSwitch });
      now = 5_000;
      await source.active();
      expect(reads).toEqual(['ACTIVE', 'POINTER', 'ACTIVE']);
      // The audit entry was written with the activation.
      expect(await new DynamoAuditLog(stack.db, tables.catalog).month(NOW.slice(0, 7))).toContainEqual(audit);
    } finally {
      const expectedRevision = (await admin.active())?.revision;
      expect(
        await admin.activate({ ...change, version: config.version, how: 'ROLLBACK', expectedRevision }),
      ).toBe('activated');
    }
    // Off again: seen at the next pointer read.
    now = 6_001;
    expect((await source.active()).killSwitch).toBeUndefined();
  });

  it('configuration governance holds in the writes themselves: no approval by the author, none twice, no unapproved activation, none over a stale revision', async () => {
    const admin = new DynamoConfigAdmin(stack.db, tables.catalog);
    const author = { sub: 'po-1', username: 'po.one' };
    const other = { sub: 'po-2', username: 'po.two' };
    const entry = (action: 'config-approve' | 'config-activate') => ({
      at: NOW,
      by: other,
      action,
      subject: 'gov-adapter',
    });
    expect(await admin.create({ ...config, version: 'gov-adapter' }, NOW, author)).toBe('created');
    // The application would not ask for these; the conditions refuse them anyway.
    expect(await admin.approve('gov-adapter', NOW, author, entry('config-approve'))).toBe('conflict');
    expect(await admin.approve('no-such-version', NOW, other, entry('config-approve'))).toBe('conflict');
    const before = await admin.active();
    const change = {
      version: 'gov-adapter',
      now: NOW,
      by: other,
      how: 'MANUAL' as const,
      expectedRevision: before?.revision,
      history: [
        ...(before?.history ?? []),
        { version: 'gov-adapter', activatedAt: NOW, how: 'MANUAL' as const },
      ],
      requireApproval: true,
      audit: entry('config-activate'),
    };
    expect(await admin.activate(change)).toBe('unapproved');
    expect(await admin.approve('gov-adapter', NOW, other, entry('config-approve'))).toBe('approved');
    expect(
      await admin.approve('gov-adapter', NOW, { sub: 'po-3', username: 'po.three' }, entry('config-approve')),
    ).toBe('conflict');
    expect((await admin.get('gov-adapter'))?.approvedBy).toEqual(other);
    // Over a revision that is not the one stored: refused, nothing written.
    expect(await admin.activate({ ...change, expectedRevision: (before?.revision ?? 0) + 7 })).toBe(
      'conflict',
    );
    expect((await admin.active())?.version).toBe(before?.version);
    expect(await admin.activate(change)).toBe('activated');
    expect(await admin.active()).toMatchObject({
      version: 'gov-adapter',
      revision: (before?.revision ?? 0) + 1,
    });
    // The same change again read a revision that has moved on.
    expect(await admin.activate(change)).toBe('conflict');
    const back = await admin.active();
    expect(
      await admin.activate({
        ...change,
        version: before!.version,
        how: 'ROLLBACK',
        expectedRevision: back?.revision,
        history: before!.history,
        requireApproval: false,
      }),
    ).toBe('activated');
  });

  it.each([
    ['a count cap of 5', { maxAccepts: 5 }, 100, 5],
    ['a money cap of 1,000 at 300 an accept', { maxCost: 1000 }, 300, 3],
    ['both caps, money binding first', { maxAccepts: 5, maxCost: 700 }, 300, 2],
  ])(
    '20 concurrent accepts against %s: exactly the cap is granted, never more',
    async (_n, caps, cost, granted) => {
      const store = new DynamoTurnStore(stack.db, tables);
      const offerId = `test-${++n}`;
      const results = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const id = uuid();
          const write = {
            contact: { ...draft(id), version: 1 },
            log: [event(id, 0)],
            budget: {
              offerId,
              period: 'MONTH' as const,
              periodStart: '2026-11',
              cost,
              ...caps,
            },
          };
          // A transaction cancelled by another in flight on the same counter throws TransientStorageError,
          // which the state machine retries: so does this test.
          return saveRetrying(store, write);
        }),
      );
      expect(results.filter((r) => r === 'saved')).toHaveLength(granted);
      expect(results.filter((r) => r === 'budget-exhausted')).toHaveLength(20 - granted);
      const usage = await counterStore().budgets('2026-11-23T12:00:00.000Z');
      expect(usage.MONTH?.[offerId]).toEqual({ accepts: granted, cost: granted * cost });
    },
  );

  it('a refused accept writes nothing else of its turn', async () => {
    const store = new DynamoTurnStore(stack.db, tables);
    const a = uuid();
    const b = uuid();
    const charge = {
      offerId: `test-${++n}`,
      period: 'DAY' as const,
      periodStart: '2026-11-23',
      cost: 10,
      maxAccepts: 1,
    };
    expect(
      await store.save({ contact: { ...draft(a), version: 1 }, log: [event(a, 0)], budget: charge }),
    ).toBe('saved');
    expect(
      await store.save({ contact: { ...draft(b), version: 1 }, log: [event(b, 0)], budget: charge }),
    ).toBe('budget-exhausted');
    expect(await new DynamoContactStore(stack.db, tables.contacts).get(b)).toBeUndefined();
    expect(await logCount(b)).toBe(0);
  });
});

describe('propensity models: every answer in the offer log learned exactly once', () => {
  const store = () => new DynamoPropensityStore(stack.db, tables.learning);
  let shard = 0;
  const figures = (utilization: number) =>
    propensityFigures({ ...computeFacts(makeAccount(), NOW, config.value), utilization });
  /** Stream records of answers to one offer: accepts near the limit, declines far from it. */
  const answers = (offerId: string, count: number, from = 1000, extra: Partial<OfferLogEvent> = {}) =>
    Array.from({ length: count }, (_, i): StreamedEvent => {
      const accepted = i % 2 === 0;
      return {
        sequenceNumber: String(from + i),
        event: {
          contactId: `c-${offerId}-${from + i}`,
          seq: 1,
          at: NOW,
          event: accepted ? 'ACCEPTED' : 'DECLINED',
          accountId: 'ACC-1',
          callType: 'CLOSE_ACCOUNT',
          channel: 'voice',
          stage: 'RETAINED',
          configVersion: 'v1',
          offerId,
          learning: { prior: 0.3, figures: figures(accepted ? 0.95 : 0.05) },
          ...extra,
        },
      };
    });
  const modelOf = async (offerId: string) => {
    const state = await readPropensity(stack.db, tables.learning);
    expect(propensityStateProblem(state)).toBeUndefined();
    return state.offers[offerId];
  };

  it('learns a batch once: handed over again, nothing is learned twice', async () => {
    const id = `offer-${uuid()}`;
    const shardId = `shard-${++shard}`;
    const batch = answers(id, 30);
    expect(await store().apply(shardId, batch, 1_000)).toEqual({
      learned: 30,
      alreadyLearned: 0,
      passed: 0,
      writes: 1,
    });
    const once = await modelOf(id);
    expect(once?.n).toBe(30);
    // Redelivered whole, and again with more behind it: only the new records are learned.
    expect(await store().apply(shardId, batch, 1_000)).toMatchObject({ learned: 0, alreadyLearned: 30 });
    expect(await modelOf(id)).toEqual(once);
    expect(await store().apply(shardId, [...batch, ...answers(id, 4, 2000)], 1_000)).toMatchObject({
      learned: 4,
      alreadyLearned: 30,
    });
    expect((await modelOf(id))?.n).toBe(34);
    // What it learned is the answers' lesson: near the limit accepts, far from it declines.
    const state = await readPropensity(stack.db, tables.learning);
    const offer = { offerId: id, acceptProbability: 0.3 } as Offer;
    const p = (u: number) =>
      predict(state, offer, {
        facts: { ...computeFacts(makeAccount(), NOW, config.value), utilization: u },
        callType: 'CLOSE_ACCOUNT',
        channel: 'voice',
      });
    expect(p(0.95)).toBeGreaterThan(p(0.05) + 0.2);
  });

  it('two deliveries of one batch racing learn it once; two shards racing on one offer lose nothing', async () => {
    const id = `offer-${uuid()}`;
    const [a, b] = [`shard-${++shard}`, `shard-${++shard}`];
    const batch = answers(id, 20);
    const raced = await Promise.all([store().apply(a, batch, 1_000), store().apply(a, batch, 1_000)]);
    expect(raced.map((r) => r.learned).sort()).toEqual([0, 20]);
    expect((await modelOf(id))?.n).toBe(20);
    // Another shard's answers to the same offer, while this shard goes on: both land, on top of each other.
    await Promise.all([
      store().apply(b, answers(id, 25, 5000), 1_000),
      store().apply(a, answers(id, 15, 3000), 1_000),
    ]);
    expect((await modelOf(id))?.n).toBe(60);
    // The lost update, forced: shard b reads the model, then shard a learns on it before b writes.
    // b's write finds the model moved, reads again and learns on top of a's answers.
    let interleaved = false;
    const racing = {
      send: async (command: unknown) => {
        if (command instanceof TransactWriteCommand && !interleaved) {
          interleaved = true;
          await store().apply(a, answers(id, 5, 7000), 1_000);
        }
        return stack.db.send(command as never);
      },
    } as unknown as typeof stack.db;
    expect(
      await new DynamoPropensityStore(racing, tables.learning).apply(b, answers(id, 6, 8000), 1_000),
    ).toMatchObject({
      learned: 6,
      writes: 1,
    });
    expect(interleaved).toBe(true);
    expect((await modelOf(id))?.n).toBe(71);
  });

  it('passes over what teaches nothing: presentations, synthetic answers, answers without figures', async () => {
    const id = `offer-${uuid()}`;
    const shardId = `shard-${++shard}`;
    const presented = answers(id, 3, 100, { event: 'PRESENTED' });
    const canary = answers(id, 3, 200, { synthetic: true });
    const bare = answers(id, 2, 300).map((r) => {
      const { learning: _l, ...e } = r.event!;
      return { ...r, event: e };
    });
    const r = await store().apply(
      shardId,
      [...presented, ...canary, ...bare, { sequenceNumber: '400', event: undefined }, ...answers(id, 2, 500)],
      1_000,
    );
    expect(r).toEqual({ learned: 2, alreadyLearned: 0, passed: 9, writes: 1 });
    expect((await modelOf(id))?.n).toBe(2);
  });

  it('a model stored for other features makes the state one the turn refuses', async () => {
    expect(
      propensityStateProblem(
        stateOf([{ stat: 'x', featureSet: '0:1:deadbeef', model: '{"n":1,"mean":[0],"variance":[1]}' }]),
      ),
    ).toBe('its features are not the ones this code encodes');
    expect(
      propensityStateProblem(stateOf([{ stat: 'x', featureSet: FEATURE_SET, model: 'not json' }])),
    ).toMatch(/^offer x: n is not a count/);
  });
});

describe('imported accounts: the asOf guard and the other phone numbers', () => {
  const store = () => new DynamoAccountStore(stack.db, tables.accounts);
  const acct = (id: string, asOf: string, otherPhones?: string[], over: Record<string, unknown> = {}) =>
    makeAccount({
      accountId: id,
      phone: '+15555558000',
      asOf,
      ...(otherPhones ? { otherPhones } : {}),
      ...over,
    });
  const aliases = async (id: string) =>
    (
      await stack.db.send(
        new ScanCommand({
          TableName: tables.accounts,
          FilterExpression: 'aliasOf = :a',
          ExpressionAttributeValues: { ':a': id },
        }),
      )
    ).Items?.map((i) => i.phone as string).sort();

  it('every number of the account finds it; a newer record moves the aliases with it, atomically', async () => {
    const s = store();
    expect(await s.upsert(acct('ALIAS-0001', '2026-11-01T00:00:00Z', ['+15555558001', '+15555558002']))).toBe(
      'imported',
    );
    for (const p of ['+15555558001', '+15555558002'])
      expect((await s.findByPhone(p))?.accountId).toBe('ALIAS-0001');
    expect(await aliases('ALIAS-0001')).toEqual(['+15555558001', '+15555558002']);
    // Same record again: unchanged; an older one: stale; neither writes.
    expect(await s.upsert(acct('ALIAS-0001', '2026-11-01T00:00:00Z', ['+15555558009']))).toBe('unchanged');
    expect(await s.upsert(acct('ALIAS-0001', '2026-10-01T00:00:00Z', ['+15555558009']))).toBe('stale');
    expect(await aliases('ALIAS-0001')).toEqual(['+15555558001', '+15555558002']);
    // A newer record: one number kept, one dropped, one added.
    expect(await s.upsert(acct('ALIAS-0001', '2026-11-02T00:00:00Z', ['+15555558002', '+15555558003']))).toBe(
      'imported',
    );
    expect(await aliases('ALIAS-0001')).toEqual(['+15555558002', '+15555558003']);
    expect(await s.findByPhone('+15555558001')).toBeUndefined();
    expect((await s.findByPhone('+15555558003'))?.otherPhones).toEqual(['+15555558002', '+15555558003']);
    // No other numbers any more: every alias goes.
    expect(await s.upsert(acct('ALIAS-0001', '2026-11-03T00:00:00Z'))).toBe('imported');
    expect(await aliases('ALIAS-0001')).toEqual([]);
    expect((await s.get('ALIAS-0001'))?.otherPhones).toBeUndefined();
  });

  it('a number two accounts share identifies neither', async () => {
    const s = store();
    await s.upsert(acct('ALIAS-0002', '2026-11-01T00:00:00Z', ['+15555558100'], { phone: '+15555558101' }));
    await s.upsert(acct('ALIAS-0003', '2026-11-01T00:00:00Z', ['+15555558100'], { phone: '+15555558102' }));
    expect(await s.findByPhone('+15555558100')).toBeUndefined();
    expect((await s.findByPhone('+15555558102'))?.accountId).toBe('ALIAS-0003');
  });

  it('concurrent records of one account: the newest wins, whatever the order, and its aliases with it', async () => {
    const s = store();
    await s.upsert(acct('ALIAS-0004', '2026-11-01T00:00:00Z', ['+15555558200'], { phone: '+15555558299' }));
    const days = [5, 3, 9, 2, 7, 4, 8, 6];
    const results = await Promise.all(
      days.map((d) =>
        s.upsert(
          acct('ALIAS-0004', `2026-11-0${d}T00:00:00Z`, [`+1555555820${d}`], {
            phone: '+15555558299',
            creditLimit: d * 1000,
          }),
        ),
      ),
    );
    expect(results.filter((r) => r === 'imported').length).toBeGreaterThanOrEqual(1);
    const a = await s.get('ALIAS-0004');
    expect(a).toMatchObject({
      asOf: '2026-11-09T00:00:00Z',
      creditLimit: 9000,
      otherPhones: ['+15555558209'],
    });
    expect(await aliases('ALIAS-0004')).toEqual(['+15555558209']);
  });
});

describe('KPI aggregates: each stream record counted once', () => {
  const kpis = () => new DynamoKpiStore(stack.db, stack.env.KPI_TABLE!);
  /** `count` PRESENTED events, each its own contact and offer (so each its own cell), on days of 2031. */
  const records = (count: number, from = 0, day = '2031-03-01') =>
    Array.from({ length: count }, (_, i) => ({
      sequenceNumber: String(1_000_000_000_000_000_000n + BigInt(from + i)),
      event: {
        ...event(`kpi-${from + i}`, 1),
        at: `${day}T10:00:00.000Z`,
        offerId: `offer-${String(from + i).padStart(4, '0')}`,
      },
    }));
  const presented = async (day: string) =>
    (await kpis().cells(day, day)).reduce((s, c) => s + c.counts.presentations, 0);

  it('a batch over one transaction is written in runs, and handed over again is skipped whole', async () => {
    const batch = records(250);
    const first = await kpis().apply('shard-a', batch, 0);
    expect(first).toEqual({ counted: 250, alreadyCounted: 0, writes: 3 });
    expect(await presented('2031-03-01')).toBe(250);
    const again = await kpis().apply('shard-a', [...batch].reverse(), 0);
    expect(again).toEqual({ counted: 0, alreadyCounted: 250, writes: 0 });
    expect(await presented('2031-03-01')).toBe(250);
  });

  it('overlapping batches applied at once count each record once; another shard has its own checkpoint', async () => {
    const all = records(120, 0, '2031-04-01');
    const rs = await Promise.all([
      kpis().apply('shard-b', all.slice(0, 80), 0),
      kpis().apply('shard-b', all.slice(0, 120), 0),
      kpis().apply('shard-b', all.slice(0, 80), 0),
    ]);
    expect(await presented('2031-04-01')).toBe(120);
    expect(rs.reduce((s, r) => s + r.counted, 0)).toBe(120);
    // The same sequence numbers in another shard are other records.
    await kpis().apply('shard-c', records(5, 0, '2031-04-02'), 0);
    expect(await presented('2031-04-02')).toBe(5);
  });

  it('sequence numbers are compared as numbers (AWS gives them unpadded, of any length)', () => {
    expect(compareSeq('9', '10')).toBe(-1);
    expect(
      compareSeq('100000000000000000000000000000000000001', '99999999999999999999999999999999999999'),
    ).toBe(1);
    expect(compareSeq('000123', '123')).toBe(0);
  });
});
