/**
 * `npx tsx test/bench/init-profile.ts`: where each function's cold start goes.
 *   1. per function: bundle KB and module init ms (median of 5 fresh processes, as `npm run bench`
 *      measures it) for the bundle as deployed (RETENTION_BUNDLING) and, beside it, with
 *      `@aws-sdk/*` external (resolved from node_modules, as Lambda resolves it from its runtime);
 *      then the first invocation (import + one handler call; test/bench/bundles.ts says how);
 *   2. per function: the deployed bundle's bytes per package (esbuild metafile);
 *   3. per function (--cpu): where init's CPU time goes, from V8 CPU profiles of the deployed bundle
 *      (its source map names the package of each sampled frame): parsing and compiling the bundle,
 *      loading Node built-ins (and who asked for them), and each package's top-level code;
 *   4. each heavy dependency alone: `await import()` from node_modules, and bundled alone
 *      (minified, only what we import from it), and each of our schema modules bundled alone.
 * Flags: --functions a,b (default: every functions/*.ts); --skip-deps; --skip-first; --cpu; --runs 5;
 * --tree DIR (bundle the functions of another copy of the project, e.g. a scratch copy with a change
 * being tried; it needs a node_modules, a symlink to this one will do);
 * --source-maps (also times the deployed bundle with its source map and --enable-source-maps, as
 * NODE_OPTIONS sets on Lambda);
 * --baseline DIR-or-REV (before/after only: each function's bundle KB, init and init + first call, from
 * the baseline tree, or a git revision of this repository checked out into a scratch folder, beside
 * the functions of --tree; the runs of the two alternate, so a shared machine's load falls on both).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  bundleEntry,
  bytesByPackage,
  deployedExternals,
  firstEvent,
  functionEntry,
  median,
  packageOf,
  ROOT,
  timeFirstCall,
  timeInit,
  timeResolvedImport,
} from './bundles';

const { values } = parseArgs({
  options: {
    functions: { type: 'string' },
    'skip-deps': { type: 'boolean', default: false },
    'skip-first': { type: 'boolean', default: false },
    'source-maps': { type: 'boolean', default: false },
    cpu: { type: 'boolean', default: false },
    runs: { type: 'string', default: '5' },
    tree: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const runs = Number(values.runs);
const tree = values.tree ?? ROOT;
const names = values.functions
  ? values.functions.split(',')
  : readdirSync(join(tree, 'functions'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''));
const kb = (n: number) => (n / 1024).toFixed(1);
const ms = (xs: number[]) => median(xs).toFixed(1);
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

/** What we import from each heavy package (so a stub bundles as much of it as our code does). */
const DEPS: [string, string][] = [
  [
    '@aws-sdk/client-dynamodb',
    'DynamoDBClient, ConditionalCheckFailedException, TransactionCanceledException',
  ],
  [
    '@aws-sdk/lib-dynamodb',
    'DynamoDBDocumentClient, BatchGetCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand',
  ],
  ['@aws-sdk/client-sfn', 'SFNClient, StartSyncExecutionCommand'],
  ['@aws-sdk/client-secrets-manager', 'SecretsManagerClient, GetSecretValueCommand'],
  ['@aws-sdk/client-s3', 'S3Client, GetObjectCommand, PutObjectCommand'],
  ['@aws-lambda-powertools/logger', 'Logger'],
  ['@aws-lambda-powertools/logger/middleware', 'injectLambdaContext'],
  ['@middy/core', 'default as middy'],
  ['@marcbachmann/cel-js', 'Environment'],
  ['zod', 'z'],
  ['csv-parse', 'Parser'],
];

const out = mkdtempSync(join(tree, '.bench-profile-'));

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * CPU time of `await import(file)` by cause, summed over `runs` profiled processes, as shares of the
 * profiled total (the profiler slows everything a little; the shares are what it tells). Each sample
 * is charged to: parsing/compiling modules (the bundle, or packages resolved from node_modules); a Node built-in being loaded, with the package whose
 * code asked for it (ESM imports of built-ins are linked before any code runs: "ESM import of
 * built-ins"); else the package of the nearest frame of the bundle or of node_modules, with the
 * package that called into it ("zod ← shared/schemas": schemas being built at import);
 * else Node itself (loader, GC).
 */
function cpuByCause(file: string, runs: number): [string, number][] {
  const map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
  const url = `file://${file}`;
  const sums = new Map<string, number>();
  let total = 0;
  for (let r = 0; r < runs; r++) {
    const dir = mkdtempSync(join(out, 'prof-'));
    spawnSync(
      process.execPath,
      [
        '--cpu-prof',
        '--cpu-prof-interval',
        '100',
        '--cpu-prof-dir',
        dir,
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(file)})`,
      ],
      { cwd: ROOT },
    );
    const prof = JSON.parse(readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')) as CpuProfile;
    rmSync(dir, { recursive: true, force: true });
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const cause = new Map<number, string>();
    const pkgAt = (line: number, column: number) => {
      const e = map.findEntry(line, column) as { originalSource?: string };
      return e.originalSource ? packageOf(e.originalSource) : '(bundle)';
    };
    const causeOf = (id: number): string => {
      const known = cause.get(id);
      if (known) return known;
      let builtin: string | undefined;
      let c = 'Node (loader, GC, other)';
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) {
        const f = byId.get(x)!.callFrame;
        if (f.functionName === 'compileSourceTextModule' || f.functionName === 'wrapSafe') {
          c = 'parse/compile modules';
          break;
        }
        if (f.url.startsWith('node:') && !builtin && /^node:(?!internal)/.test(f.url)) builtin = f.url;
        if (f.functionName === 'compileForInternalLoader' || f.functionName === 'requireBuiltin')
          builtin ??= 'node:*';
        if (f.url === url) {
          const pkg = pkgAt(f.lineNumber, f.columnNumber);
          // Who called into it (the nearest frame of another package): our schemas calling zod, say.
          let caller: string | undefined;
          for (let y = parent.get(x); y !== undefined && !caller; y = parent.get(y)) {
            const g = byId.get(y)!.callFrame;
            if (g.url !== url) continue;
            const q = pkgAt(g.lineNumber, g.columnNumber);
            if (q !== pkg) caller = q;
          }
          c = `${builtin ? 'built-ins loaded by ' : ''}${pkg}${caller ? ` ← ${caller}` : ''}`;
          break;
        }
        if (f.url.startsWith('file://') && f.url.includes('/node_modules/')) {
          c = `${builtin ? 'built-ins loaded by ' : ''}${packageOf(f.url)} (resolved from node_modules)`;
          break;
        }
        if (f.functionName === 'builtinStrategy' || f.functionName === 'getESMFacade') {
          c = 'ESM import of built-ins (facades)';
          break;
        }
      }
      cause.set(id, c);
      return c;
    };
    prof.samples.forEach((id, i) => {
      const dt = prof.timeDeltas[i] ?? 0;
      const fn = byId.get(id)!.callFrame.functionName;
      if (fn === '(idle)') return;
      total += dt;
      const c = causeOf(id);
      sums.set(c, (sums.get(c) ?? 0) + dt);
    });
  }
  return [...sums].map(([k, v]) => [k, v / total] as [string, number]).sort((a, b) => b[1] - a[1]);
}

/**
 * Before/after: `base` (a tree, or a git revision exported into `out`) against `tree`. Runs alternate
 * (one fresh process of the baseline, one of the change, and so on), medians of `runs` each.
 */
async function compareWithBaseline(base: string) {
  let baseTree = base;
  if (!existsSync(join(base, 'functions'))) {
    baseTree = mkdtempSync(join(out, 'baseline-'));
    const tar = execFileSync('git', ['archive', '--format=tar', base], { cwd: ROOT, maxBuffer: 1 << 30 });
    execFileSync('tar', ['-x', '-C', baseTree], { input: tar });
    symlinkSync(join(ROOT, 'node_modules'), join(baseTree, 'node_modules'));
  }
  console.log(`\n## Before (${base}) and after (${tree}), runs alternating, median of ${runs} each`);
  console.log(
    '| function | KB before | KB after | init ms before | init ms after | init + first call ms before | init + first call ms after |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const sums = { before: [0, 0], after: [0, 0] };
  for (const n of names) {
    const b = await bundleEntry(functionEntry(n, baseTree), join(out, `${n}.before`));
    const a = await bundleEntry(functionEntry(n, tree), join(out, `${n}.after`));
    const init = { before: [] as number[], after: [] as number[] };
    const whole = { before: [] as number[], after: [] as number[] };
    for (let r = 0; r < runs; r++) {
      init.before.push(...timeInit(b.file, 1));
      init.after.push(...timeInit(a.file, 1));
      const fb = timeFirstCall(b.file, n, 1, baseTree)[0]!;
      const fa = timeFirstCall(a.file, n, 1, tree)[0]!;
      whole.before.push(fb.init + fb.first);
      whole.after.push(fa.init + fa.first);
    }
    sums.before[0]! += median(init.before);
    sums.before[1]! += median(whole.before);
    sums.after[0]! += median(init.after);
    sums.after[1]! += median(whole.after);
    console.log(
      `| ${n} | ${kb(b.bytes)} | ${kb(a.bytes)} | ${ms(init.before)} | ${ms(init.after)} | ${ms(whole.before)} | ${ms(whole.after)} |`,
    );
  }
  const f = (x: number) => x.toFixed(1);
  console.log(
    `| (sum) | | | ${f(sums.before[0]!)} | ${f(sums.after[0]!)} | ${f(sums.before[1]!)} | ${f(sums.after[1]!)} |`,
  );
}

/** Sections 1 to 4 (see the top of this file). */
async function profile() {
  const empty = join(out, 'empty.mjs');
  writeFileSync(empty, 'export {};\n');
  console.log(
    `Floor: importing an empty module takes ${ms(timeInit(empty, runs))} ms (the ESM loader itself).`,
  );

  console.log('\n## Per function: the bundle as deployed, and as it was (ES module, @aws-sdk/* external)');
  console.log(
    '| function | deployed KB | deployed init ms | (spread) | old (ESM, SDK external) KB | old init ms | (spread) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const metas = new Map<string, ReturnType<typeof bytesByPackage>>();
  const files = new Map<string, string>();
  for (const n of names) {
    const d = await bundleEntry(functionEntry(n, tree), join(out, n));
    const x = await bundleEntry(functionEntry(n, tree), join(out, `${n}.old`), {
      external: ['@aws-sdk/*'],
      format: 'esm',
    });
    metas.set(n, bytesByPackage(d.metafile));
    files.set(n, d.file);
    const di = timeInit(d.file, runs);
    const xi = timeInit(x.file, runs);
    console.log(
      `| ${n} | ${kb(d.bytes)} | ${ms(di)} | ${spread(di)} | ${kb(x.bytes)} | ${ms(xi)} | ${spread(xi)} |`,
    );
  }

  if (values['source-maps']) {
    console.log(
      '\n## Deployed bundle with its source map, node --enable-source-maps (NODE_OPTIONS on Lambda)',
    );
    console.log('| function | map KB | init ms |');
    console.log('|---|---:|---:|');
    for (const n of names) {
      const { file: f } = await bundleEntry(functionEntry(n, tree), join(out, `${n}.map`), {
        sourcemap: true,
      });
      console.log(
        `| ${n} | ${kb(statSync(`${f}.map`).size)} | ${ms(timeInit(f, runs, ['--enable-source-maps']))} |`,
      );
    }
  }

  if (values.cpu) {
    console.log(
      '\n## Where init CPU goes (V8 CPU profiles of the deployed bundle, source-mapped; share of profiled time × median init ms)',
    );
    for (const n of names) {
      const { file: f } = await bundleEntry(functionEntry(n, tree), join(out, `${n}.cpu`), {
        sourcemap: true,
      });
      const init = median(timeInit(f, runs));
      const parts = cpuByCause(f, runs).filter(([, share]) => share >= 0.02);
      console.log(
        `- **${n}** (${init.toFixed(0)} ms): ${parts.map(([c, share]) => `${c} ${(share * init).toFixed(0)}`).join(', ')}`,
      );
    }
  }

  if (!values['skip-first']) {
    console.log(
      '\n## First invocation (deployed bundle; import, then one handler call whose AWS request fails at once)',
    );
    console.log('| function | event | init ms | first call ms | init + first call ms | the call did |');
    console.log('|---|---|---:|---:|---:|---|');
    for (const n of names) {
      const r = timeFirstCall(files.get(n)!, n, runs, tree);
      const i = r.map((x) => x.init);
      const c = r.map((x) => x.first);
      console.log(
        `| ${n} | ${firstEvent(n).kind} | ${ms(i)} | ${ms(c)} | ${ms(r.map((x) => x.init + x.first))} | ${r[0]!.outcome.replace(/\|/g, '\\|')} |`,
      );
    }
  }

  console.log(
    '\n## Deployed bundle bytes per package (KB, esbuild metafile): the ten largest, then the AWS SDK (@aws-sdk, @smithy, @aws) and the rest',
  );
  const sdk = (p: string) => /^@(aws-sdk|smithy|aws)\//.test(p);
  for (const n of names) {
    const all = metas.get(n)!;
    const top = all.slice(0, 10);
    const sdkTotal = all.filter(([p]) => sdk(p)).reduce((a, [, b]) => a + b, 0);
    const rest = all.slice(10).reduce((a, [, b]) => a + b, 0);
    console.log(
      `- **${n}**: ${top.map(([p, b]) => `${p} ${kb(b)}`).join(', ')}; others ${kb(rest)}; AWS SDK in all ${kb(sdkTotal)}`,
    );
  }

  if (!values['skip-deps']) {
    console.log('\n## Each dependency alone (init ms, median)');
    console.log('| module | from node_modules | bundled alone, minified | bundled KB |');
    console.log('|---|---:|---:|---:|');
    for (const [spec, what] of DEPS) {
      const stub = join(out, `dep-${spec.replace(/[@/]/g, '_')}.ts`);
      const ids = what.split(',').map((w) => w.trim().split(' ').at(-1)!);
      writeFileSync(
        stub,
        `import { ${what} } from '${spec}';\n(globalThis as any).__keep = [${ids.join(', ')}];\n`,
      );
      const b = await bundleEntry(stub, stub.replace(/\.ts$/, ''), { external: [] });
      const f = b.file;
      console.log(
        `| ${spec} | ${ms(timeResolvedImport(spec, runs))} | ${ms(timeInit(f, runs))} | ${kb(b.bytes)} |`,
      );
    }
    for (const s of readdirSync(join(ROOT, 'shared', 'schemas')).filter((x) => x.endsWith('.ts'))) {
      const stub = join(out, `schema-${s}`);
      writeFileSync(
        stub,
        `import * as m from '${join(ROOT, 'shared', 'schemas', s)}';\n(globalThis as any).__keep = m;\n`,
      );
      const b = await bundleEntry(stub, stub.replace(/\.ts$/, ''), { external: [] });
      const f = b.file;
      console.log(`| shared/schemas/${s} (with zod) | – | ${ms(timeInit(f, runs))} | ${kb(b.bytes)} |`);
    }
  }
}

try {
  console.log(
    `# Cold start profile — ${new Date().toISOString()}, Node ${process.version}, ${process.arch}, ${runs} fresh processes each`,
  );
  console.log(`Deployed bundling: externals ${JSON.stringify(deployedExternals())}; functions of ${tree}.`);
  if (values.baseline) await compareWithBaseline(values.baseline);
  else await profile();
} finally {
  rmSync(out, { recursive: true, force: true });
}
