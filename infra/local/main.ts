import { parseArgs } from 'node:util';
import { JavaMissingError } from './dynamodb-local';
import { startLocalStack } from './stack';

const USAGE = `npm start -- [--port 3000] [--accounts 10000] [--data DIR] [--pepper-file FILE] [--inbox DIR] [--canary SECONDS] [--verbose]

  --port N        HTTP port on 127.0.0.1 (default 3000; 0 picks a free one)
  --accounts N    synthetic accounts to seed besides the personas (default 10000)
  --data DIR      keep DynamoDB Local's data in DIR (default: in memory, gone on exit)
  --pepper-file F the secret that keys the verification factor hashes (default: DIR/pepper
                  with --data, else a new one per run); created, mode 600, if missing
  --inbox DIR     the import bucket's stand-in: files put under DIR/incoming/ are imported by the
                  ImportAccounts handler as S3 would trigger it; reports appear under DIR/reports/
  --canary S      a synthetic call (the canary) every S seconds (default 300, as on AWS; 0: off);
                  a failed one is printed with its step
  --verbose       show the functions' own logs (Powertools, level INFO)`;

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      accounts: { type: 'string', default: '10000' },
      data: { type: 'string' },
      'pepper-file': { type: 'string' },
      inbox: { type: 'string' },
      canary: { type: 'string', default: '300' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  const accounts = Number(values.accounts);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be 0..65535, got ${values.port}`);
  if (!Number.isInteger(accounts) || accounts < 0 || accounts > 5_000_000)
    throw new UsageError(`--accounts must be a whole number up to 5,000,000, got ${values.accounts}`);
  const canary = Number(values.canary);
  if (!Number.isInteger(canary) || canary < 0 || canary > 86_400)
    throw new UsageError(`--canary must be 0..86400 seconds, got ${values.canary}`);
  process.env.POWERTOOLS_LOG_LEVEL = values.verbose ? 'INFO' : 'WARN';

  const t0 = performance.now();
  const stack = await startLocalStack({
    port,
    accounts,
    ...(values.data ? { dataDir: values.data } : {}),
    ...(values['pepper-file'] ? { pepperFile: values['pepper-file'] } : {}),
    canaryEveryMs: canary * 1000,
    onCanary: (r) => {
      if (!r.passed) console.log(`• canary failed at ${r.step}: ${r.why}`);
    },
    onAccountEvent: (o: unknown) => console.log(`• account event: ${JSON.stringify(o)}`),
    ...(values.inbox
      ? {
          inboxDir: values.inbox,
          onInbox: (key: string, o: { summary?: unknown; error?: string }) =>
            console.log(
              o.error
                ? `• inbox: ${key} failed: ${o.error} (it is tried again when the file changes)`
                : `• inbox: ${key}: ${JSON.stringify(o.summary)}`,
            ),
        }
      : {}),
    onProgress: (m) => console.log(`• ${m}`),
  });
  const p = stack.personas[0]!.persona;
  console.log(`
Retention Desk is running locally (started in ${((performance.now() - t0) / 1000).toFixed(1)} s).

  API:       ${stack.url}/v1
  Ops page:  ${stack.url}/ops  (KPIs and funnel; paste the token of: npm run -s token -- --role ops${stack.url === 'http://127.0.0.1:3000' ? '' : ` --url ${stack.url}`})
  DynamoDB:  ${stack.endpoint} (DynamoDB Local)
  Personas:  ${stack.personas.length} (their numbers and factors in data/personas.json)${values.inbox ? `\n  Inbox:     ${values.inbox}/incoming/ (import files), reports in ${values.inbox}/reports/` : ''}

Try it (every /v1 route takes a person's token; this one is an agent's):
  export RD_TOKEN=$(npm run -s token -- --role agent --user desk-1${stack.url === 'http://127.0.0.1:3000' ? '' : ` --url ${stack.url}`})
  curl -s -X POST ${stack.url}/v1/contacts -H "authorization: Bearer $RD_TOKEN" \\
    -H 'content-type: application/json' \\
    -d '{"channel":"agent","callType":"CLOSE_ACCOUNT","callerPhone":"${p.phone}"}'

Account change events, as EventBridge would deliver them (detail-type "Account Change"):
  aws events put-events --endpoint-url ${stack.url} --region us-east-1 --entries \\
    '[{"Source":"issuer.core","DetailType":"Account Change","Detail":"{\\"type\\":\\"FRAUD_HOLD_SET\\",\\"accountId\\":\\"${p.accountId}\\",\\"asOf\\":\\"${new Date().toISOString()}\\"}"}]'

Or walk a whole call:  npm run call
Ctrl-C stops everything.`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the HTTP server and DynamoDB Local…`);
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

class UsageError extends Error {
  override name = 'UsageError';
}

main().catch((e: unknown) => {
  if (e instanceof JavaMissingError || e instanceof UsageError) {
    console.error(`\n${e.message}`);
    if (e instanceof UsageError) console.error(`\n${USAGE}`);
  } else if (e instanceof Error && 'code' in e && e.code === 'EADDRINUSE') {
    console.error('\nThe port is in use: is Retention Desk already running? Try `npm start -- --port 3001`.');
  } else {
    console.error('\nRetention Desk could not start:', e instanceof Error ? e.message : e);
  }
  process.exit(1);
});
