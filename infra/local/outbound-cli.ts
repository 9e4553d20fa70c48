import { parseArgs } from 'node:util';
import { TOKEN_HELP, tokenFor } from './authorizer';

/**
 * `npm run outbound -- [--json]`: what the running local stack's Connect stand-in was asked to start
 * (calls with the number masked, tasks), the requests waiting for the end of quiet hours, and every
 * outbound result the bus carried (started, skipped and why, deferred).
 */
const USAGE = `usage: npm run outbound -- [--json] [--url URL] [--token JWT]

  --json          print the local stack's answer (GET /outbound.json) as it is
  --url URL       the local stack (default: env RD_URL, else http://127.0.0.1:3000)
${TOKEN_HELP}
                  A token it mints is an ops person's.`;

// biome-ignore lint/suspicious/noExplicitAny: the local endpoint's JSON, printed as it comes
type Json = Record<string, any>;

export function formatOutbound(o: { started: Json[]; deferred: Json[]; results: Json[] }): string {
  const rows = (list: string[][]) => {
    const widths = list[0]!.map((_, i) => Math.max(...list.map((r) => (r[i] ?? '').length)));
    return list.map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  };
  const started = o.started.map((c) => [
    c.at,
    c.kind,
    c.to ?? c.name ?? '',
    c.attributes?.strategyId ?? '',
    c.attributes?.stageId ?? '',
    c.contactId,
  ]);
  const skipped = o.results.filter((r) => r.type === 'Outbound Contact Skipped');
  return [
    `Started (${o.started.length}):`,
    ...(started.length
      ? rows([['at', 'kind', 'to', 'strategy', 'stage', 'contact'], ...started])
      : ['  none']),
    '',
    `Waiting for the end of quiet hours (${o.deferred.length}):`,
    ...(o.deferred.length
      ? rows([
          ['until', 'account', 'strategy', 'stage'],
          ...o.deferred.map((d) => [d.until, d.accountId, d.strategyId, d.stageId]),
        ])
      : ['  none']),
    '',
    `Not contacted (${skipped.length}):`,
    ...(skipped.length
      ? rows([
          ['account', 'strategy', 'stage', 'reason'],
          ...skipped.map((s) => [s.accountId, s.strategyId, s.stageId, s.reason]),
        ])
      : ['  none']),
  ].join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      url: { type: 'string', default: process.env.RD_URL ?? 'http://127.0.0.1:3000' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const token = await tokenFor({ url: values.url, token: values.token, roles: ['ops'] });
  const res = await fetch(`${values.url.replace(/\/$/, '')}/outbound.json`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as Json;
  if (res.status !== 200)
    throw new Error(`${res.status} ${String(body.title)}: ${String(body.detail ?? '')}`);
  console.log(values.json ? JSON.stringify(body, null, 2) : formatOutbound(body as never));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!))
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
