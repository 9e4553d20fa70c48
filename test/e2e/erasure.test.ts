import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { DynamoAccountStore, DynamoAuditLog } from '../../shared/adapters/dynamo';
import { FACTORS, premiumAccount, TEST_PEPPER } from '../fakes/accounts';
import { localClient } from '../fakes/local-client';

/**
 * Erasure on a customer's request, over HTTP against the local stack (DynamoDB Local): calls with
 * offers answered, then `POST /v1/admin/accounts/{accountId}/erasure` as ops, then every table read.
 */
let stack: LocalStack;
beforeAll(async () => {
  const pepperFile = join(mkdtempSync(join(tmpdir(), 'rd-erasure-')), 'pepper');
  writeFileSync(pepperFile, `${TEST_PEPPER}\n`, { mode: 0o600 });
  stack = await startLocalStack({ port: 0, accounts: 0, pepperFile });
});
afterAll(async () => stack?.stop());

type Json = Record<string, any>;
const { http } = localClient(() => stack, '');
const scan = async (table: string) => {
  const out: Json[] = [];
  let start: Json | undefined;
  do {
    const r = await stack.db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    out.push(...(r.Items ?? []));
    start = r.LastEvaluatedKey;
  } while (start);
  return out;
};
const TABLES = ['ACCOUNTS_TABLE', 'CONTACTS_TABLE', 'OFFER_LOG_TABLE', 'COUNTERS_TABLE', 'CATALOG_TABLE'];
/** Every item of every table that mentions the string anywhere (keys or values). */
const mentioning = async (s: string) =>
  (await Promise.all(TABLES.map((t) => scan(stack.env[t]!))))
    .flat()
    .filter((i) => JSON.stringify(i).includes(s));

async function seed(accountId: string, phone: string, otherPhones: string[] = []) {
  const store = new DynamoAccountStore(stack.db, stack.env.ACCOUNTS_TABLE!);
  expect(
    await store.upsert(premiumAccount({ accountId, phone, ...(otherPhones.length ? { otherPhones } : {}) })),
  ).toBe('imported');
}

/** Start, verify, offers, then the answers given (each to the first offer on the table). */
async function call(phone: string, answers: Array<'ACCEPTED' | 'DECLINED'>, verify = true) {
  const s = await http('POST', '/v1/contacts', {
    channel: 'agent',
    callType: 'CLOSE_ACCOUNT',
    callerPhone: phone,
  });
  expect(s.status, JSON.stringify(s.json)).toBe(201);
  const id = s.json.contactId as string;
  if (!verify) return id;
  const v = await http('POST', `/v1/contacts/${id}/verification`, { last4: FACTORS.last4, zip: FACTORS.zip });
  expect(v.json.verified).toBe(true);
  let offers = (await http('GET', `/v1/contacts/${id}/offers`)).json.offers as Json[];
  for (const response of answers) {
    expect(offers.length).toBeGreaterThan(0);
    const r = await http('POST', `/v1/contacts/${id}/responses`, { offerId: offers[0]!.offerId, response });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    offers = r.json.offers ?? [];
  }
  return id;
}

/** What a KPI report counts from the offer log: events, per offer and kind, spend, contacts, customers. */
function report(log: Json[]) {
  const by = (f: (e: Json) => string) => {
    const m = new Map<string, number>();
    for (const e of log) m.set(f(e), (m.get(f(e)) ?? 0) + 1);
    return Object.fromEntries([...m].sort());
  };
  return {
    events: log.length,
    byEvent: by((e) => e.event),
    byOffer: by((e) => `${e.offerId ?? '-'}|${e.kind ?? '-'}|${e.event}`),
    bySegment: by((e) => `${e.customerSegment ?? '-'}|${e.cardSegment ?? '-'}|${e.event}`),
    acceptedCost: log
      .filter((e) => e.event === 'ACCEPTED')
      .reduce((s, e) => s + Number(e.economics?.cost ?? 0), 0),
    contacts: new Set(log.map((e) => e.contactId)).size,
    customers: new Set(log.map((e) => e.accountId)).size,
  };
}
const logTable = () => stack.env.OFFER_LOG_TABLE!;
const erase = (accountId: string, body?: unknown) =>
  http('POST', `/v1/admin/accounts/${accountId}/erasure`, body);

describe('erasure of an account on request', () => {
  const ID = 'E2E-ERASE-1';
  const MAIN = '+15555550301';
  const OTHER = '+15555550302';
  let contactIds: string[] = [];
  let before: Json[] = [];
  let first: Json;

  beforeAll(async () => {
    await seed(ID, MAIN, [OTHER]);
    await seed('E2E-KEEP-1', '+15555550311');
    contactIds = [
      await call(MAIN, ['DECLINED', 'ACCEPTED']),
      await call(OTHER, ['DECLINED']),
      // Started, never verified: no offer-log entry, found only through the contacts' account index.
      await call(MAIN, [], false),
    ];
    await call('+15555550311', ['DECLINED']);
    before = await scan(logTable());
    expect(before.filter((e) => e.accountId === ID).length).toBeGreaterThan(2);
    first = await erase(ID);
  });

  it('answers 200 with the pseudonym, who erased, and the counts of what the account held', () => {
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    // The offer history lives on the account item now (removed with it): no counter item of the
    // older layout is left to remove.
    expect(first.json).toMatchObject({
      status: 'ERASED',
      pseudonym: expect.stringMatching(/^ERASED#[0-9a-f]{32}$/),
      erasedBy: { username: 'test-ops' },
      counts: {
        accounts: 1,
        phoneAliases: 1,
        contacts: 3,
        offerLogEntries: before.filter((e) => e.accountId === ID).length,
        policyCounters: 0,
      },
    });
    expect(JSON.stringify(first.json)).not.toContain(ID);
  });

  it('deletes the account and its phone alias: neither number identifies anyone any more', async () => {
    expect(
      (await stack.db.send(new GetCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Key: { accountId: ID } })))
        .Item,
    ).toBeUndefined();
    const alias = `PHONE#${OTHER}#${ID}`;
    expect(
      (
        await stack.db.send(
          new GetCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Key: { accountId: alias } }),
        )
      ).Item,
    ).toBeUndefined();
    for (const phone of [MAIN, OTHER]) {
      const s = await http('POST', '/v1/contacts', {
        channel: 'agent',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: phone,
      });
      expect(s.json.stage).toBe('UNIDENTIFIED');
    }
  });

  it('deletes its contacts: their ids answer 404', async () => {
    for (const id of contactIds) expect((await http('GET', `/v1/contacts/${id}`)).status).toBe(404);
  });

  it('keeps every offer-log entry, with the pseudonym instead of the account id and nothing else changed', async () => {
    const after = await scan(logTable());
    expect(after).toHaveLength(before.length);
    const key = (e: Json) => `${e.contactId}#${e.seq}`;
    const now = new Map(after.map((e) => [key(e), e]));
    for (const e of before) {
      const a = now.get(key(e));
      expect(a).toEqual(e.accountId === ID ? { ...e, accountId: first.json.pseudonym } : e);
    }
    expect(after.some((e) => e.accountId === ID)).toBe(false);
  });

  it('leaves the counts a report makes from the offer log exactly as they were (customers included)', async () => {
    expect(report(await scan(logTable()))).toEqual(report(before));
  });

  it('leaves nothing in any table that names the account, and the other customer untouched', async () => {
    // Rate-limit windows name the account only by a keyed hash: nothing mentions it.
    expect(await mentioning(ID)).toEqual([]);
    expect(
      (await scan(stack.env.COUNTERS_TABLE!)).some((c) => String(c.pk).startsWith(`POLICY#${ID}#`)),
    ).toBe(false);
    // The other customer keeps its account, with its offer history on it.
    const kept = await stack.db.send(
      new GetCommand({ TableName: stack.env.ACCOUNTS_TABLE!, Key: { accountId: 'E2E-KEEP-1' } }),
    );
    expect(Object.keys(kept.Item ?? {}).some((k) => k.startsWith('presented#'))).toBe(true);
    expect(await localClient(() => stack).account('E2E-KEEP-1')).toBeDefined();
  });

  it('records who erased what and when in the audit log: the pseudonym and counts, no account id', async () => {
    const entries = await new DynamoAuditLog(stack.db, stack.env.CATALOG_TABLE!).month(
      first.json.erasedAt.slice(0, 7),
    );
    const mine = entries.filter((e) => e.action === 'erase' && e.subject === first.json.pseudonym);
    expect(mine).toEqual([
      {
        at: first.json.erasedAt,
        by: first.json.erasedBy,
        action: 'erase',
        subject: first.json.pseudonym,
        counts: first.json.counts,
      },
    ]);
    expect(JSON.stringify(entries)).not.toContain(ID);
  });

  it('a second erasure answers the same result and records nothing more', async () => {
    const again = await erase(ID, {});
    expect([again.status, JSON.stringify(again.json)]).toEqual([200, JSON.stringify(first.json)]);
    const entries = await new DynamoAuditLog(stack.db, stack.env.CATALOG_TABLE!).month(
      first.json.erasedAt.slice(0, 7),
    );
    expect(entries.filter((e) => e.subject === first.json.pseudonym)).toHaveLength(1);
  });
});

describe('erasure: interrupted, repeated', () => {
  it('an erasure that fails midway (after the account and contacts, before the offer log) completes when repeated', async () => {
    const ID = 'E2E-ERASE-2';
    await seed(ID, '+15555550321');
    const contactId = await call('+15555550321', ['DECLINED']);
    const mine = (await scan(logTable())).filter((e) => e.accountId === ID);
    expect(mine.length).toBeGreaterThan(0);
    // Every offer-log rewrite fails, as DynamoDB would under an outage.
    stack.faults.fail('InternalServerError', { ops: ['UpdateItem'] });
    let broken: Json;
    try {
      broken = await erase(ID);
    } finally {
      stack.faults.reset();
    }
    expect(broken.status).toBe(503);
    expect(broken.type).toContain('application/problem+json');
    // Half erased: the account and contact gone, the log not yet rewritten.
    expect(await localClient(() => stack).account(ID)).toBeUndefined();
    expect((await http('GET', `/v1/contacts/${contactId}`)).status).toBe(404);
    expect((await scan(logTable())).filter((e) => e.accountId === ID).length).toBeGreaterThan(0);

    const done = await erase(ID);
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    // The counts are those recorded before anything changed, not what the repeat still found.
    expect(done.json.counts).toMatchObject({ accounts: 1, contacts: 1, offerLogEntries: mine.length });
    expect(await mentioning(ID)).toEqual([]);
    expect((await scan(logTable())).filter((e) => e.accountId === done.json.pseudonym)).toHaveLength(
      mine.length,
    );
    const again = await erase(ID);
    expect([again.status, JSON.stringify(again.json)]).toEqual([200, JSON.stringify(done.json)]);
  });
});

describe('erasure: bad requests', () => {
  it.each([
    ['too short', 'x'],
    ['a character no account id has', 'E2E_ERASE'],
  ])('an account id %s is a 400 naming accountId', async (_why, id) => {
    const r = await erase(id);
    expect(r.status).toBe(400);
    expect(r.json.errors.map((e: Json) => e.path)).toEqual(['accountId']);
  });

  it('an unknown account is a 404, and nothing is recorded', async () => {
    const r = await erase('NO-SUCH-ACCOUNT-9');
    expect(r).toMatchObject({ status: 404, json: { detail: 'No account NO-SUCH-ACCOUNT-9.' } });
    expect(
      (await scan(stack.env.CATALOG_TABLE!)).filter((i) => String(i.pk).startsWith('ERASURE#')),
    ).toHaveLength(2);
  });

  it('a body with any field is a 400 naming it', async () => {
    const r = await erase('E2E-KEEP-1', { force: true });
    expect(r.status).toBe(400);
    expect(r.json.errors.map((e: Json) => e.path)).toEqual(['force']);
    expect(await localClient(() => stack).account('E2E-KEEP-1')).toBeDefined();
  });

  it.each([['productOwner'], ['supervisor'], ['agent']] as const)(
    'a %s may not erase (403), and the account stays',
    async (role) => {
      const r = await localClient(() => stack, '', { roles: [role] }).http(
        'POST',
        '/v1/admin/accounts/E2E-KEEP-1/erasure',
      );
      expect(r.status).toBe(403);
      expect(r.json.requiredRoles).toEqual(['ops']);
      expect(await localClient(() => stack).account('E2E-KEEP-1')).toBeDefined();
    },
  );
});
