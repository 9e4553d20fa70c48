import { spawnSync } from 'node:child_process';
/**
 * `npm run bench`: the performance budgets of DESIGN.md, measured (not asserted).
 *   1. decision core: facts + segments + arbitration per contact, catalogs of 13 (default) and 200 offers;
 *   2. Lambda bundles: minified size and module initialisation time of each function;
 *   3. the local stack under load (test/bench/load.ts, autocannon on 127.0.0.1): four-turn calls
 *      (start, verify, offers, answer) and single routes, calls in flight ramped until errors,
 *      latency per call and per turn and DynamoDB round trips per turn;
 *   4. account import throughput.
 * Flags: --skip-stack; --load-only (`npm run load`: part 3 alone); --bundles-only (part 2 alone);
 * --levels 1,5,10,20,40,80;
 * --seconds 8 and --requests 4000 (each load level stops at whichever comes first).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RETENTION_BUNDLING } from '../../infra/constructs/retention-function';
import { generateChurnData } from '../../infra/local/churn-data';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { FolderObjectStore, s3Event } from '../../infra/local/folder-bucket';
import { importFile } from '../../infra/local/import';
import { fakeContext } from '../../infra/local/runner';
import { startLocalStack } from '../../infra/local/stack';
import { importBatch, toAccount } from '../../shared/application/import';
import { churnFeatures } from '../../shared/domain/churn';
import { type ChurnExample, train } from '../../shared/domain/churn-training';
import { compile } from '../../shared/domain/compiled';
import { computeFacts } from '../../shared/domain/facts';
import { ChurnTrainingRecordSchema } from '../../shared/schemas/churn-training';
import type { DecisionConfig } from '../../shared/schemas/config';
import { ImportRecordSchema, MAX_IMPORT_BATCH } from '../../shared/schemas/import';
import { generatePortfolio, portfolioSecrets } from '../fakes/portfolio';
import { bundleEntry, deployedExternals, functionEntry, median, timeFirstCall, timeInit } from './bundles';
import { catalogOf, contexts } from './catalog';
import { benchLoad } from './load';
import { handWritten, jsonRulesEngine } from './rule-engines';

// The bench measures time, not the metric lines: the functions' EMF output stays off (npm run cost counts it).
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    levels: { type: 'string', default: '1,5,10,20,40,80' },
    seconds: { type: 'string', default: '8' },
    requests: { type: 'string', default: '4000' },
    'load-only': { type: 'boolean', default: false },
    'bundles-only': { type: 'boolean', default: false },
    'round-trips-only': { type: 'boolean', default: false },
    'decision-only': { type: 'boolean', default: false },
    'import-count': { type: 'string', default: '5000' },
    'skip-stack': { type: 'boolean', default: false },
  },
});
const ROOT = resolve(import.meta.dirname, '../..');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f1 = (n: number) => n.toFixed(1);
/** For accounts whose factor hashes are never checked (decision benches; imports hash again). */
const UNUSED_PEPPER = 'bench-pepper-not-used-for-verification';

function benchDecision() {
  const asOf = new Date().toISOString();
  const accounts = generatePortfolio({ count: 2000, asOf: asOf.slice(0, 10), pepper: UNUSED_PEPPER });
  console.log('\n## Decision core (facts + customer/card segments + arbitration), one core');
  console.log('| catalog | contacts | p50 µs | p99 µs | contacts/s |');
  console.log('|---:|---:|---:|---:|---:|');
  // The default catalog again with a churn model active (trained here on generated accounts): every
  // contact is also scored, its value kept at the model's retention.
  const withModel = {
    ...DEFAULT_CONFIG,
    version: 'bench-churn',
    churn: { model: benchChurnModel(), warnAt: 0.5 },
  };
  const rows: Array<[string, DecisionConfig]> = [
    [String(DEFAULT_CONFIG.offers.length), DEFAULT_CONFIG],
    [
      `${DEFAULT_CONFIG.offers.length} + churn model (${withModel.churn.model.trees.length} trees)`,
      withModel,
    ],
    ...[10, 100, 200, 1000].map((n): [string, DecisionConfig] => [String(n), catalogOf(n)]),
  ];
  for (const [n, config] of rows) {
    const c = compile(config);
    const one = (i: number) => {
      const facts = computeFacts(accounts[i % accounts.length]!, asOf, c.config.value, c.churn);
      const ctx = {
        facts,
        customerSegment: c.customerSegments.classify(facts).segment,
        cardSegment: c.cardSegments.classify(facts).segment,
        callType: 'CLOSE_ACCOUNT' as const,
      };
      return c.catalog.rank('RETENTION', ctx).length;
    };
    for (let i = 0; i < 5000; i++) one(i); // warm-up
    const times: number[] = [];
    let sink = 0;
    const t0 = performance.now();
    for (let i = 0; i < 20_000; i++) {
      const s = performance.now();
      sink += one(i);
      times.push((performance.now() - s) * 1000);
    }
    const total = performance.now() - t0;
    console.log(
      `| ${n} | 20,000 | ${f1(pct(times, 50))} | ${f1(pct(times, 99))} | ${Math.round(20_000 / (total / 1000)).toLocaleString('en-US')} |`,
    );
    if (sink < 0) console.log(sink);
  }
}

/** A churn model trained on 5,000 generated accounts (infra/local/churn-data.ts), as `npm run churn -- train` would. */
function benchChurnModel() {
  const rows: ChurnExample[] = [];
  const labels: boolean[] = [];
  for (const g of generateChurnData(5000, 7)) {
    const r = ChurnTrainingRecordSchema.parse(g.record);
    rows.push({ accountId: r.accountId, features: churnFeatures(r, r.asOf) });
    labels.push(r.label.closed);
  }
  return train(rows, labels, {}, { createdAt: new Date().toISOString() });
}

/** Eligibility of a 200-offer catalog, three ways, on the same contacts (they agree: test/unit/rule-equivalence). */
async function benchRuleEngines() {
  const config = catalogOf(200);
  const ours = compile(config).catalog;
  const jre = jsonRulesEngine(config, 'RETENTION');
  const plain = handWritten(config, 'RETENTION');
  const ctxs = contexts(2000);
  const rate = async (n: number, f: (i: number) => unknown) => {
    for (let i = 0; i < Math.min(n, 2000); i++) await f(i); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await f(i);
    return n / ((performance.now() - t0) / 1000);
  };
  const rOurs = await rate(50_000, (i) => ours.eligible('RETENTION', ctxs[i % ctxs.length]!).length);
  const rPlain = await rate(50_000, (i) => plain(ctxs[i % ctxs.length]!).length);
  const rJre = await rate(3_000, (i) => jre(ctxs[i % ctxs.length]!));
  const rRank = await rate(50_000, (i) => ours.rank('RETENTION', ctxs[i % ctxs.length]!).length);
  const fmt = (r: number) => Math.round(r).toLocaleString('en-US');
  console.log(
    '\n## Eligibility of a 200-offer catalog, same rules three ways (contacts per second, one core)',
  );
  console.log('| engine | contacts/s | µs per contact | vs json-rules-engine | vs hand-written |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [name, r] of [
    ['json-rules-engine 7', rJre],
    ['hand-written predicates', rPlain],
    ['Retention Desk (compiled closures)', rOurs],
    ['Retention Desk, whole ranking (+ economics, reasons)', rRank],
  ] as const)
    console.log(
      `| ${name} | ${fmt(r)} | ${f1(1e6 / r)} | ${(r / rJre).toFixed(0)}× | ${(r / rPlain).toFixed(2)}× |`,
    );
}

/**
 * Each function's bundle as it deploys (test/bench/bundles.ts builds it with RETENTION_BUNDLING, the
 * options NodejsFunction gets): size, module init (`await import`, median of 5 fresh processes) and,
 * beside it, init + first invocation (one handler call whose AWS request fails at once), so a cost
 * moved out of init into the first call shows. `npx tsx test/bench/init-profile.ts` says where it goes.
 */
async function benchBundles() {
  const out = mkdtempSync(join(ROOT, '.bench-bundles-'));
  try {
    const names = readdirSync(join(ROOT, 'functions'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''));
    const ext = deployedExternals();
    console.log(
      `\n## Lambda bundles (esbuild as NodejsFunction builds them for nodejs24.x: ${RETENTION_BUNDLING.format === 'cjs' ? 'CommonJS' : 'ESM'}, minified, ${ext.length ? `${ext.join(', ')} external` : 'AWS SDK bundled'})`,
    );
    console.log(
      '| function | size KB | module init ms (median of 5, fresh process) | init + first call ms (median of 5) |',
    );
    console.log('|---|---:|---:|---:|');
    for (const n of names) {
      const b = await bundleEntry(functionEntry(n), join(out, n));
      const init = median(timeInit(b.file));
      const first = median(timeFirstCall(b.file, n).map((r) => r.init + r.first));
      console.log(`| ${n} | ${f1(b.bytes / 1024)} | ${f1(init)} | ${f1(first)} |`);
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Import file lines for `count` synthetic accounts (ids prefixed, so two runs write different accounts). */
function importLinesFor(count: number, prefix: string): string[] {
  const accounts = generatePortfolio({
    count,
    asOf: new Date().toISOString().slice(0, 10),
    pepper: UNUSED_PEPPER,
  });
  return accounts.map((a, i) => {
    const { verification: _v, phone, recentContacts: _r, tags: _t, asOf: _a, ...rest } = a;
    return JSON.stringify({
      ...rest,
      accountId: `${prefix}${a.accountId}`,
      name: `Customer ${i}`,
      phones: [phone],
      verification: portfolioSecrets(i),
      asOf: '2026-11-20T06:00:00Z',
    });
  });
}

/**
 * Import throughput, three ways: the CPU cost of a record alone (validation, salt, four HMACs: no
 * storage), the admin API path (`npm run import`), and the ImportAccounts handler as it runs on
 * Lambda (a folder standing in for the bucket); then the estimate for 1 million accounts on AWS.
 */
async function benchImport(stack: Awaited<ReturnType<typeof startLocalStack>>, count: number) {
  const dir = mkdtempSync(join(ROOT, '.bench-import-'));
  const file = join(dir, 'accounts.jsonl');
  const lines = importLinesFor(count, '');
  writeFileSync(file, `${lines.join('\n')}\n`);
  try {
    // 1. CPU alone, one core: every record parsed, validated, hashed, handed to a store that does nothing.
    const records = lines.map((l) => JSON.parse(l) as unknown);
    const noStore = { upsert: async () => 'imported' as const, applyEvent: async () => 'applied' as const };
    const deps = { store: noStore, salt: () => randomBytes(16).toString('hex'), pepper: UNUSED_PEPPER };
    await importBatch(records.slice(0, 500), 1, deps);
    const tc = performance.now();
    for (let i = 0; i < records.length; i += MAX_IMPORT_BATCH)
      await importBatch(records.slice(i, i + MAX_IMPORT_BATCH), 1, deps);
    const cpuRate = records.length / ((performance.now() - tc) / 1000);
    // Item size, for the table's write units (1 WRU per KB, rounded up).
    const item = Buffer.byteLength(
      JSON.stringify(toAccount(ImportRecordSchema.parse(records[0]), 'x'.repeat(32), UNUSED_PEPPER)),
    );

    // 2. The admin API path.
    const t0 = performance.now();
    const out = await importFile(file, stack.url);
    const secs = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    const again = await importFile(file, stack.url);
    const secs2 = (performance.now() - t1) / 1000;

    // 3. The ImportAccounts handler, as on Lambda: 4 batches × 8 writes in flight.
    const bucket = new FolderObjectStore(dir);
    mkdirSync(join(dir, 'incoming'));
    writeFileSync(join(dir, 'incoming', 'direct.jsonl'), `${importLinesFor(count, 'L-').join('\n')}\n`);
    const { makeHandler } = await import('../../functions/import-accounts');
    const { DynamoAccountStore, documentClient } = await import('../../shared/adapters/dynamo');
    const { pepper } = await import('../../shared/adapters/pepper');
    const handler = makeHandler({
      bucket: 'bench',
      objects: bucket,
      store: new DynamoAccountStore(documentClient(), stack.env.ACCOUNTS_TABLE!),
      pepper,
    });
    const t2 = performance.now();
    const [direct] = await handler(
      s3Event('bench', 'incoming/direct.jsonl'),
      fakeContext('import-accounts', 900_000),
    );
    const secs3 = (performance.now() - t2) / 1000;

    console.log('\n## Account import (JSON Lines → DynamoDB Local; conditional writes under the asOf guard)');
    console.log('| path | records | imported | unchanged | seconds | records/s |');
    console.log('|---|---:|---:|---:|---:|---:|');
    console.log(
      `| CPU alone (validate, salt, 4 HMACs; no storage), one core | ${count} | – | – | ${(count / cpuRate).toFixed(2)} | ${Math.round(cpuRate)} |`,
    );
    console.log(
      `| admin API (npm run import), first import | ${count} | ${out.imported} | ${out.unchanged} | ${secs.toFixed(1)} | ${Math.round(count / secs)} |`,
    );
    console.log(
      `| admin API, same file again | ${count} | ${again.imported} | ${again.unchanged} | ${secs2.toFixed(1)} | ${Math.round(count / secs2)} |`,
    );
    console.log(
      `| ImportAccounts handler (the Lambda's code), first import | ${count} | ${direct?.summary?.imported} | ${direct?.summary?.unchanged} | ${secs3.toFixed(1)} | ${Math.round(count / secs3)} |`,
    );
    console.log(
      `(1 million accounts at the local handler's rate: ${(1e6 / (count / secs3) / 60).toFixed(0)} min; DynamoDB Local, one JVM on this machine, is the bottleneck.)`,
    );

    // The estimate on AWS: the slowest of three bounds, each stated.
    const latencyMs = 8; // a conditional PutItem in-region, p50: "single-digit milliseconds" (assumed, not measured here)
    const inFlight = 4 * 8;
    const lambdaCpuShare = 1024 / 1769; // Lambda gives a full vCPU at 1,769 MB; ImportAccounts has 1,024 MB
    const wru = Math.ceil(item / 1024);
    const bounds = [
      {
        what: `writes in flight: ${inFlight} / ${latencyMs} ms per write`,
        rate: (inFlight * 1000) / latencyMs,
      },
      {
        what: `CPU: ${Math.round(cpuRate)}/s per core here × ${lambdaCpuShare.toFixed(2)} vCPU`,
        rate: cpuRate * lambdaCpuShare,
      },
      { what: `a new on-demand table: 4,000 write units/s ÷ ${wru} per ${item}-byte item`, rate: 4000 / wru },
    ];
    console.log('\n| bound on one ImportAccounts invocation (1 file) | records/s |');
    console.log('|---|---:|');
    for (const b of bounds) console.log(`| ${b.what} | ${Math.round(b.rate)} |`);
    const slowest = Math.min(...bounds.map((b) => b.rate));
    console.log(
      `Estimate for 1 million accounts on AWS: ${(1e6 / slowest / 60).toFixed(1)} min (${Math.round(slowest)} records/s, one file; the 15-minute Lambda limit allows about ${((slowest * 840) / 1e6).toFixed(1)} million records per file).`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `# Retention Desk benchmark — ${new Date().toISOString()}, Node ${process.version}, ${process.arch}`,
);
const loadOnly = values['load-only'];
const tripsOnly = values['round-trips-only'];
const bundlesOnly = values['bundles-only'] || tripsOnly;
if (!loadOnly && !bundlesOnly) {
  benchDecision();
  if (values['decision-only']) process.exit(0);
  await benchRuleEngines();
}
if (!loadOnly && !tripsOnly) await benchBundles();
if (!loadOnly) {
  // DynamoDB round trips per turn, in a process of its own: its caches start empty, as a fresh
  // container's do, and stay off (test/bench/round-trips.ts).
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, resolve(import.meta.dirname, 'round-trips.ts')],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) throw new Error(`round trips: exit ${r.status}`);
}
if (!values['skip-stack'] && !bundlesOnly) {
  const accounts = 2000;
  const stack = await startLocalStack({ port: 0, accounts });
  try {
    await benchLoad(stack, accounts, {
      levels: values.levels.split(',').map(Number),
      seconds: Number(values.seconds),
      maxRequests: Number(values.requests),
    });
    if (!loadOnly) await benchImport(stack, Number(values['import-count']));
  } finally {
    await stack.stop();
  }
}
