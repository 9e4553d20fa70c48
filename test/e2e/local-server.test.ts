import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../infra/local/server';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { tokenOf } from '../fakes/local-client';
import { type RawResponse, rawGet, rawRequest } from '../fakes/raw-http';

/**
 * Issue 9: what an attacker found on the local stack's HTTP server (500s from malformed
 * percent-encoding and from the Invoke API's name lookup, Node's empty error answers, dot segments
 * reaching another resource, PII on the index page). Each test is one finding, sent as raw bytes so
 * no client library tidies the request first.
 */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, accounts: 0 });
});
afterAll(async () => stack?.stop());

type Json = Record<string, any>;
const problem = (r: RawResponse): Json => {
  expect(r.headers['content-type'], r.raw).toMatch(/^application\/problem\+json/);
  const p = JSON.parse(r.body) as Json;
  expect(p).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status: r.status,
    detail: expect.any(String),
  });
  return p;
};
/** A header line with a token of these roles (the authorizer lets the request reach routing). */
const bearer = async (roles: Parameters<typeof tokenOf>[1]) =>
  `Authorization: Bearer ${await tokenOf(stack, roles)}\r\n`;

const send = (method: string, target: string, body = '', headers = '') =>
  rawRequest(
    stack.url,
    `${method} ${target} HTTP/1.1\r\nHost: localhost\r\n${headers}${
      body ? `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` : ''
    }Connection: close\r\n\r\n${body}`,
  );

describe('malformed percent-encoding in a path id is a 400 naming the parameter, not a 500', () => {
  it.each([
    ['GET', '/v1/contacts/%zz', 'contactId'],
    ['GET', '/v1/contacts/%', 'contactId'],
    ['GET', '/v1/contacts/%C0%AF', 'contactId'],
    ['GET', '/v1/contacts/%E0%A4%A/offers', 'contactId'],
    ['POST', '/v1/contacts/%ff%fe/verification', 'contactId'],
    ['POST', '/v1/contacts/%D8%00/responses', 'contactId'],
    ['GET', '/v1/admin/config/versions/%zz', 'version'],
    ['POST', '/v1/admin/config/versions/%/activate', 'version'],
  ])('%s %s', async (method, target, param) => {
    const r = await send(method, target, method === 'POST' ? '{"last4":"1234"}' : '');
    expect(r.status, r.raw).toBe(400);
    expect(problem(r).errors).toEqual([expect.objectContaining({ path: param })]);
  });
});

describe("the local Invoke API finds only the stack's functions, never an object's inherited keys", () => {
  it.each([
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    'valueOf',
    '__defineGetter__',
    'arn:aws:lambda:us-east-1:000000000000:function:constructor',
    '%zz',
    '%',
  ])('%s is a 404 ResourceNotFoundException', async (name) => {
    const r = await send('POST', `/2015-03-31/functions/${name}/invocations`, '{"echo":"me"}');
    expect(r.status, r.raw).toBe(404);
    expect(r.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(JSON.parse(r.body)).toMatchObject({ message: expect.stringMatching(/^Function not found/) });
    expect(r.body).not.toContain('echo');
  });

  it('a known function still answers', async () => {
    const r = await send('POST', '/2015-03-31/functions/lex-adapter/invocations', '{}');
    expect(r.status, r.raw).toBe(200);
    expect(JSON.parse(r.body).sessionState.dialogAction.type).toBeDefined();
  });
});

describe("requests Node's parser refuses are answered with problem+json, not an empty body", () => {
  it('a malformed request line is a 400', async () => {
    const r = await rawRequest(stack.url, 'NOT HTTP AT ALL\r\n\r\n');
    expect(r.status).toBe(400);
    problem(r);
  });

  it('a header value with a control character is a 400', async () => {
    const r = await rawRequest(stack.url, 'GET /v1 HTTP/1.1\r\nHost: x\r\nX-Evil: a\u0001b\r\n\r\n');
    expect(r.status).toBe(400);
    problem(r);
  });

  it('headers over the size limit are a 431', async () => {
    const r = await rawGet(stack.url, '/v1/contacts', `X-Big: ${'a'.repeat(20_000)}\r\n`);
    expect(r.status).toBe(431);
    problem(r);
  });

  it('a request whose headers never finish is a 408', async () => {
    const noop = async () => ({ statusCode: 200, headers: {}, body: '' });
    const server = await startHttpServer(
      { api: noop, admin: noop },
      { port: 0, timeouts: { headersMs: 300, requestMs: 300, checkEveryMs: 50 } },
    );
    try {
      const r = await rawRequest(server.url, 'GET /v1 HTTP/1.1\r\nHost: x\r\n', 5_000);
      expect(r.status).toBe(408);
      problem(r);
    } finally {
      await server.close();
    }
  });
});

describe('a path with dot segments or encoded separators is never routed to another resource', () => {
  it.each([
    '/v1/contacts/../admin/config',
    '/v1/contacts/%2e%2e/admin/config',
    '/v1/contacts/.%2E/admin/config',
    '/v1/contacts/x/../../admin/config',
    '/v1/./admin/config',
    '/v1/contacts\\..\\admin\\config',
    '/v1/contacts/..%2fadmin%2fconfig',
    '/v1/contacts/..%5cadmin%5cconfig',
    '//v1/admin/config',
    'http://localhost/v1/contacts/../admin/config',
  ])('GET %s', async (target) => {
    // With a token that may read the admin configuration: the path still must not reach it.
    const r = await rawGet(stack.url, target, await bearer(['productOwner', 'supervisor']));
    expect([400, 404], r.raw).toContain(r.status);
    const p = problem(r);
    if (r.status === 400) expect(p.errors.length).toBeGreaterThan(0);
    expect(r.body).not.toContain('"offers"');
  });

  it('the admin route itself still answers', async () => {
    const r = await rawGet(stack.url, '/v1/admin/config', await bearer(['productOwner']));
    expect(r.status, r.raw).toBe(200);
  });
});

describe('the index page shows no PII', () => {
  it('no persona name, no full phone; counts and masked phones instead', async () => {
    const r = await rawGet(stack.url, '/');
    expect(r.status).toBe(200);
    for (const { persona } of stack.personas) {
      expect(r.body).not.toContain(persona.name);
      expect(r.body).not.toContain(persona.name.split(',')[0]!);
      expect(r.body).not.toContain(persona.phone);
    }
    const index = JSON.parse(r.body) as Json;
    expect(index.personas.count).toBe(stack.personas.length);
    expect(index.personas.file).toBe('data/personas.json');
    for (const m of index.personas.phones) expect(m).toMatch(/^\+\d{5,}••\d{2}$/);
    expect(index.routes).toContain('POST /v1/contacts');
  });
});

describe('every validation error names a non-empty path', () => {
  it('an unknown field named "" is the path `""`, not an empty string', async () => {
    const r = await send(
      'POST',
      '/v1/contacts',
      JSON.stringify({ '': 1, channel: 'agent', callType: 'CLOSE_ACCOUNT', callerPhone: '+15555550101' }),
      await bearer(['agent']),
    );
    expect(r.status, r.raw).toBe(400);
    expect(problem(r).errors).toEqual([{ path: '""', message: 'unknown field' }]);
  });
});
