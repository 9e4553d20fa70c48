import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalStack } from '../../infra/local/stack';

// Answers are read field by field in the assertions.
type Json = Record<string, any>;

/**
 * A client of the local stack for tests: its HTTP API (paths under `base`, JSON in and out) and its
 * accounts table read directly. `stack` is a getter: the stack is started in a beforeAll.
 */
export function localClient(stack: () => LocalStack, base = '/v1') {
  async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${stack().url}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      json: (text ? JSON.parse(text) : null) as Json,
    };
  }
  return {
    http: (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
      request(method, `${base}${path}`, body, headers),
    /** Starts an agent-desk call from this number: the answer of `POST /v1/contacts`. */
    call: (callerPhone: string, callType = 'CLOSE_ACCOUNT') =>
      request('POST', '/v1/contacts', { channel: 'agent', callType, callerPhone }),
    async account(accountId: string): Promise<Json | undefined> {
      const s = stack();
      return (await s.db.send(new GetCommand({ TableName: s.env.ACCOUNTS_TABLE!, Key: { accountId } }))).Item;
    },
  };
}
