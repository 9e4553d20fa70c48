import { parseArgs } from 'node:util';
import { ROLES } from '../../shared/schemas/identity';
import { issuerKeyPath, LocalIssuer, parseRoles } from './authorizer';

const USAGE = `npm run token -- --role ROLE[,ROLE…] [--user NAME] [--ttl SECONDS] [--url http://127.0.0.1:3000]

Prints an ID token signed by the local issuer of the running \`npm start\`, for the API's
Authorization header:   export RD_TOKEN=$(npm run -s token -- --role agent)

  --role R[,R…]   ${ROLES.join(', ')} (several in one token allowed)
  --user NAME     the username (cognito:username; the sub is derived from it). Default: the first role
  --ttl SECONDS   lifetime (default 3600)
  --url URL       the npm start to sign for (default RD_URL or http://127.0.0.1:3000): its key is
                  read from ~/.retention-desk/issuer-<port>.json (mode 600; RD_ISSUER_KEY overrides)`;

async function main() {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      user: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      url: { type: 'string', default: process.env.RD_URL ?? 'http://127.0.0.1:3000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  if (!values.role) throw new Error(`--role is required\n\n${USAGE}`);
  const roles = parseRoles(values.role);
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400) throw new Error('--ttl must be 1..86400 seconds');
  const file = process.env.RD_ISSUER_KEY ?? issuerKeyPath(new URL(values.url).port || '80');
  let issuer: LocalIssuer;
  try {
    issuer = await LocalIssuer.fromFile(file);
  } catch {
    throw new Error(
      `No local issuer key at ${file}: is \`npm start\` running on ${values.url}, started by this user?`,
    );
  }
  console.log(await issuer.sign({ roles, ttlSeconds: ttl, ...(values.user ? { user: values.user } : {}) }));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
