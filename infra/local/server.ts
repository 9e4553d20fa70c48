import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpRequest, type HttpResponse, problemResponse } from '../../shared/application/http';
import { ADMIN_ROUTES } from '../../shared/schemas/admin';
import { ROUTES } from '../../shared/schemas/api';
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
  handlers: { api: ApiHandler; admin: ApiHandler },
  opts: { port: number; host?: string; index?: unknown },
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
          fakeContext(admin ? 'admin-api' : 'http-api') as never,
        );
      }
    } catch {
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
