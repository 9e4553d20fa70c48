import { describe, expect, it, vi } from 'vitest';
import { makeHandler } from '../../functions/http-api';
import { newContact } from '../../shared/domain/call';
import { problem } from '../../shared/domain/problems';
import type { TurnOutput, TurnRunner } from '../../shared/ports';
import type { TurnInput } from '../../shared/schemas/api';
import { config, NOW } from '../fakes/accounts';
import start from '../fixtures/apigw/start-contact.json';

const ID = '5ca32fbd-8f92-46af-92a5-6b0f970f0efe';
const context = {
  functionName: 'http-api',
  awsRequestId: 'r-1',
  getRemainingTimeInMillis: () => 3000,
} as never;
const contact = newContact({
  contactId: ID,
  request: { channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: '+15555550123' },
  now: NOW,
  accountId: 'ACC-TEST01',
  callerMatched: true,
  config,
});

function event(
  method: string,
  resource: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const path = resource.replace('{contactId}', ID);
  return {
    ...start,
    httpMethod: method,
    resource,
    path,
    headers,
    pathParameters: resource.includes('{contactId}') ? { contactId: ID } : null,
    body: body === null ? null : typeof body === 'string' ? body : JSON.stringify(body),
  };
}

function setup(
  out: TurnOutput | Error = {
    outcome: 'ok',
    action: 'start',
    contact: {
      ...contact,
      route: { queue: 'RETENTION_SPECIALIST', priority: 2, reasons: ['r'], ruleId: 'retention' },
    },
  },
) {
  const inputs: TurnInput[] = [];
  const runner: TurnRunner = {
    run: vi.fn(async (i: TurnInput) => {
      inputs.push(i);
      if (out instanceof Error) throw out;
      return out;
    }),
  };
  return { handler: makeHandler({ runner, clock: () => new Date(NOW) }), inputs, runner };
}
const body = (r: { body: string }) => JSON.parse(r.body);

describe('http-api handler', () => {
  it('POST /v1/contacts with the fixture event starts a turn and answers 201 with contactId, stage and route', async () => {
    const { handler, inputs } = setup();
    const r = await handler(start as never, context);
    expect(r.statusCode).toBe(201);
    expect(body(r)).toMatchObject({
      contactId: ID,
      stage: 'VERIFY',
      route: { queue: 'RETENTION_SPECIALIST' },
    });
    expect(inputs).toEqual([
      {
        action: 'start',
        now: NOW,
        request: { channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: '+15555550123' },
        // The authorizer's claims, as the fixture carries them: who is acting, in which roles.
        actor: { sub: '7d3f8a2e-1c4b-4e9a-a7d2-5b8c9e0f1a2b', username: 'maria.k', roles: ['agent'] },
      },
    ]);
  });

  it.each<[string, ReturnType<typeof event>, number, string]>([
    ['empty body', event('POST', '/v1/contacts', null), 400, '(body)'],
    ['malformed JSON', event('POST', '/v1/contacts', '{"channel":'), 400, '(body)'],
    ['a JSON array', event('POST', '/v1/contacts', '[]'), 400, '(body)'],
    [
      'wrong type',
      event('POST', '/v1/contacts', { channel: 'agent', callType: 7, callerPhone: '+15555550123' }),
      400,
      'callType',
    ],
    [
      'unknown field',
      event('POST', '/v1/contacts', {
        channel: 'agent',
        callType: 'CLOSE_ACCOUNT',
        callerPhone: '+15555550123',
        cardNumber: '4111',
      }),
      400,
      'cardNumber',
    ],
    [
      'no phone and no account',
      event('POST', '/v1/contacts', { channel: 'agent', callType: 'CLOSE_ACCOUNT' }),
      400,
      'callerPhone',
    ],
    [
      'phone not E.164',
      event('POST', '/v1/contacts', { channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: '555-0123' }),
      400,
      'callerPhone',
    ],
    ['bad dob', event('POST', '/v1/contacts/{contactId}/verification', { dob: '29/02/1980' }), 400, 'dob'],
    ['no factor at all', event('POST', '/v1/contacts/{contactId}/verification', {}), 400, '(body)'],
    [
      'bad response value',
      event('POST', '/v1/contacts/{contactId}/responses', {
        offerId: 'annual-fee-waiver',
        response: 'MAYBE',
      }),
      400,
      'response',
    ],
    [
      'bad idempotency key',
      event(
        'POST',
        '/v1/contacts/{contactId}/responses',
        { offerId: 'annual-fee-waiver', response: 'ACCEPTED' },
        { 'content-type': 'application/json', 'Idempotency-Key': 'x' },
      ),
      400,
      'Idempotency-Key',
    ],
  ])('%s → %i problem naming %s, and no turn runs', async (_n, ev, status, path) => {
    const { handler, runner } = setup();
    const r = await handler(ev as never, context);
    expect(r.statusCode).toBe(status);
    expect(r.headers['content-type']).toBe('application/problem+json');
    const p = body(r);
    expect(p).toMatchObject({
      status,
      type: expect.stringContaining('/problems/'),
      title: expect.any(String),
      detail: expect.any(String),
    });
    expect(p.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(runner.run).not.toHaveBeenCalled();
  });

  it('a malformed contact id is a 400 naming contactId', async () => {
    const { handler } = setup();
    const ev = {
      ...event('GET', '/v1/contacts/{contactId}', null),
      pathParameters: { contactId: 'not-a-uuid' },
    };
    const r = await handler(ev as never, context);
    expect(r.statusCode).toBe(400);
    expect(body(r).errors[0].path).toBe('contactId');
  });

  it('an oversized body is a 413, a non-JSON content type a 415', async () => {
    const { handler } = setup();
    const big = await handler(
      event('POST', '/v1/contacts', {
        channel: 'agent',
        callType: 'CLOSE_ACCOUNT',
        externalContactId: 'x'.repeat(5000),
      }) as never,
      context,
    );
    expect(big.statusCode).toBe(413);
    const xml = await handler(
      event('POST', '/v1/contacts', '<a/>', { 'content-type': 'application/xml' }) as never,
      context,
    );
    expect(xml.statusCode).toBe(415);
  });

  it('unknown route is a 404, wrong method a 405', async () => {
    const { handler } = setup();
    expect((await handler(event('GET', '/v2/nothing', null) as never, context)).statusCode).toBe(404);
    expect((await handler(event('DELETE', '/v1/contacts', null) as never, context)).statusCode).toBe(405);
  });

  it.each([
    ['ContactNotFound', 404],
    ['NotVerified', 409],
    ['OfferNotPresented', 409],
    ['AnswerConflict', 409],
    ['VerificationLocked', 423],
    ['IdempotencyKeyReused', 422],
    ['InsufficientAuthority', 403],
  ] as const)('a %s rejection from the state machine is a %i problem', async (name, status) => {
    const { handler } = setup({ outcome: 'rejected', problem: problem(name, 'because') });
    const r = await handler(event('GET', '/v1/contacts/{contactId}/offers', null) as never, context);
    expect(r.statusCode).toBe(status);
    expect(body(r)).toMatchObject({ status, detail: 'because' });
  });

  it('a verification that locks answers 423 with the security route', async () => {
    const locked = {
      ...contact,
      stage: 'LOCKED' as const,
      verification: { ...contact.verification, status: 'LOCKED' as const, attemptsLeft: 0 },
    };
    const { handler } = setup({ outcome: 'ok', action: 'verify', contact: locked });
    const r = await handler(
      event('POST', '/v1/contacts/{contactId}/verification', { last4: '0000', zip: '00000' }) as never,
      context,
    );
    expect(r.statusCode).toBe(423);
    expect(body(r)).toMatchObject({ stage: 'LOCKED', attemptsLeft: 0 });
  });

  it('a failed task (state machine fallback) is a 503 carrying the safe route', async () => {
    const { handler } = setup({
      outcome: 'fallback',
      failedAt: 'DecideTurn',
      error: 'States.Timeout',
      route: { queue: 'RETENTION_SPECIALIST', priority: 1, reasons: ['x'], ruleId: 'SAFE_FALLBACK' },
    });
    const r = await handler(event('GET', '/v1/contacts/{contactId}/offers', null) as never, context);
    expect(r.statusCode).toBe(503);
    expect(body(r)).toMatchObject({
      route: { queue: 'RETENTION_SPECIALIST' },
      detail: expect.stringContaining('DecideTurn'),
    });
  });

  it('a runner that throws is a 503 with the safe route, never a stack trace', async () => {
    const { handler } = setup(new Error('socket hang up at Foo.bar (/var/task/index.mjs:1:1)'));
    const r = await handler(start as never, context);
    expect(r.statusCode).toBe(503);
    expect(r.body).not.toContain('index.mjs');
    expect(body(r).route.queue).toBe('RETENTION_SPECIALIST');
  });

  describe('identity (requestContext.authorizer.claims)', () => {
    const claims = (c: unknown) => ({ ...start, requestContext: { ...start.requestContext, authorizer: c } });
    const withClaims = (c: Record<string, unknown>) => claims({ claims: c });
    const agent = start.requestContext.authorizer.claims;

    it.each<[string, unknown]>([
      ['no authorizer context', claims(undefined)],
      ['no claims', claims({})],
      ['no sub', withClaims({ ...agent, sub: undefined })],
      ['no username', withClaims({ ...agent, 'cognito:username': undefined })],
      ['a sub that is not a name', withClaims({ ...agent, sub: 'a b<script>' })],
    ])('%s is a 401 problem, and no turn runs', async (_, e) => {
      const { handler, inputs } = setup();
      const r = await handler(e as never, context);
      expect(r.statusCode).toBe(401);
      expect(r.headers['content-type']).toBe('application/problem+json');
      expect(body(r)).toMatchObject({ status: 401, type: expect.stringContaining('unauthenticated') });
      expect(inputs).toEqual([]);
    });

    it.each([
      ['POST', '/v1/contacts', ['ops']],
      ['POST', '/v1/contacts/{contactId}/responses', ['ops']],
      ['GET', '/v1/contacts/{contactId}/offers', ['productOwner']],
      ['GET', '/v1/contacts/{contactId}', ['productOwner']],
      ['GET', '/v1/contacts/{contactId}', []],
    ])(
      '%s %s by %j is a 403 naming the roles that may, and no turn runs',
      async (method, resource, groups) => {
        const { handler, inputs } = setup();
        const e = {
          ...event(
            method,
            resource,
            method === 'POST' ? { offerId: 'apr-cut-6m', response: 'DECLINED' } : null,
          ),
          requestContext: { authorizer: { claims: { ...agent, 'cognito:groups': groups.join(',') } } },
        };
        const r = await handler(e as never, context);
        expect(r.statusCode).toBe(403);
        const p = body(r);
        expect(p.requiredRoles).toEqual(
          resource === '/v1/contacts/{contactId}' && method === 'GET'
            ? ['agent', 'specialist', 'supervisor', 'ops']
            : ['agent', 'specialist', 'supervisor'],
        );
        expect(p.detail).toContain(p.requiredRoles.join(', '));
        expect(inputs).toEqual([]);
      },
    );

    it('ops may read a contact: the turn runs with the ops actor', async () => {
      const { handler, inputs } = setup({ outcome: 'ok', action: 'get', contact });
      const r = await handler(
        {
          ...event('GET', '/v1/contacts/{contactId}', null),
          requestContext: { authorizer: { claims: { ...agent, 'cognito:groups': 'ops' } } },
        } as never,
        context,
      );
      expect(r.statusCode).toBe(200);
      expect(inputs[0]?.actor).toMatchObject({ username: 'maria.k', roles: ['ops'] });
    });

    it.each([
      ['a comma-separated string (API Gateway REST)', 'supervisor,reporting', ['supervisor']],
      ['a bracketed list (HTTP API JWT authorizer)', '[specialist agent]', ['agent', 'specialist']],
      ['a JSON array', ['agent'], ['agent']],
    ])('cognito:groups as %s is read as roles', async (_, groups, roles) => {
      const { handler, inputs } = setup();
      await handler(withClaims({ ...agent, 'cognito:groups': groups }) as never, context);
      expect(inputs[0]?.actor?.roles).toEqual(roles);
    });
  });
});
