import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpRequest, type HttpResponse, problemResponse } from '../../shared/application/http';
import { ADMIN_ROUTES } from '../../shared/schemas/admin';
import { ROUTES } from '../../shared/schemas/api';
import { PUT_EVENTS_TARGET, putEvents } from './events-api';
import { fakeContext } from './runner';

type ApiHandler = (event: never, context: never) => Promise<HttpResponse>;

/** Stop reading a body past this; the APIs answer 413 above their own, smaller limits. */
const READ_LIMIT = 1024 * 1024;

const MATCHERS = [...ROUTES, ...ADMIN_ROUTES].map((r) => ({
  ...r,
  admin: (ADMIN_ROUTES as readonly { resource: string }[]).includes(r),
  regex: new RegExp(`^${r.resource.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}/?$`),
}));
/** Whether API Gateway would send this resource to the admin function. */
const isAdmin = (resource: string) => MATCHERS.some((m) => m.admin && m.resource === resource);

/** The Lambda Invoke API's path: the AWS SDK and CLI call it with an endpoint override. */
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/?]+)\/invocations(?:\?.*)?$/;

/** Lambda's Invoke API for the channel adapters: the event in, the function's answer out. */
async function invoke(
  functions: Record<string, (event: unknown) => Promise<unknown>>,
  name: string,
  body: string | null,
): Promise<HttpResponse> {
  // The SDK may send a full ARN or a name; the last segment after "function:" is the name.
  const fn = functions[name.split(':function:').at(-1)!.split(':')[0]!];
  const lambdaError = (status: number, type: string, message: string): HttpResponse => ({
    statusCode: status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify({ Type: 'User', message }),
  });
  if (!fn) return lambdaError(404, 'ResourceNotFoundException', `Function not found: ${name.slice(0, 100)}`);
  let event: unknown;
  try {
    event = body ? JSON.parse(body) : {};
  } catch {
    return lambdaError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
  }
  const result = await fn(event);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' },
    body: JSON.stringify(result ?? null),
  };
}

/** Maps a request to the API Gateway proxy event API Gateway would send for the same route. */
export function toApiEvent(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string | null,
): HttpRequest {
  const path = new URL(url, 'http://127.0.0.1').pathname;
  for (const m of MATCHERS) {
    const hit = m.regex.exec(path);
    if (!hit) continue;
    const params = Object.fromEntries(
      Object.entries(hit.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]),
    );
    return {
      httpMethod: method,
      resource: m.resource,
      path,
      pathParameters: Object.keys(params).length ? params : null,
      headers,
      body,
      isBase64Encoded: false,
    };
  }
  return {
    httpMethod: method,
    resource: path,
    path,
    pathParameters: null,
    headers,
    body,
    isBase64Encoded: false,
  };
}

function readBody(req: IncomingMessage): Promise<string | null | 'too-large'> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > READ_LIMIT) {
        ok('too-large');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => ok(size === 0 ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

/** An HTTP server on loopback only, serving the same /v1 routes through the same API handler. */
export async function startHttpServer(
  handlers: {
    api: ApiHandler;
    admin: ApiHandler;
    invoke?: Record<string, (event: unknown) => Promise<unknown>>;
    /** EventBridge's PutEvents: each event that matches the account bus's rule, to AccountEvents. */
    events?: (event: unknown) => Promise<unknown>;
  },
  opts: { port: number; host?: string; index?: unknown; pages?: Record<string, string> },
) {
  const server: Server = createServer(async (req, res) => {
    let out: HttpResponse;
    try {
      const body = await readBody(req);
      if (body === 'too-large') {
        out = problemResponse(
          413,
          'body-too-large',
          'Request body too large',
          'The body is far over the limit.',
        );
      } else if (
        req.method === 'POST' &&
        handlers.events &&
        req.headers['x-amz-target'] === PUT_EVENTS_TARGET
      ) {
        out = await putEvents(body, handlers.events);
      } else if (req.method === 'POST' && INVOKE_PATH.test(req.url ?? '')) {
        out = await invoke(
          handlers.invoke ?? {},
          decodeURIComponent(INVOKE_PATH.exec(req.url ?? '')![1]!),
          body,
        );
      } else if (req.method === 'GET' && opts.pages?.[req.url ?? '']) {
        out = {
          statusCode: 200,
          headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
          body: opts.pages[req.url ?? '']!,
        };
      } else if (req.method === 'GET' && (req.url === '/' || req.url === '/v1')) {
        out = {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(opts.index ?? {}, null, 2),
        };
      } else {
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
        );
        const event = toApiEvent(req.method ?? 'GET', req.url ?? '/', headers, body);
        const admin = isAdmin(event.resource);
        out = await (admin ? handlers.admin : handlers.api)(
          event as never,
          // The deployed timeouts: admin-api 30 s (imports), http-api 10 s (a synchronous run).
          fakeContext(admin ? 'admin-api' : 'http-api', admin ? 30_000 : 10_000) as never,
        );
      }
    } catch (e) {
      if (process.env.RD_DEBUG) console.error(e);
      out = problemResponse(
        500,
        'internal',
        'Internal error',
        'The local server failed to serve the request.',
      );
    }
    res.writeHead(out.statusCode, out.headers);
    res.end(out.body);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
