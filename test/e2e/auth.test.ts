import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIssuer, localSub } from '../../infra/local/authorizer';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { CONFIG_KEY } from '../../shared/adapters/dynamo';
import type { DecisionConfig } from '../../shared/schemas/config';
import type { Role } from '../../shared/schemas/identity';
import { connectEvent, invokeConnect } from '../fakes/connect';
import { localClient, tokenOf } from '../fakes/local-client';

/**
 * Agents are people: every /v1 request carries a token of the local issuer, checked the way API
 * Gateway's Cognito authorizer would; roles decide the routes, the offer's authority the accept, and
 * the contact and the offer log record who answered.
 */
const run = promisify(execFile);
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 0 });
  // Before any turn (the functions cache the configuration): the fee waiver needs a supervisor here.
  const config: DecisionConfig = {
    ...DEFAULT_CONFIG,
    version: 'auth-test',
    offers: DEFAULT_CONFIG.offers.map((o) =>
      o.offerId === 'annual-fee-waiver' ? { ...o, authority: 'SUPERVISOR' } : o,
    ),
  };
  await stack.db.send(
    new PutCommand({
      TableName: stack.env.CATALOG_TABLE!,
      Item: { ...CONFIG_KEY, version: config.version, config },
    }),
  );
});
afterAll(async () => stack?.stop());

type Json = Record<string, any>;
const as = (roles: Role[], user?: string) =>
  localClient(() => stack, '/v1', { roles, ...(user ? { user } : {}) });
const anonymous = localClient(() => stack, '/v1', null);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const ava = () => stack.personas[0]!.persona;

/** A verified close-account call of Ava on the desk, with its offers on the table. */
async function verifiedCall(client = as(['agent'])) {
  const p = ava();
  const started = await client.http('POST', '/contacts', {
    channel: 'agent',
    callType: 'CLOSE_ACCOUNT',
    callerPhone: p.phone,
  });
  const id = started.json.contactId as string;
  await client.http('POST', `/contacts/${id}/verification`, { last4: p.last4, zip: p.zip, dob: p.dob });
  const offers = await client.http('GET', `/contacts/${id}/offers`);
  return { id, offers: offers.json.offers as Json[] };
}

describe('authentication: the token', () => {
  it('no token is a 401 problem, on the call API and on the admin API', async () => {
    for (const [m, path] of [
      ['POST', '/contacts'],
      ['GET', '/contacts/5ca32fbd-8f92-46af-92a5-6b0f970f0efe'],
      ['GET', '/admin/config'],
    ] as const) {
      const r = await anonymous.http(m, path, m === 'POST' ? {} : undefined);
      expect(r).toMatchObject({ status: 401, type: 'application/problem+json', json: { status: 401 } });
      expect(r.json.type).toMatch(/unauthenticated$/);
    }
  });

  it.each<[string, () => Promise<string>]>([
    [
      'a token signed by another key (bad signature)',
      async () => (await LocalIssuer.create()).sign({ roles: ['agent'] }),
    ],
    [
      'a token whose claims were changed after signing (agent made supervisor)',
      async () => {
        const [h, payload, sig] = (await tokenOf(stack, ['agent'], 'tamper')).split('.');
        const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
        claims['cognito:groups'] = ['supervisor'];
        return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${sig}`;
      },
    ],
    ['an expired token', () => stack.issuer.sign({ roles: ['agent'], ttlSeconds: -60 })],
    ['a token that is not a JWT', async () => 'not-a-token'],
    ['an empty bearer', async () => ''],
  ])('%s is a 401 problem, and no contact is started', async (_, token) => {
    const contacts = async () =>
      (await stack.db.send(new ScanCommand({ TableName: stack.env.CONTACTS_TABLE!, Select: 'COUNT' }))).Count;
    const before = await contacts();
    const r = await anonymous.http(
      'POST',
      '/contacts',
      { channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: ava().phone },
      bearer(await token()),
    );
    expect(r).toMatchObject({ status: 401, type: 'application/problem+json' });
    expect(r.json.contactId).toBeUndefined();
    expect(await contacts()).toBe(before);
  });

  it('an expired token says so', async () => {
    const r = await anonymous.http(
      'GET',
      '/admin/config',
      undefined,
      bearer(await stack.issuer.sign({ roles: ['ops'], ttlSeconds: -60 })),
    );
    expect(r.json.detail).toMatch(/expired/);
  });

  it('the raw token without "Bearer " is accepted too (as the Cognito authorizer takes it)', async () => {
    const r = await anonymous.http('GET', '/admin/config', undefined, {
      authorization: await tokenOf(stack, ['ops']),
    });
    expect(r.status).toBe(200);
  });
});

describe('authorization: roles', () => {
  it('ops may read a contact but not start one or answer', async () => {
    const { id, offers } = await verifiedCall();
    const ops = as(['ops']);
    expect((await ops.http('GET', `/contacts/${id}`)).status).toBe(200);
    const start = await ops.http('POST', '/contacts', {
      channel: 'agent',
      callType: 'CLOSE_ACCOUNT',
      callerPhone: ava().phone,
    });
    expect(start).toMatchObject({
      status: 403,
      type: 'application/problem+json',
      json: { requiredRoles: ['agent', 'specialist', 'supervisor'] },
    });
    const answer = await ops.http('POST', `/contacts/${id}/responses`, {
      offerId: offers[0]!.offerId,
      response: 'DECLINED',
    });
    expect(answer.status).toBe(403);
    expect((await as(['agent']).http('GET', `/contacts/${id}`)).json.answers).toEqual([]);
  });

  it('a product owner may not take contacts; an agent may not import accounts', async () => {
    expect(
      (await as(['productOwner']).http('GET', '/contacts/5ca32fbd-8f92-46af-92a5-6b0f970f0efe')).status,
    ).toBe(403);
    const r = await as(['agent', 'specialist', 'supervisor']).http('POST', '/admin/accounts/import', {
      records: [],
    });
    expect(r).toMatchObject({ status: 403, json: { requiredRoles: ['ops'] } });
  });
});

describe("authority: an offer above the agent's is not theirs to grant", () => {
  it('an agent accepting a supervisor offer is a 403 saying who can; a supervisor then accepts it', async () => {
    const { id, offers } = await verifiedCall();
    const waiver = offers.find((o) => o.offerId === 'annual-fee-waiver');
    expect(waiver).toMatchObject({ authority: 'SUPERVISOR' });
    const body = { offerId: 'annual-fee-waiver', response: 'ACCEPTED' };
    const agent = await as(['agent'], 'agent.maria').http('POST', `/contacts/${id}/responses`, body);
    expect(agent).toMatchObject({
      status: 403,
      type: 'application/problem+json',
      json: { requiredAuthority: 'SUPERVISOR', requiredRoles: ['supervisor'] },
    });
    expect(agent.json.detail).toMatch(/needs a supervisor/);
    const specialist = await as(['specialist']).http('POST', `/contacts/${id}/responses`, body);
    expect(specialist.status).toBe(403);
    // Nothing was recorded by the refusals.
    expect((await as(['agent']).http('GET', `/contacts/${id}`)).json).toMatchObject({
      stage: 'OFFER',
      answers: [],
    });

    const sup = await as(['supervisor'], 'sup.ann').http('POST', `/contacts/${id}/responses`, body);
    expect(sup).toMatchObject({ status: 200, json: { stage: 'RETAINED', outcome: 'SAVED' } });
  });

  it('the answer records who gave it: on the contact and in the offer log (sub and username)', async () => {
    const { id, offers } = await verifiedCall();
    const declined = offers.find((o) => o.authority === 'AGENT')!.offerId;
    await as(['agent'], 'agent.maria').http('POST', `/contacts/${id}/responses`, {
      offerId: declined,
      response: 'DECLINED',
    });
    await as(['supervisor'], 'sup.ann').http('POST', `/contacts/${id}/responses`, {
      offerId: 'annual-fee-waiver',
      response: 'ACCEPTED',
    });
    const maria = { sub: localSub('agent.maria'), username: 'agent.maria' };
    const ann = { sub: localSub('sup.ann'), username: 'sup.ann' };
    const contact = (await as(['ops']).http('GET', `/contacts/${id}`)).json;
    expect(contact.answers).toEqual([
      { offerId: declined, response: 'DECLINED', at: expect.any(String), by: maria },
      { offerId: 'annual-fee-waiver', response: 'ACCEPTED', at: expect.any(String), by: ann },
    ]);
    const log = await stack.db.send(
      new QueryCommand({
        TableName: stack.env.OFFER_LOG_TABLE!,
        KeyConditionExpression: 'contactId = :c',
        ExpressionAttributeValues: { ':c': id },
      }),
    );
    const answers = (log.Items ?? []).filter((e) => e.event === 'ACCEPTED' || e.event === 'DECLINED');
    expect(answers.map((e) => [e.event, e.offerId, e.by])).toEqual([
      ['DECLINED', declined, maria],
      ['ACCEPTED', 'annual-fee-waiver', ann],
    ]);
    for (const e of log.Items ?? []) if (e.event === 'PRESENTED') expect(e.by).toBeUndefined();
  });
});

describe('self-service never presents an offer above agent authority', () => {
  it('a Connect call of the same customer never hears the supervisor offer; it is handed to a person instead', async () => {
    const p = ava();
    const contactId = `auth-e2e-${Date.now().toString(36)}`;
    const step = async (params: Record<string, string>) =>
      (await invokeConnect(stack.url, connectEvent(contactId, p.phone, params))).json;
    await step({ step: 'start', callType: 'CLOSE_ACCOUNT' });
    expect(await step({ step: 'verify', last4: p.last4, zip: p.zip })).toMatchObject({ stage: 'OFFER' });
    let m = await step({ step: 'offers' });
    const heard: string[] = [];
    for (let guard = 0; guard < 10 && Number(m.offerCount) > 0; guard++) {
      heard.push(m.offer1Id!);
      m = await step({ step: 'answer', offerId: m.offer1Id!, digit: '2' });
    }
    expect(heard.length).toBeGreaterThan(0);
    expect(heard).not.toContain('annual-fee-waiver');
    // Ava's best offer is left, and only a supervisor may grant it: the caller goes to a person.
    expect(m).toMatchObject({ stage: 'OFFER', offerCount: '0', queue: 'VIP_RETENTION' });
    expect(m.reason).toMatch(/offers left need a supervisor/);
    const log = await stack.db.send(
      new QueryCommand({
        TableName: stack.env.OFFER_LOG_TABLE!,
        IndexName: 'byAccount',
        KeyConditionExpression: 'accountId = :a',
        ExpressionAttributeValues: { ':a': p.accountId },
      }),
    );
    const voice = (log.Items ?? []).filter((e) => e.channel === 'voice' && e.event === 'PRESENTED');
    expect(voice.length).toBe(heard.length);
    expect(voice.map((e) => e.offerId)).not.toContain('annual-fee-waiver');
    for (const e of log.Items ?? []) if (e.channel === 'voice') expect(e.by).toBeUndefined();
  });
});

describe('npm run token and the key it reads', () => {
  it('the signing key is published for this user only (file 600, folder 700)', () => {
    expect(statSync(stack.issuerKeyFile).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(stack.issuerKeyFile)).mode & 0o777).toBe(0o700);
  });

  const cwd = join(import.meta.dirname, '../..');
  const tsx = join(cwd, 'node_modules/.bin/tsx');

  it('prints a token the local authorizer accepts, with several roles and the user given', async () => {
    const { stdout } = await run(
      tsx,
      ['infra/local/token.ts', '--role', 'agent,ops', '--user', 'cli.user', '--url', stack.url],
      { cwd },
    );
    const token = stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ 'cognito:username': 'cli.user', 'cognito:groups': ['agent', 'ops'] });
    expect((await anonymous.http('GET', '/admin/config', undefined, bearer(token))).status).toBe(200);
    const { id } = await verifiedCall();
    expect((await anonymous.http('GET', `/contacts/${id}/offers`, undefined, bearer(token))).status).toBe(
      200,
    );
  });

  it('refuses an unknown role, naming the roles', async () => {
    await expect(
      run(tsx, ['infra/local/token.ts', '--role', 'admin', '--url', stack.url], { cwd }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('productOwner') });
  });

  it('a command given RD_TOKEN sends it: npm run tag with an agent token is refused (403)', async () => {
    const file = join(dirname(stack.issuerKeyFile), `ids-${process.pid}.txt`);
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(file, 'PER-0001\n');
    try {
      const agent = await tokenOf(stack, ['agent']);
      await expect(
        run(tsx, ['infra/local/tag.ts', '--tag', 'CLI_TAG', '--file', file, '--url', stack.url], {
          cwd,
          env: { ...process.env, RD_TOKEN: agent },
        }),
      ).rejects.toMatchObject({ stderr: expect.stringContaining('403') });
      // With no token given, it mints a product owner's with the published key.
      const { RD_TOKEN: _drop, ...env } = process.env;
      const ok = await run(
        tsx,
        ['infra/local/tag.ts', '--tag', 'CLI_TAG', '--file', file, '--url', stack.url],
        {
          cwd,
          env,
        },
      );
      expect(ok.stdout).toMatch(/tagged 1 account/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
