import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../infra/local/stack';
import type { Role } from '../../shared/schemas/identity';
import { checkAnswer } from './openapi-check';

// Answers are read field by field in the assertions.
type Json = Record<string, any>;

/**
 * The role a test request is sent with when it names none, by route: the account feed is ops' job,
 * the rest of the admin API the product owner's, contacts the desk's. The desk's default is a
 * supervisor, the highest offer authority, so a flow that accepts the best offer keeps doing so;
 * tests of roles and authority give their own (`as`).
 */
export function defaultRoles(path: string): Role[] {
  if (/\/v1\/admin\/accounts\//.test(path)) return ['ops'];
  if (/\/v1\/admin\//.test(path)) return ['productOwner'];
  return ['supervisor'];
}

/** Tokens by stack and roles: signing is cheap, but a suite sends thousands of requests. */
const tokens = new WeakMap<LocalStack, Map<string, Promise<string>>>();
export function tokenOf(stack: LocalStack, roles: readonly Role[], user = `test-${roles.join('-')}`) {
  const byRoles = tokens.get(stack) ?? new Map<string, Promise<string>>();
  tokens.set(stack, byRoles);
  const key = `${roles.join(',')}|${user}`;
  const t = byRoles.get(key) ?? stack.issuer.sign({ roles, user });
  byRoles.set(key, t);
  return t;
}

/**
 * A client of the local stack for tests: its HTTP API (paths under `base`, JSON in and out) and its
 * accounts table read directly. `stack` is a getter: the stack is started in a beforeAll. Every
 * request carries a bearer token of the local issuer (see defaultRoles); `as` gives a client for
 * other roles or user, or (null) none; a request's own `authorization` header wins.
 */
export function localClient(
  stack: () => LocalStack,
  base = '/v1',
  identity?: { roles: Role[]; user?: string } | null,
) {
  async function request(method: string, path: string, body?: unknown, extra: Record<string, string> = {}) {
    const auth: Record<string, string> =
      identity === null
        ? {}
        : {
            authorization: `Bearer ${await tokenOf(stack(), identity?.roles ?? defaultRoles(path), identity?.user)}`,
          };
    const headers = { ...auth, ...extra };
    const res = await fetch(`${stack().url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    const answer = {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      headers: res.headers,
      json: (text ? JSON.parse(text) : null) as Json,
    };
    // Every answer of the suite is what the API's OpenAPI document says (test/fakes/openapi-check.ts).
    checkAnswer(method, path, answer.status, answer.type, answer.json);
    return answer;
  }
  return {
    http: (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      request(method, `${base}${path}`, body, headers),
    /** Starts an agent-desk call from this number: the answer of `POST /v1/contacts`. */
    call: (callerPhone: string, callType = 'CLOSE_ACCOUNT') =>
      request('POST', '/v1/contacts', { channel: 'agent', callType, callerPhone }),
    /** The same client as another desk person (or, with null, with no token at all). */
    as: (who: { roles: Role[]; user?: string } | null) => localClient(stack, base, who),
    async account(accountId: string): Promise<Json | undefined> {
      const s = stack();
      return (await s.db.send(new GetCommand({ TableName: s.env.ACCOUNTS_TABLE!, Key: { accountId } }))).Item;
    },
  };
}
