import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { authorize } from '../../shared/channels/authz';
import { type HttpRequest, type HttpResponse, json } from '../../shared/channels/http-response';
import type { OpsMetrics } from './ops-metrics';

/**
 * The local ops page's routes: `/ops` (the page), `/ops/ops.js` (its script), `/ops/echarts.min.js`
 * (ECharts from node_modules: nothing is fetched from the internet) and `/ops/metrics.json` (the
 * stack's metric aggregates, ops-metrics.ts).
 *
 * The token: the page asks for one pasted from `npm run -s token -- --role ops` and keeps it in the
 * tab's sessionStorage. The stack does not put a token into the page it serves: a page on loopback
 * that hands out a token is a token endpoint, readable by any local user and by any web page that
 * rebinds a name to 127.0.0.1, which is what authorizer.ts keeps the signing key in a mode-600 file to
 * avoid. For the same reason /ops/metrics.json takes the token too (it holds no ids or PII, but it is
 * the desk's traffic), checked as the admin API checks the report's.
 */
const HERE = import.meta.dirname;
/** Who may read the metrics: those who may read the KPI report (productOwner, ops). */
export const OPS_READ_ACTION = 'kpiReport' as const;

/** The page may load only its own script and ECharts, and talk only to this server. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  // ECharts positions its tooltip and canvas with inline styles.
  "style-src 'self' 'unsafe-inline'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const file = (type: string, read: () => string, extra: Record<string, string> = {}) => {
  let body: string | undefined;
  return (): HttpResponse => {
    body ??= read();
    return {
      statusCode: 200,
      headers: {
        'content-type': type,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        ...extra,
      },
      body,
    };
  };
};

export function opsRoutes(deps: {
  metrics: OpsMetrics;
  /** The local authorizer (LocalIssuer.authorize): the request with its claims, or a 401. */
  authenticate: (event: HttpRequest) => Promise<HttpRequest | HttpResponse>;
}): Record<string, (headers: Record<string, string>) => HttpResponse | Promise<HttpResponse>> {
  const echartsFile = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
  return {
    '/ops': file('text/html; charset=utf-8', () => readFileSync(resolve(HERE, 'ops-page.html'), 'utf8'), {
      'content-security-policy': CSP,
      'referrer-policy': 'no-referrer',
    }),
    '/ops/ops.js': file('text/javascript; charset=utf-8', () =>
      readFileSync(resolve(HERE, 'ops-page.js'), 'utf8'),
    ),
    '/ops/echarts.min.js': file('text/javascript; charset=utf-8', () => readFileSync(echartsFile, 'utf8')),
    '/ops/metrics.json': async (headers) => {
      const event: HttpRequest = {
        httpMethod: 'GET',
        resource: '/ops/metrics.json',
        path: '/ops/metrics.json',
        pathParameters: null,
        headers,
        body: null,
      };
      const authenticated = await deps.authenticate(event);
      if ('statusCode' in authenticated) return authenticated;
      const allowed = authorize(authenticated, OPS_READ_ACTION);
      if (!allowed.ok) return allowed.response;
      return json(200, deps.metrics.snapshot());
    },
  };
}
