import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import { configSource, dynamoClient } from '../../shared/adapters/composition';
import {
  CONFIG_KEY,
  CONFIG_POINTER_KEY,
  DynamoAccountStore,
  documentClient,
} from '../../shared/adapters/dynamo';
import { DynamoOutboundAccounts } from '../../shared/adapters/dynamo/outbound';
import { onMetricPoints } from '../../shared/adapters/metrics';
import { MIN_PEPPER_LENGTH, pepper as readPepper } from '../../shared/adapters/pepper';
import type { CanaryReport } from '../../shared/application/canary';
import { PORTFOLIO_SEGMENTS } from '../../shared/application/portfolio';
import type { FunnelSnapshot } from '../../shared/domain/metrics';
import type { Account } from '../../shared/schemas/account';
import { ADMIN_ROUTES } from '../../shared/schemas/admin';
import { ROUTES } from '../../shared/schemas/api';
import type { DecisionConfig } from '../../shared/schemas/config';
import { generatePortfolio } from '../../test/fakes/portfolio';
import { issuerKeyPath, LocalIssuer } from './authorizer';
import { LOCAL_DLQ_ACCOUNT, LOCAL_DLQ_NAME, LocalDeadLetterQueue, sqsApi } from './dead-letters';
import { DEFAULT_CONFIG } from './default-config';
import { type DynamoLocal, startDynamoLocal } from './dynamodb-local';
import { DynamoFaults } from './faults';
import { FolderObjectStore, s3Event } from './folder-bucket';
import { LOCAL_BUCKET, startInbox } from './inbox';
import { opsRoutes } from './ops';
import { OpsMetrics } from './ops-metrics';
import { LocalConnect, LocalEventBus, LocalScheduler, outboundRoutes } from './outbound';
import { buildPersonas } from './personas';
import { createLocalRunner, fakeContext, importHandler, type LambdaLike, type LocalRunner } from './runner';
import { startHttpServer } from './server';
import { type StreamPoller, startStreamPoller } from './streams';
import { type LocalDefinition, readLocalDefinition } from './template';

export interface LocalStackOptions {
  /** HTTP port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Synthetic accounts to seed (personas come on top). */
  accounts?: number;
  /** Keep DynamoDB data in this folder instead of memory. */
  dataDir?: string;
  /**
   * The factor pepper's file (Secrets Manager's stand-in): created if missing. Default: `pepper` in
   * the data folder, or a new one per run when the data is in memory.
   */
  pepperFile?: string;
  /** The turn's clock for seeding (tenure etc.); defaults to today. */
  asOf?: string;
  onProgress?: (message: string) => void;
  /**
   * The import bucket's stand-in: files put under `DIR/incoming/` are imported by the real
   * ImportAccounts handler, reports written under `DIR/reports/`.
   */
  inboxDir?: string;
  /** Told of each file the inbox imported (its summary or its error). */
  onInbox?: (key: string, outcome: { summary?: unknown; error?: string }) => void;
  /** Told of each account change event put on the local bus, with what AccountEvents made of it. */
  onAccountEvent?: (outcome: unknown) => void;
  /** Replace the handler of a state (tests: make a task fail). */
  taskOverrides?: Record<string, LambdaLike>;
  /** The canary's timer (functions/canary.ts every N ms; AWS: every 5 minutes). Off when absent or 0. */
  canaryEveryMs?: number;
  /** Told of each canary call the timer made. */
  onCanary?: (report: CanaryReport) => void;
  /** The outbound policy's clock (quiet hours, frequency), for tests; defaults to the time now. */
  outboundNow?: () => string;
  /** The configuration seeded as active (default: data/default-config.json), e.g. one with a churn model. */
  config?: DecisionConfig;
  /**
   * The schedule of scheduled activations (functions/activate-due.ts; AWS: a rule every minute), every
   * N ms. Default 60 000; 0 turns the timer off (tests run it with `activations.runDue`).
   */
  activationEveryMs?: number;
  /**
   * PublishFunnels' timer (the funnels as metrics, reaching /ops/metrics.json; AWS: every 5 minutes).
   * Default 5 minutes; 0 turns it off.
   */
  funnelsEveryMs?: number;
}

export interface LocalStack {
  url: string;
  endpoint: string;
  /** Env of the functions: table names by variable (CONTACTS_TABLE, ...). */
  env: Record<string, string>;
  /** The file holding the factor pepper. */
  pepperFile: string;
  db: DynamoDBDocumentClient;
  runner: LocalRunner;
  definition: LocalDefinition;
  personas: ReturnType<typeof buildPersonas>;
  /** The fault switch on the functions' DynamoDB client (off until a test turns it on). */
  faults: DynamoFaults;
  /** The account feed's dead-letter queue (SQS's JSON protocol at `deadLetters.url`): `npm run redrive -- --local`. */
  deadLetters: LocalDeadLetterQueue;
  /**
   * ActivateDue's handler, as the minute rule runs it: carries out the pending activation if it is due
   * at `at` (default: now). Tests pass a time past the pending one instead of waiting for it.
   */
  activations: { runDue(at?: string): Promise<{ kind: string; version?: string; placement?: string }> };
  /** The canary's handler: one synthetic call now (its timer, `canaryEveryMs`, is off by default). */
  canary: { run(): Promise<CanaryReport> };
  /** PublishFunnels' handler: the funnels published as metrics now (also on its timer, `funnelsEveryMs`). */
  funnels: { publish(): Promise<FunnelSnapshot> };
  /** DynamoDB Local's process: restarted on the same port if it ends by itself (`up()` waits for it). */
  dynamo: DynamoLocal;
  /** The user pool's stand-in: signs tokens the local authorizer accepts. */
  issuer: LocalIssuer;
  /** The stream event source mappings (the offer log to AggregateKpis): `drain()` waits until they caught up. */
  streams: StreamPoller;
  /** Where the signing key is published for `npm run token` (mode 600; removed on stop). */
  issuerKeyFile: string;
  /** What the functions published since the stack started, as /ops/metrics.json serves it. */
  opsMetrics: OpsMetrics;
  /** Contact that Retention Desk starts: what Connect's stand-in was asked, deferred requests, the bus's events. */
  outbound: { connect: LocalConnect; scheduler: LocalScheduler; bus: LocalEventBus };
  stop(): Promise<void>;
}

/** `+15555550101` → `+1555555••01`: enough to pick a persona from the file, not the number. */
export const maskPhone = (phone: string) => `${phone.slice(0, -4)}••${phone.slice(-2)}`;

/** Sets the process env the functions read, as Lambda would from the template. */
function applyEnv(def: LocalDefinition, endpoint: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of def.functions) {
    for (const [k, v] of Object.entries(f.environment)) {
      if (env[k] !== undefined && env[k] !== v)
        throw new Error(`Functions disagree on ${k}: ${env[k]} vs ${v}`);
      env[k] = v;
    }
  }
  Object.assign(process.env, env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  });
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  return env;
}

/**
 * The local stand-in for the pepper secret (and the contact key): 32 random bytes in hex, written once with mode 600 (a
 * second process that races to create it reads the winner's). Returns the pepper.
 */
export function ensurePepperFile(file: string): string {
  mkdirSync(dirname(file), { recursive: true });
  // Written aside, then linked into place: the file appears whole or not at all.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    linkSync(draft, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(draft);
  }
  const pepper = readFileSync(file, 'utf8').trim();
  if (pepper.length < MIN_PEPPER_LENGTH)
    throw new Error(`The pepper file ${file} holds fewer than ${MIN_PEPPER_LENGTH} characters`);
  return pepper;
}

async function createTables(def: LocalDefinition): Promise<number> {
  const ddb = new DynamoDBClient({});
  const existing = new Set((await ddb.send(new ListTablesCommand({}))).TableNames ?? []);
  let created = 0;
  for (const t of def.tables) {
    if (existing.has(t.create.TableName!)) continue;
    created++;
    await ddb.send(new CreateTableCommand(t.create));
    if (t.ttlAttribute)
      await ddb
        .send(
          new UpdateTimeToLiveCommand({
            TableName: t.create.TableName,
            TimeToLiveSpecification: { AttributeName: t.ttlAttribute, Enabled: true },
          }),
        )
        .catch(() => undefined);
  }
  ddb.destroy();
  return created;
}

/** Writes accounts 25 at a time, a few batches in flight, retrying what DynamoDB leaves unprocessed. */
export async function putAccounts(
  db: DynamoDBDocumentClient,
  table: string,
  accounts: Account[],
): Promise<void> {
  const batches: Account[][] = [];
  for (let i = 0; i < accounts.length; i += 25) batches.push(accounts.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      let requests = batch.map((a) => ({ PutRequest: { Item: a } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        const r = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
        requests = (r.UnprocessedItems?.[table] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((ok) => setTimeout(ok, 20 * 2 ** Math.min(attempt, 6)));
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Who approved the seeded default configuration: nobody, it counts as approved at seeding. */
export const SEED_APPROVER = { sub: 'local-seed', username: 'seed' } as const;

/**
 * The default configuration, active and approved (four eyes: the seed counts as approved at seeding,
 * so a single local user can start from it), its history one seeded activation.
 */
export async function seedConfig(
  db: DynamoDBDocumentClient,
  table: string,
  config: DecisionConfig = DEFAULT_CONFIG,
): Promise<void> {
  const at = new Date().toISOString();
  await db.send(
    new PutCommand({
      TableName: table,
      Item: {
        ...CONFIG_KEY,
        version: config.version,
        activatedAt: at,
        config,
        history: [{ version: config.version, activatedAt: at, how: 'SEED' }],
        revision: 0,
      },
    }),
  );
  await db.send(
    new PutCommand({
      TableName: table,
      Item: { ...CONFIG_POINTER_KEY, version: config.version, activatedAt: at },
    }),
  );
  await db.send(
    new PutCommand({
      TableName: table,
      Item: {
        pk: CONFIG_KEY.pk,
        sk: `v#${config.version}`,
        version: config.version,
        createdAt: at,
        approvedAt: at,
        approvedBy: SEED_APPROVER,
        config,
      },
    }),
  );
}

/**
 * The whole stack on one machine: DynamoDB Local with the template's tables, the seeded portfolio
 * and personas, the synthesized state machine run in-process with the real handlers, and the
 * HTTP API on loopback.
 */
export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const say = opts.onProgress ?? (() => undefined);
  const asOf = opts.asOf ?? new Date().toISOString().slice(0, 10);
  say('Synthesizing the CDK app (tables, functions, state machine)…');
  const def = readLocalDefinition();
  say(`Starting DynamoDB Local (${opts.dataDir ? `data in ${opts.dataDir}` : 'in memory'})…`);
  // Set once the data is seeded: what a restarted DynamoDB Local needs to serve the same stack again.
  let restore: () => Promise<void> = async () => undefined;
  const dynamo = await startDynamoLocal({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    onExit: (why) => say(`DynamoDB Local's process ended (${why}): starting it again on the same port…`),
    onRestart: () => restore(),
  });
  const cleanup: Array<() => Promise<void>> = [() => dynamo.stop()];
  const stop = async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  };
  try {
    const env = applyEnv(def, dynamo.endpoint);
    const pepperFile =
      opts.pepperFile ??
      (opts.dataDir
        ? join(opts.dataDir, 'pepper')
        : join(mkdtempSync(join(tmpdir(), 'retention-desk-')), 'pepper'));
    if (!opts.pepperFile && !opts.dataDir)
      cleanup.push(async () => rmSync(dirname(pepperFile), { recursive: true }));
    const pepper = ensurePepperFile(pepperFile);
    // The functions read it as they would the secret on AWS (shared/adapters/pepper.ts).
    process.env.PEPPER_FILE = pepperFile;
    // The contact key (derived contact ids) likewise: kept with the data, else new per run.
    const keyDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'retention-desk-key-'));
    if (!opts.dataDir) cleanup.push(async () => rmSync(keyDir, { recursive: true, force: true }));
    process.env.CONTACT_KEY_FILE = join(keyDir, 'contact-key');
    ensurePepperFile(process.env.CONTACT_KEY_FILE);
    // And the erasure key (pseudonyms of erased accounts).
    process.env.ERASURE_KEY_FILE = join(keyDir, 'erasure-key');
    ensurePepperFile(process.env.ERASURE_KEY_FILE);
    say(
      `Creating ${def.tables.length} tables from the template: ${def.tables.map((t) => t.create.TableName).join(', ')}`,
    );
    await createTables(def);
    const db = documentClient({});
    cleanup.push(async () => db.destroy());
    const tables = { accounts: env.ACCOUNTS_TABLE!, catalog: env.CATALOG_TABLE! };
    const personas = buildPersonas(asOf, pepper);
    /** The configuration, personas and synthetic accounts: at start, and again after an in-memory restart. */
    const seed = async () => {
      await seedConfig(db, tables.catalog, opts.config);
      const seeded = await db.send(
        new GetCommand({ TableName: tables.accounts, Key: { accountId: personas[0]!.account.accountId } }),
      );
      if (seeded.Item) {
        // The first persona's factors hashed with this pepper must match what the data holds.
        if (seeded.Item.verification?.last4Hash !== personas[0]!.account.verification.last4Hash)
          throw new Error(
            `The pepper in ${pepperFile} is not the one the accounts in ${opts.dataDir ?? 'this data'} were hashed with: no caller could be verified. Restore that pepper file, or start with a new data folder.`,
          );
        say('Accounts already seeded in the data folder: keeping them.');
      } else {
        const count = opts.accounts ?? 10_000;
        say(`Seeding ${count.toLocaleString('en-US')} synthetic accounts and ${personas.length} personas…`);
        const t0 = performance.now();
        await putAccounts(db, tables.accounts, [
          ...personas.map((p) => p.account),
          ...generatePortfolio({ count, asOf, pepper }),
        ]);
        say(`  seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    };
    await seed();

    // The functions' own client (the composition root's), built now with this env, with the switch on it.
    const faults = new DynamoFaults(dynamo);
    faults.attach(dynamoClient());
    cleanup.push(async () => faults.reset());
    restore = async () => {
      // Sockets kept alive to the dead process are dropped: the next request opens a fresh one.
      for (const client of [dynamoClient(), db])
        (client.config.requestHandler as { destroy?: () => void }).destroy?.();
      if (opts.dataDir) {
        await createTables(def);
        say(`DynamoDB Local is back with the data in ${opts.dataDir}.`);
        return;
      }
      await createTables(def);
      await seed();
      say(
        'DynamoDB Local is back, in memory: tables created and seeded again as at start (contacts and answers of before are gone).',
      );
    };
    // The metrics the functions publish, collected for /ops from before the first turn.
    const opsMetrics = new OpsMetrics();
    const unsubscribe = onMetricPoints(opsMetrics.add);
    cleanup.push(async () => unsubscribe());
    say('Loading the state machine definition and the real handlers…');
    const runner = await createLocalRunner(def.stateMachine, opts.taskOverrides);
    if (!def.functions.some((f) => f.entryName === 'http-api'))
      throw new Error('No http-api function in the template');
    const { makeHandler } = (await import(
      '../../functions/http-api'
    )) as typeof import('../../functions/http-api');
    const api = makeHandler({ runner });
    const admin = await importHandler('admin-api');
    // The channel adapters, as Lambda's Invoke API would run them, on the same in-process state machine.
    const { makeHandler: connectAdapter } = (await import(
      '../../functions/connect-adapter'
    )) as typeof import('../../functions/connect-adapter');
    const { makeHandler: lexAdapter } = (await import(
      '../../functions/lex-adapter'
    )) as typeof import('../../functions/lex-adapter');
    // PlacePortfolio, as admin-api invokes it (asynchronously, by the name in its environment).
    const placeHandler = await importHandler('place-portfolio');
    const place = (event: unknown) => placeHandler(event, fakeContext('place-portfolio', 900_000));
    const invoke = {
      'connect-adapter': connectAdapter({ runner }),
      'lex-adapter': lexAdapter({ runner }),
      [env.PLACE_PORTFOLIO_FUNCTION ?? 'place-portfolio']: place,
    };
    // The account event bus's rule: "Account Change" events to the real AccountEvents handler.
    const { makeHandler: accountEvents } = (await import(
      '../../functions/account-events'
    )) as typeof import('../../functions/account-events');
    // On the functions' client (as deployed, and under the fault switch).
    const onAccountEvent = accountEvents({
      store: new DynamoAccountStore(dynamoClient(), env.ACCOUNTS_TABLE!, env.COUNTERS_TABLE!),
      configs: configSource(),
    });
    // The feed's dead-letter queue: what fails is kept there for `npm run redrive` (its URL once the server listens).
    const deadLetters = new LocalDeadLetterQueue('');
    const applyEvent = async (event: unknown) => {
      const outcome = await onAccountEvent(event, fakeContext('account-events', 30_000));
      opts.onAccountEvent?.(outcome);
      return outcome;
    };
    // The bus delivers asynchronously: a failed event is dead-lettered, the sender's PutEvents has succeeded.
    const events = async (event: unknown) => {
      try {
        return await applyEvent(event);
      } catch (e) {
        deadLetters.deadLetter('account-events', event, e);
        return undefined;
      }
    };
    const feedFunctions: Record<string, (event: unknown) => Promise<unknown>> = {
      'account-events': applyEvent,
    };
    if (opts.inboxDir) {
      const { makeHandler: importAccounts } = (await import(
        '../../functions/import-accounts'
      )) as typeof import('../../functions/import-accounts');
      const onImport = importAccounts({
        bucket: LOCAL_BUCKET,
        objects: new FolderObjectStore(opts.inboxDir),
        store: new DynamoAccountStore(db, env.ACCOUNTS_TABLE!, env.COUNTERS_TABLE!),
        pepper: readPepper,
        configs: configSource(),
      }) as never as (event: unknown, context: ReturnType<typeof fakeContext>) => Promise<unknown>;
      feedFunctions['import-accounts'] = (event) => onImport(event, fakeContext('import-accounts', 900_000));
      const inbox = startInbox({
        dir: opts.inboxDir,
        handler: onImport as never,
        context: () => fakeContext('import-accounts', 900_000),
        onImported: (key, outcome) =>
          opts.onInbox?.(key, { summary: (outcome as Array<{ summary?: unknown }>)[0]?.summary }),
        onError: (key, e) => {
          deadLetters.deadLetter('import-accounts', s3Event(LOCAL_BUCKET, key), e);
          opts.onInbox?.(key, { error: e instanceof Error ? e.message : String(e) });
        },
      });
      cleanup.push(() => inbox.close());
    }
    // The canary: the real handler, on the in-process state machine; a timer only when asked for.
    const { makeHandler: canaryHandler } = (await import(
      '../../functions/canary'
    )) as typeof import('../../functions/canary');
    const canaryAccounts = new DynamoAccountStore(dynamoClient(), env.ACCOUNTS_TABLE!);
    const onCanary = canaryHandler({
      runner,
      writeAccount: (a) => canaryAccounts.replaceCanary(a),
      pepper: readPepper,
      salt: () => randomBytes(16).toString('hex'),
    });
    const canary = { run: () => onCanary({}, fakeContext('canary', 30_000)) };
    if (opts.canaryEveryMs && opts.canaryEveryMs > 0) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        canary
          .run()
          .then((r) => opts.onCanary?.(r))
          .catch(() => undefined)
          .finally(() => {
            busy = false;
          });
      }, opts.canaryEveryMs);
      timer.unref();
      cleanup.push(async () => clearInterval(timer));
    }
    // Contact that Retention Desk starts: StartOutbound (the real handler) with a stand-in for
    // Connect's outbound APIs and for the Scheduler; the bus that PublishEvents puts events on.
    const outboundConnect = new LocalConnect(opts.dataDir ? join(opts.dataDir, 'outbound.jsonl') : undefined);
    const outboundScheduler = new LocalScheduler();
    const { makeHandler: startOutbound } = (await import(
      '../../functions/start-outbound'
    )) as typeof import('../../functions/start-outbound');
    const outboundFn = startOutbound({
      accounts: new DynamoOutboundAccounts(
        dynamoClient(),
        new DynamoAccountStore(dynamoClient(), env.ACCOUNTS_TABLE!, env.COUNTERS_TABLE!),
        env.ACCOUNTS_TABLE!,
        env.COUNTERS_TABLE!,
      ),
      dialer: outboundConnect,
      scheduler: outboundScheduler,
      now: () => opts.outboundNow?.() ?? new Date().toISOString(),
    });
    const runOutbound = async (event: unknown) => {
      try {
        return await outboundFn(event, fakeContext('start-outbound', 30_000));
      } catch (e) {
        // As on AWS: after the retries, the event is kept in the dead-letter queue.
        deadLetters.deadLetter('start-outbound', event, e);
        return undefined;
      }
    };
    outboundScheduler.setRunner((r) => runOutbound({ deferred: r }));
    const bus = new LocalEventBus(runOutbound, opts.dataDir ? join(opts.dataDir, 'events.jsonl') : undefined);
    const { makeHandler: publishEvents } = (await import(
      '../../functions/publish-events'
    )) as typeof import('../../functions/publish-events');
    const publisher = publishEvents({ publisher: bus }) as unknown as LambdaLike;
    // The Scheduler's stand-in: deferred requests run when due (checked each minute).
    const scheduleTimer = setInterval(() => {
      void outboundScheduler.fireDue(opts.outboundNow?.() ?? new Date().toISOString()).catch(() => undefined);
    }, 60_000);
    scheduleTimer.unref();
    cleanup.push(async () => clearInterval(scheduleTimer));
    // The event source mappings of the template's streams (the offer log's, to AggregateKpis and
    // PublishEvents; the counters table's outbox, to PublishEvents).
    const streams = startStreamPoller(
      dynamo.endpoint,
      await Promise.all(
        def.streams.map(async (m) => ({
          ...m,
          handler: m.entryName === 'publish-events' ? publisher : await importHandler(m.entryName),
        })),
      ),
      { onError: (e) => process.env.RD_DEBUG && console.error('stream', e) },
    );
    cleanup.push(() => streams.stop());
    // The user pool's stand-in: tokens signed by a key of this run (kept in the data folder with --data).
    const issuer = await LocalIssuer.create(
      opts.dataDir ? { keyFile: join(opts.dataDir, 'issuer-key.json') } : {},
    );
    const server = await startHttpServer(
      {
        api: api as never,
        admin: admin as never,
        invoke: { ...invoke, ...feedFunctions },
        events,
        authorize: (e) => issuer.authorize(e),
        sqs: (target, body) => sqsApi(deadLetters, target, body),
        // The feed's functions only: their on-failure destination is this queue (account-feed.ts).
        asyncFailure: (fn, event, e) => {
          if (Object.hasOwn(feedFunctions, fn)) deadLetters.deadLetter(fn, event, e);
        },
      },
      {
        port: opts.port ?? 3000,
        // A web chat that speaks to lex-adapter with Lex-shaped events.
        pages: { '/chat': readFileSync(resolve(import.meta.dirname, 'chat.html'), 'utf8') },
        // The ops page: the KPI report and these metrics, drawn with the ECharts it serves itself.
        routes: {
          ...opsRoutes({ metrics: opsMetrics, authenticate: (e) => issuer.authorize(e) }),
          // What the Connect stand-in would have dialled (numbers masked), for `npm run outbound`.
          ...outboundRoutes(outboundConnect, outboundScheduler, bus, (e) => issuer.authorize(e)),
        },
        index: {
          name: 'Retention Desk (local)',
          routes: [...ROUTES, ...ADMIN_ROUTES].map((r) => `${r.method} ${r.resource}`),
          // No PII on any page, test data included: counts and masked phones; the file has the rest.
          personas: {
            count: personas.length,
            file: 'data/personas.json',
            phones: personas.map((p) => maskPhone(p.persona.phone)),
          },
        },
      },
    );
    cleanup.push(() => server.close());
    deadLetters.url = `${server.url}/${LOCAL_DLQ_ACCOUNT}/${LOCAL_DLQ_NAME}`;
    // admin-api's Lambda client (starting PlacePortfolio) speaks to this server's Invoke API.
    process.env.AWS_ENDPOINT_URL_LAMBDA = server.url;
    // The schedules' stand-ins (EventBridge Scheduler on AWS: infra/stacks/service-stack.ts), unref'd
    // timers cleared on stop. Daily: every segment placed again (conditions on time).
    const daily = setInterval(() => {
      for (let segment = 0; segment < PORTFOLIO_SEGMENTS; segment++)
        void place({ segment, totalSegments: PORTFOLIO_SEGMENTS, cause: 'SCHEDULE' }).catch(() => undefined);
    }, 24 * 3600_000);
    daily.unref();
    cleanup.push(async () => clearInterval(daily));
    // The minute rule's stand-in: ActivateDue, with the run's time as the scheduled event's `time`.
    const activateDue = await importHandler('activate-due');
    const activations = {
      runDue: async (at?: string) =>
        (await activateDue(
          { 'detail-type': 'Scheduled Event', source: 'aws.events', time: at ?? new Date().toISOString() },
          fakeContext('activate-due', 30_000),
        )) as { kind: string; version?: string; placement?: string },
    };
    const activationEveryMs = opts.activationEveryMs ?? 60_000;
    if (activationEveryMs > 0) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        activations
          .runDue()
          .catch((e) => process.env.RD_DEBUG && console.error('activate-due', e))
          .finally(() => {
            busy = false;
          });
      }, activationEveryMs);
      timer.unref();
      cleanup.push(async () => clearInterval(timer));
    }
    // Every 5 minutes: the funnels as metrics, through the real handler (its points reach opsMetrics).
    const publishHandler = await importHandler('publish-funnels');
    const funnels = {
      publish: () => publishHandler({}, fakeContext('publish-funnels', 30_000)) as Promise<FunnelSnapshot>,
    };
    const funnelsEveryMs = opts.funnelsEveryMs ?? 5 * 60_000;
    if (funnelsEveryMs > 0) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy) return;
        busy = true;
        funnels
          .publish()
          .catch(() => undefined)
          .finally(() => {
            busy = false;
          });
      }, funnelsEveryMs);
      timer.unref();
      cleanup.push(async () => clearInterval(timer));
    }
    // Published for `npm run token` and the CLIs (mode 600), removed when the stack stops.
    const issuerKeyFile = issuerKeyPath(new URL(server.url).port);
    const unpublish = issuer.publish(issuerKeyFile, server.url);
    cleanup.push(async () => unpublish());
    return {
      issuer,
      issuerKeyFile,
      opsMetrics,
      streams,
      outbound: { connect: outboundConnect, scheduler: outboundScheduler, bus },
      url: server.url,
      endpoint: dynamo.endpoint,
      env,
      pepperFile,
      db,
      runner,
      definition: def,
      personas,
      faults,
      deadLetters,
      canary,
      activations,
      funnels,
      dynamo,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
