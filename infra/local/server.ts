import { createServer, type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type HttpRequest, type HttpResponse, invalid, problemResponse } from '../../shared/channels/http';
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

/** `decodeURIComponent`, or undefined for malformed percent-encoding (`%zz`, `%`, `%C0%AF`). */
function decoded(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** Lambda's Invoke API for the channel adapters: the event in, the function's answer out. */
async function invoke(
  functions: Record<string, (event: unknown) => Promise<unknown>>,
  rawName: string,
  body: string | null,
  invocationType?: string,
  /** Where a failed asynchronous invocation goes (Lambda's on-failure destination: the feed's dead-letter queue). */
  onAsyncFailure?: (functionName: string, event: unknown, error: unknown) => void,
): Promise<HttpResponse> {
  const lambdaError = (status: number, type: string, message: string): HttpResponse => ({
    statusCode: status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
    body: JSON.stringify({ Type: 'User', message }),
  });
  const name = decoded(rawName) ?? rawName;
  // The SDK may send a full ARN or a name; the last segment after "function:" is the name.
  const key = name.split(':function:').at(-1)!.split(':')[0]!;
  // Own keys only: `constructor` or `__proto__` must not find Object's members.
  const fn = Object.hasOwn(functions, key) ? functions[key] : undefined;
  if (typeof fn !== 'function')
    return lambdaError(404, 'ResourceNotFoundException', `Function not found: ${name.slice(0, 100)}`);
  let event: unknown;
  try {
    event = body ? JSON.parse(body) : {};
  } catch {
    return lambdaError(400, 'InvalidRequestContentException', 'Could not parse request body into json');
  }
  // An asynchronous invocation: queued (here: started) and answered 202 at once, as Lambda does; a
  // failure goes where Lambda's on-failure destination would send it (after its retries, on AWS).
  if (invocationType === 'Event') {
    void fn(event).catch((e: unknown) => {
      onAsyncFailure?.(key, event, e);
      if (process.env.RD_DEBUG) console.error('async invoke', e);
    });
    return { statusCode: 202, headers: { 'content-type': 'application/json' }, body: '' };
  }
  try {
    const result = await fn(event);
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' },
      body: JSON.stringify(result ?? null),
    };
  } catch (e) {
    // As Lambda answers a function that threw: 200, the error in the body, X-Amz-Function-Error.
    return {
      statusCode: 200,
      headers: {
        'content-type': 'application/json',
        'x-amz-executed-version': '$LATEST',
        'x-amz-function-error': 'Unhandled',
      },
      body: JSON.stringify({
        errorType: e instanceof Error ? e.name : 'Error',
        errorMessage: e instanceof Error ? e.message : String(e),
      }),
    };
  }
}

/**
 * The path as the client sent it: no URL parser, which would resolve `..`, `%2e%2e` and `\`
 * into another resource where API Gateway would not. An absolute-form target loses its origin.
 */
function rawPath(url: string): string {
  const path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/, 1)[0] ?? '';
  return path;
}

/**
 * The query as API Gateway (REST, proxy) hands it over: each parameter's last value, and all its
 * values; null when there is none. Malformed percent-encoding is kept as sent, as API Gateway does.
 */
function queryOf(
  url: string,
): Pick<HttpRequest, 'queryStringParameters' | 'multiValueQueryStringParameters'> {
  const q = /\?([^#]*)/.exec(url)?.[1];
  if (!q) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  const multi = new Map<string, string[]>();
  for (const part of q.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const [k, v] = eq < 0 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        return s;
      }
    };
    const key = dec(k);
    multi.set(key, [...(multi.get(key) ?? []), dec(v)]);
  }
  if (multi.size === 0) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  return {
    queryStringParameters: Object.fromEntries([...multi].map(([k, v]) => [k, v.at(-1)])),
    multiValueQueryStringParameters: Object.fromEntries(multi),
  };
}

/** Dot segments (plain or percent-encoded) and backslashes: such a path names no resource. */
const UNROUTABLE = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)|\\|%5c/i;

/**
 * Maps a request to the API Gateway proxy event API Gateway would send for the same route, or to
 * the 4xx that ends it here: a path id with malformed percent-encoding is a 400 naming the
 * parameter; a path with dot segments or backslashes routes nowhere (404).
 */
export function toApiEvent(
  method: string,
  url: string,
  headers: Record<string, string>,
  body: string | null,
): { ok: true; event: HttpRequest } | { ok: false; response: HttpResponse } {
  const path = rawPath(url);
  const event = (resource: string, pathParameters: Record<string, string> | null): HttpRequest => ({
    httpMethod: method,
    resource,
    path,
    pathParameters,
    headers,
    body,
    isBase64Encoded: false,
    ...queryOf(url),
  });
  if (UNROUTABLE.test(path))
    return {
      ok: false,
      response: problemResponse(404, 'not-found', 'Not found', 'No route for a path with dot segments.'),
    };
  for (const m of MATCHERS) {
    const hit = m.regex.exec(path);
    if (!hit) continue;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(hit.groups ?? {})) {
      const d = decoded(v);
      if (d === undefined)
        return { ok: false, response: invalid([{ path: k, message: 'malformed percent-encoding' }]) };
      params[k] = d;
    }
    return { ok: true, event: event(m.resource, Object.keys(params).length ? params : null) };
  }
  return { ok: true, event: event(path, null) };
}

const headersOf = (req: IncomingMessage): Record<string, string> =>
  Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
  );

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

/** What Node's parser refuses, by error code: the status Node itself would send. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers-too-large', 'Request header fields too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request-timeout', 'Request timeout'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'body-too-large', 'Request body too large'],
};

/**
 * Node's own answer to a request its parser refuses is an empty 400/431/408: answer problem+json
 * instead, as every other error of the API is. Nothing of the request is echoed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // As Node's default: write only if no answer of this connection has started (else it is corrupted).
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, slug, title] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'bad-request', 'Bad request'];
  const detail =
    status === 400
      ? 'The request is not well-formed HTTP/1.1 (request line, header names or values).'
      : status === 431
        ? 'The request headers are over the size limit.'
        : status === 408
          ? 'The request did not arrive in time.'
          : 'The request is over the size limit.';
  const out = problemResponse(status, slug, title, detail);
  const head = Object.entries({ ...out.headers, 'content-length': String(Buffer.byteLength(out.body)) })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}connection: close\r\n\r\n${out.body}`);
}

/** An HTTP server on loopback only, serving the same /v1 routes through the same API handler. */
export async function startHttpServer(
  handlers: {
    api: ApiHandler;
    admin: ApiHandler;
    invoke?: Record<string, (event: unknown) => Promise<unknown>>;
    /** EventBridge's PutEvents: each event that matches the account bus's rule, to AccountEvents. */
    events?: (event: unknown) => Promise<unknown>;
    /** API Gateway's Cognito authorizer (infra/local/authorizer.ts): the event with claims, or a 401. */
    authorize?: (event: HttpRequest) => Promise<HttpRequest | HttpResponse>;
    /** SQS's JSON protocol, for the account feed's dead-letter queue (infra/local/dead-letters.ts). */
    sqs?: (target: string, body: string | null) => HttpResponse;
    /** A failed asynchronous invocation (`X-Amz-Invocation-Type: Event`): to the dead-letter queue. */
    asyncFailure?: (functionName: string, event: unknown, error: unknown) => void;
  },
  opts: {
    port: number;
    host?: string;
    index?: unknown;
    pages?: Record<string, string>;
    /**
     * Local-only GET routes by exact path (query ignored), answered before the API's: the ops page, its
     * script and its metrics. Each sees the request's headers and decides its own authorization.
     */
    routes?: Record<string, (headers: Record<string, string>) => HttpResponse | Promise<HttpResponse>>;
    /** A client gets this long to send its headers, and its whole request, before a 408. */
    timeouts?: { headersMs?: number; requestMs?: number; checkEveryMs?: number };
  },
) {
  const t = opts.timeouts ?? {};
  const server: Server = createServer(
    {
      headersTimeout: t.headersMs ?? 10_000,
      requestTimeout: t.requestMs ?? 30_000,
      connectionsCheckingInterval: t.checkEveryMs ?? 1_000,
    },
    async (req, res) => {
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
        } else if (
          req.method === 'POST' &&
          handlers.sqs &&
          String(req.headers['x-amz-target'] ?? '').startsWith('AmazonSQS.')
        ) {
          out = handlers.sqs(String(req.headers['x-amz-target']), body);
        } else if (req.method === 'POST' && INVOKE_PATH.test(req.url ?? '')) {
          const type = req.headers['x-amz-invocation-type'];
          out = await invoke(
            handlers.invoke ?? {},
            INVOKE_PATH.exec(req.url ?? '')![1]!,
            body,
            typeof type === 'string' ? type : undefined,
            handlers.asyncFailure,
          );
        } else if (
          (req.method === 'GET' || req.method === 'HEAD') &&
          opts.routes &&
          Object.hasOwn(opts.routes, rawPath(req.url ?? ''))
        ) {
          out = await opts.routes[rawPath(req.url ?? '')]!(headersOf(req));
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
          const headers = headersOf(req);
          const mapped = toApiEvent(req.method ?? 'GET', req.url ?? '/', headers, body);
          // As on API Gateway, the authorizer runs on the API's resources, before the function.
          const authorized =
            mapped.ok && handlers.authorize && MATCHERS.some((m) => m.resource === mapped.event.resource)
              ? await handlers.authorize(mapped.event)
              : mapped.ok
                ? mapped.event
                : mapped.response;
          if ('statusCode' in authorized) out = authorized;
          else {
            const admin = isAdmin(authorized.resource);
            out = await (admin ? handlers.admin : handlers.api)(
              authorized as never,
              // The deployed timeouts: admin-api 30 s (imports), http-api 10 s (a synchronous run).
              fakeContext(admin ? 'admin-api' : 'http-api', admin ? 30_000 : 10_000) as never,
            );
          }
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
    },
  );
  server.on('clientError', answerClientError);
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
