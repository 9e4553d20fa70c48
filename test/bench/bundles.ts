/**
 * The Lambda bundles as they deploy, and their cold start, measured one way for `npm run bench`
 * (test/bench/run.ts) and its attribution (test/bench/init-profile.ts):
 *   - built with esbuild from the options NodejsFunction gets (RETENTION_BUNDLING in
 *     infra/constructs/retention-function.ts), so the bench measures what deploys;
 *   - module init: `await import(bundle)` timed inside a fresh Node process, median of 5;
 *   - first invocation: import, then the handler called once with a representative event whose AWS
 *     call fails fast (the endpoint is a closed local port, one attempt, fake credentials), so a
 *     cost moved from init to the first call shows here rather than disappearing.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { RETENTION_BUNDLING } from '../../infra/constructs/retention-function';

export const ROOT = join(import.meta.dirname, '..', '..');
export const RUNS = 5;

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** What NodejsFunction leaves out of the bundle: its default for nodejs18.x and later is `@aws-sdk/*`. */
export const deployedExternals = (): string[] => RETENTION_BUNDLING.externalModules ?? ['@aws-sdk/*'];

/** What an ES module bundle needs for the CommonJS code in it (require() of built-ins). */
const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * esbuild with NodejsFunction's options for our functions (bundle, platform node, format, minify,
 * target, mainFields, banner, externals), written to `outBase` + the format's extension.
 * `external` overrides the externals and `format` the format (the profile builds the old bundle,
 * ES module with `@aws-sdk/*` external, beside the deployed one). The source map is left out unless asked for: Lambda reads
 * it only when an error's stack is printed (the profile's `--source-maps` times it).
 */
export async function bundleEntry(
  entry: string,
  outBase: string,
  opts: { external?: string[]; sourcemap?: boolean; format?: 'esm' | 'cjs' } = {},
): Promise<{ file: string; bytes: number; metafile: Metafile }> {
  const b = RETENTION_BUNDLING;
  const deployed = b.format === 'cjs' ? 'cjs' : 'esm';
  const format = opts.format ?? deployed;
  const banner = format === deployed ? b.banner : format === 'esm' ? ESM_REQUIRE_BANNER : undefined;
  const file = `${outBase}${format === 'cjs' ? '.cjs' : '.mjs'}`;
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format,
    minify: b.minify,
    target: b.target,
    mainFields: b.mainFields,
    external: opts.external ?? deployedExternals(),
    banner: banner ? { js: banner } : undefined,
    sourcemap: opts.sourcemap ?? false,
    sourcesContent: b.sourcesContent ?? true,
    outfile: file,
    metafile: true,
    logLevel: 'silent',
  });
  return { file, bytes: statSync(file).size, metafile: r.metafile };
}

/** `functions/<name>.ts` of this project, or of another copy of it (`tree`, for trying a change). */
export const functionEntry = (name: string, tree = ROOT) => join(tree, 'functions', `${name}.ts`);

function runChild(script: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): string {
  const r = spawnSync(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env,
    cwd: ROOT,
  });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  return r.stdout.trim().split('\n').at(-1)!;
}

/** Module init as the bench has always measured it: `await import(file)` in a fresh process, ms each. */
export function timeInit(file: string, runs = RUNS, nodeArgs: string[] = []): number[] {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});console.log(performance.now()-t)`;
  return Array.from({ length: runs }, () => Number(runChild(script, process.env, nodeArgs)));
}

/** Times `await import(specifier)` of a package as Node resolves it from node_modules (not bundled). */
export function timeResolvedImport(specifier: string, runs = RUNS): number[] {
  const script = `const t=performance.now();await import(${JSON.stringify(specifier)});console.log(performance.now()-t)`;
  return Array.from({ length: runs }, () => Number(runChild(script, process.env)));
}

/** Every env var the code reads with requireEnv, and the secrets' ARN variables, as named in `tree`'s source. */
function envNames(tree: string): string[] {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }))
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.ts'))
        for (const m of readFileSync(join(dir, e.name), 'utf8').matchAll(
          /requireEnv\('([A-Z0-9_]+)'\)|'([A-Z0-9_]+_SECRET_ARN)'/g,
        ))
          names.add((m[1] ?? m[2])!);
  };
  for (const d of ['functions', 'shared']) walk(join(tree, d));
  return [...names];
}

/**
 * The environment a function sees on AWS, with every AWS endpoint a closed port: calls fail at once.
 * Every variable the code requires gets a stand-in value (an ARN where the name says so).
 */
export function fakeLambdaEnv(name: string, tree = ROOT): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCHFAKE',
    AWS_SECRET_ACCESS_KEY: 'bench-fake-secret',
    AWS_SESSION_TOKEN: 'bench-fake-token',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_MAX_ATTEMPTS: '1',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    POWERTOOLS_SERVICE_NAME: 'retention-desk',
    LOG_LEVEL: 'INFO',
  };
  for (const v of envNames(tree)) {
    const slug = v.toLowerCase().replace(/_/g, '-');
    env[v] =
      v.endsWith('_STATE_MACHINE_ARN') || v === 'STATE_MACHINE_ARN'
        ? `arn:aws:states:us-east-1:000000000000:stateMachine:bench`
        : v.endsWith('_ARN')
          ? `arn:aws:secretsmanager:us-east-1:000000000000:secret:${slug}`
          : `bench-${slug}`;
  }
  // A local file would stand in for a secret (PEPPER_FILE and the like): on AWS there is none.
  for (const k of Object.keys(env)) if (/_FILE$/.test(k) && /PEPPER|KEY/.test(k)) delete env[k];
  return env;
}

const fixture = (path: string) => JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', path), 'utf8'));

/**
 * One event per function that gets as far as its first AWS call (which then fails against the
 * closed port), so the first call includes whatever the function loads or builds on first use. A
 * function not listed gets `{}`: it may fail before any request (the table's last column says).
 */
export function firstEvent(name: string): { event: unknown; kind: string } {
  const claims = { sub: '0b7e4c1d', 'cognito:username': 'po.bench', 'cognito:groups': 'productOwner' };
  switch (name) {
    case 'http-api':
      return { event: fixture('apigw/start-contact.json'), kind: 'POST /v1/contacts (fixture)' };
    case 'connect-adapter':
      return { event: fixture('connect/start-voice-close.json'), kind: 'Connect start (fixture)' };
    case 'lex-adapter':
      return { event: fixture('lex/confirm-offer.json'), kind: 'Lex confirm (fixture)' };
    case 'admin-api':
      return {
        event: {
          httpMethod: 'GET',
          resource: '/v1/admin/config/versions',
          path: '/v1/admin/config/versions',
          pathParameters: null,
          headers: {},
          body: null,
          requestContext: { authorizer: { claims } },
        },
        kind: 'GET /v1/admin/config/versions',
      };
    case 'import-accounts':
      return {
        event: {
          Records: [
            {
              eventSource: 'aws:s3',
              eventName: 'ObjectCreated:Put',
              s3: { bucket: { name: 'bench-import-bucket' }, object: { key: 'incoming/a.jsonl', size: 1 } }, // IMPORT_BUCKET in fakeLambdaEnv
            },
          ],
        },
        kind: 'S3 ObjectCreated',
      };
    case 'account-events':
      return {
        event: {
          version: '0',
          id: 'evt-bench',
          'detail-type': 'Account Change',
          source: 'issuer.core-banking',
          detail: { type: 'PAYMENT_MISSED', accountId: 'BENCH-1', asOf: '2026-11-23T10:00:00Z' },
        },
        kind: 'Account Change',
      };
    case 'decide-turn':
      return {
        event: {
          action: 'get',
          now: '2026-11-23T12:00:00.000Z',
          contactId: '00000000-0000-4000-8000-000000000001',
        },
        kind: 'get turn (reads the contact)',
      };
    case 'save-turn':
      return {
        event: {
          plan: {
            kind: 'write',
            contact: {
              contactId: '00000000-0000-4000-8000-000000000001',
              updatedAt: '2026-11-23T12:00:00.000Z',
            },
            writes: { log: [] },
          },
        },
        kind: 'write plan (one transaction)',
      };
    default:
      return { event: {}, kind: '{} (fails validation)' };
  }
}

/**
 * Import + first handler call in a fresh process: `{ init, first }` ms per run, and what the call
 * did (`outcome`: its answer or error, shortened), so a bundle that breaks shows; its logs are dropped.
 */
export function timeFirstCall(
  file: string,
  name: string,
  runs = RUNS,
  tree = ROOT,
): { init: number; first: number; outcome: string }[] {
  const { event } = firstEvent(name);
  const eventFile = `${file}.event.json`;
  writeFileSync(eventFile, JSON.stringify(event));
  const ctx = `{functionName:${JSON.stringify(name)},functionVersion:'$LATEST',invokedFunctionArn:'arn:aws:lambda:us-east-1:000000000000:function:${name}',memoryLimitInMB:'512',awsRequestId:'bench-request',logGroupName:'/aws/lambda/${name}',logStreamName:'bench',getRemainingTimeInMillis:()=>3000,callbackWaitsForEmptyEventLoop:false}`;
  const script = [
    `import{readFileSync}from'node:fs';const ev=JSON.parse(readFileSync(${JSON.stringify(eventFile)},'utf8'));`,
    `const w=process.stdout.write.bind(process.stdout);process.stdout.write=()=>true;console.log=()=>{};console.info=()=>{};console.error=()=>{};console.warn=()=>{};console.debug=()=>{};`,
    `const t0=performance.now();const m=await import(${JSON.stringify(file)});const t1=performance.now();`,
    `let o;try{const r=await m.handler(ev,${ctx});o='answered '+JSON.stringify(r).slice(0,120)}catch(e){o='threw '+String(e?.name)+': '+String(e?.message).slice(0,120)}const t2=performance.now();`,
    `w(JSON.stringify({init:t1-t0,first:t2-t1,outcome:o})+'\\n');process.exit(0)`,
  ].join('');
  return Array.from({ length: runs }, () => JSON.parse(runChild(script, fakeLambdaEnv(name, tree))));
}

/** The package a bundled source file belongs to: `node_modules/<pkg>` (scoped too), else our folder. */
export function packageOf(path: string): string {
  const nm = path.lastIndexOf('node_modules/');
  if (nm < 0) return /(?:^|\/)((?:shared|infra)\/[^/]+|functions)\//.exec(path)?.[1] ?? path;
  const parts = path.slice(nm + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Output bytes of a bundle per package (node_modules/<pkg>, or our own folder), largest first. */
export function bytesByPackage(metafile: Metafile): [string, number][] {
  const sums = new Map<string, number>();
  for (const out of Object.values(metafile.outputs))
    for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
      const key = packageOf(path);
      sums.set(key, (sums.get(key) ?? 0) + bytesInOutput);
    }
  return [...sums].sort((a, b) => b[1] - a[1]);
}
