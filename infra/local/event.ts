import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TOKEN_HELP, tokenFor } from './authorizer';

/**
 * `npm run event -- FILE [--url URL]`: applies account change events (JSON Lines: payment missed or
 * made, card lost or stolen, fraud hold set or cleared, product changed) through the admin API, in
 * file order, and prints each line's result (applied, stale, unknown-account, rejected with paths).
 */
export async function applyEventsFile(file: string, url: string, token?: string) {
  const bearer = await tokenFor({ url, token, roles: ['ops'] });
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const items: Array<{ line: number; event: unknown }> = [];
  const results: Array<{ line: number; result: string; errors?: unknown }> = [];
  lines.forEach((text, i) => {
    if (!text.trim()) return;
    try {
      items.push({ line: i + 1, event: JSON.parse(text) });
    } catch {
      results.push({
        line: i + 1,
        result: 'rejected',
        errors: [{ path: '(line)', message: 'malformed JSON' }],
      });
    }
  });
  for (let i = 0; i < items.length; i += 100) {
    const batch = items.slice(i, i + 100);
    const res = await fetch(`${url}/v1/admin/accounts/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ events: batch.map((b) => b.event) }),
    });
    const body = (await res.json()) as {
      results?: Array<{ index: number; result: string; errors?: unknown }>;
      detail?: string;
    };
    if (res.status !== 200 || !body.results)
      throw new Error(`events refused: ${res.status} ${body.detail ?? ''}`);
    for (const r of body.results)
      results.push({
        line: batch[r.index]!.line,
        result: r.result,
        ...(r.errors ? { errors: r.errors } : {}),
      });
  }
  return results.sort((a, b) => a.line - b.line);
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.RD_URL ?? 'http://127.0.0.1:3000' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const usage = `usage: npm run event -- FILE.jsonl [--url URL] [--token JWT]

${TOKEN_HELP}
                  A token it mints is an ops token (the account feed is an operations job).`;
  if (values.help) return console.log(usage);
  if (!positionals[0]) throw new Error(usage);
  for (const r of await applyEventsFile(positionals[0], values.url, values.token))
    console.log(`line ${r.line}: ${r.result}${r.errors ? ` ${JSON.stringify(r.errors)}` : ''}`);
}

if (import.meta.url === `file://${process.argv[1]}`)
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
