import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TagBodySchema } from '../../shared/schemas/admin';
import { TOKEN_HELP, tokenFor } from './authorizer';

/**
 * `npm run tag -- --tag WINBACK_Q4 --file ids.txt [--remove] [--url http://127.0.0.1:3000]`:
 * marks the accounts listed in a file (one account id a line; blank lines and # comments skipped)
 * with a segment tag through the admin API, 1,000 at a time. Bad lines are reported with their
 * number and skipped; unknown accounts are reported. Safe to run twice.
 */
const { values } = parseArgs({
  options: {
    tag: { type: 'string' },
    file: { type: 'string' },
    remove: { type: 'boolean', default: false },
    url: { type: 'string', default: process.env.RD_URL ?? 'http://127.0.0.1:3000' },
    token: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const USAGE = `usage: npm run tag -- --tag NAME --file FILE [--remove] [--url URL] [--token JWT]

${TOKEN_HELP}
                  A token it mints is a product owner's (tags are configuration).`;

async function main() {
  if (values.help) return console.log(USAGE);
  if (!values.tag || !values.file) throw new Error(USAGE);
  const token = await tokenFor({ url: values.url, token: values.token, roles: ['productOwner'] });
  const ids: string[] = [];
  const bad: string[] = [];
  readFileSync(values.file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (!line || line.startsWith('#')) return;
      const ok = TagBodySchema.shape.accountIds.element.safeParse(line);
      if (ok.success) ids.push(line);
      else bad.push(`line ${i + 1}: ${JSON.stringify(line.slice(0, 60))} ${ok.error.issues[0]?.message}`);
    });
  let done = 0;
  const unknown: string[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const res = await fetch(`${values.url}/v1/admin/tags`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        tag: values.tag,
        accountIds: ids.slice(i, i + 1000),
        ...(values.remove ? { remove: true } : {}),
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    if (res.status !== 200) throw new Error(`${res.status} ${String(body.title)}: ${String(body.detail)}`);
    done += Number(body.tagged ?? body.untagged ?? 0);
    unknown.push(...((body.unknownAccounts as string[]) ?? []));
  }
  console.log(
    `${values.remove ? 'untagged' : 'tagged'} ${done} account(s) ${values.remove ? 'from' : 'with'} ${values.tag}`,
  );
  if (unknown.length)
    console.log(
      `unknown accounts (${unknown.length}): ${unknown.slice(0, 20).join(', ')}${unknown.length > 20 ? ', …' : ''}`,
    );
  if (bad.length) console.log(`skipped ${bad.length} bad line(s):\n  ${bad.slice(0, 20).join('\n  ')}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
