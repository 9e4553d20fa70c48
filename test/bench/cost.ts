/**
 * `npm run cost`: the bill of one million four-turn contacts per channel, from the synthesized
 * template and one measured contact per channel on the local stack (DynamoDB Local, the state
 * machine in-process, the real handlers):
 *   voice: the Connect adapter's handler with Connect events (start, verify, offers, decline);
 *   chat:  the Lex adapter's handler with Lex V2 events (number, factors, decline, accept);
 *   agent: the REST API through the local HTTP server (start, verify, offers, decline).
 * Measured per turn, from outside the product code: the task invocations and their wall times (the
 * runner's `handlers` wrapped), the channel function's wall time, each run's states (the local
 * engine's event log) and wall time, every DynamoDB request with the ConsumedCapacity DynamoDB Local
 * reports (ReturnConsumedCapacity INDEXES, added by SDK middleware on the functions' client), item
 * sizes, and every line the functions' logger writes. The pricing is test/bench/cost-model.ts.
 * Writes test/bench/results/cost.json.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DecisionConfigSchema } from '../../shared/schemas/config';
import { connectEvent } from '../fakes/connect';
import lexFixture from '../fixtures/lex/confirm-offer.json';
import {
  bill,
  type ContactMeasurement,
  type DynamoCall,
  fixedMonthly,
  itemSize,
  type LogLine,
  PRICES,
  PRICES_READ,
  type RunMeasurement,
  readArchitecture,
  renderBill,
  renderTable,
  type StateVisit,
  shownPrice,
  type TurnMeasurement,
  usd,
  whatIfs,
} from './cost-model';

// Before any product module builds its logger: every line is written (the bill keeps what each
// function's level in the template lets through), and the configuration is read once for the whole
// run (on AWS one read per container every 30 s: nothing per contact at steady traffic).
process.env.POWERTOOLS_LOG_LEVEL = 'TRACE';
process.env.CONFIG_CACHE_MS = String(3_600_000);
// Its pointer (the kill switch's, read every 3 s per warm container on AWS) likewise: priced on its own below.
process.env.CONFIG_POINTER_CACHE_MS = String(3_600_000);
// Every temporary file of this run (cloud assemblies, pepper and key files) in one folder, removed at the end.
const TMP = mkdtempSync(join(tmpdir(), 'rd-cost-'));
process.env.TMPDIR = TMP;

const ROOT = resolve(import.meta.dirname, '../..');
/**
 * `--config FILE`: the turns measured under that configuration as the active one (e.g. one holding a
 * churn model, from `npm run churn -- config`), the results written beside the default run's.
 */
const CONFIG_ARG = (() => {
  const i = process.argv.indexOf('--config');
  if (i < 0) return undefined;
  const file = process.argv[i + 1];
  if (!file) throw new Error('--config needs a configuration file');
  return DecisionConfigSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
})();
const RESULTS = resolve(ROOT, `test/bench/results/cost${CONFIG_ARG ? '-config' : ''}.json`);
const AIMS: Record<string, number> = { voice: 15, agent: 20 };
/** The counters' read cache (shared/adapters/dynamo.ts) is 5 s: each measured contact reads them cold. */
const COUNTER_CACHE_MS = 5_000;

const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
const say = (s: string) => realErr(`${s}\n`);

interface Store {
  fn?: string;
  run?: { exec?: { eventLogs: AsyncGenerator<Record<string, any>> } };
}
const als = new AsyncLocalStorage<Store>();
/** A turn being measured: its lines are kept raw (with their writer) and classified at the end. */
type OpenTurn = Omit<TurnMeasurement, 'logs'> & {
  channelEntry: string;
  raw: Array<{ entry: string; line: string }>;
};
let turn: OpenTurn | undefined;

const jsonBytes = (v: unknown) =>
  v === undefined ? 0 : Buffer.byteLength(JSON.stringify(JSON.stringify(v))) - 2;

/** The keys Powertools adds from the Lambda context (`injectLambdaContext`). */
const CONTEXT_KEYS = [
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
];

/**
 * A captured line as it would reach CloudWatch. Locally every function shares one logger, so a line
 * can carry the Lambda context another function set earlier in the process: such a line gets its
 * writer's own context if the writer injects one (`injects`), or none.
 */
function classify(line: string, entry: string, injects: boolean): LogLine {
  let level = 'INFO';
  let powertools = false;
  let context = false;
  let metrics = 0;
  let size = Buffer.byteLength(line);
  try {
    const o = JSON.parse(line) as Record<string, any>;
    if (typeof o.level === 'string') {
      level = o.level;
      powertools = 'service' in o;
    }
    if ('function_name' in o && o.function_name !== entry) {
      const own = {
        cold_start: false,
        function_arn: `arn:aws:lambda:us-east-1:000000000000:function:${entry}`,
        function_memory_size: o.function_memory_size,
        function_name: entry,
        function_request_id: o.function_request_id,
      };
      const fixed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o))
        if (!CONTEXT_KEYS.includes(k)) fixed[k] = v;
        else if (injects) fixed[k] = own[k as keyof typeof own];
      size = Buffer.byteLength(JSON.stringify(fixed));
    }
    context = injects && powertools;
    for (const d of o._aws?.CloudWatchMetrics ?? []) metrics += (d.Metrics ?? []).length;
  } catch {
    // A plain line (console.log): INFO, as Lambda's Text format would keep it.
  }
  return { entry, level, bytes: size, powertools, context, metrics };
}

/** Every line written while a turn runs is the turn's, credited to the function whose code wrote it. */
function captureLogs() {
  const tap =
    (real: typeof realOut) =>
    (chunk: string | Uint8Array, enc?: unknown, cb?: unknown): boolean => {
      if (!turn) return real(chunk as never, enc as never, cb as never);
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const entry = als.getStore()?.fn ?? turn.channelEntry;
      for (const line of text.split('\n')) if (line.trim()) turn.raw.push({ entry, line });
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') done();
      return true;
    };
  process.stdout.write = tap(realOut) as typeof process.stdout.write;
  process.stderr.write = tap(realErr) as typeof process.stderr.write;
  return () => {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  };
}

async function drain(exec: NonNullable<Store['run']>['exec']): Promise<Omit<RunMeasurement, 'ms'>> {
  const states: StateVisit[] = [];
  let retries = 0;
  let caught = 0;
  let failed = false;
  if (!exec) return { states, retries, caught, failed: true, maxDataBytes: 0 };
  const read = (async () => {
    for await (const e of exec.eventLogs) {
      if (e.type === 'StateEntered')
        states.push({
          name: e.state.name,
          type: e.state.type,
          inputBytes: jsonBytes(e.state.input),
          outputBytes: 0,
        });
      else if (e.type === 'StateExited') {
        const s = [...states].reverse().find((x) => x.name === e.state.name);
        if (s) s.outputBytes = jsonBytes(e.state.output);
      } else if (e.type === 'StateRetried') retries++;
      else if (e.type === 'StateCaught') caught++;
      else if (e.type === 'ExecutionFailed' || e.type === 'ExecutionTimeout' || e.type === 'ExecutionAborted')
        failed = true;
    }
  })();
  await Promise.race([read, new Promise((ok) => setTimeout(ok, 2_000))]);
  const maxDataBytes = Math.max(0, ...states.flatMap((s) => [s.inputBytes, s.outputBytes]));
  return { states, retries, caught, failed, maxDataBytes };
}

/** How each figure was had, printed with the bill. */
const METHOD = [
  "- Measured, one contact per channel after a warm-up contact (modules loaded), each with the counters' 5 s read cache cold:",
  "  - invocations per function and their wall time, a stand-in for billed duration (on AWS each task adds Lambda's invoke",
  "    overhead and network: see the 25 ms row of the trade-offs); the channel function's wall time (agent: the HTTP request's);",
  "  - each run's wall time and the states it went through (the local engine's event log);",
  '  - every DynamoDB request with the ConsumedCapacity DynamoDB Local reports (it does, per table and index, transactions',
  "    at 2 units per KB); item sizes after each turn by DynamoDB's size rules;",
  "  - every line the functions' logger wrote, at all levels, then kept at each function's level in the template, with",
  '    function name, ARN and trace id at their length on AWS.',
  "- Estimated from documented formats, with the deployed names' lengths: Lambda's START/END/REPORT lines, the state",
  "  machine's log events (its level × the states each run went through), the API's access-log line; Express billed memory",
  '  (50 MB + definition + execution data, in 64 MB steps).',
  '- Not in the bill: Connect and Lex charges, free tiers, cold starts (init is billed: once a container, not a contact),',
  '  the configuration read (cached 30 s per container; held for the whole run here), Secrets Manager reads at cold start,',
  '  KMS (AWS-managed table keys), storage and backups (item sizes below).',
];

/** The pointer's cache period on AWS (composition.ts CONFIG_POINTER_CACHE_MS). */
const POINTER_PERIOD_S = 3;
/** What the kill switch's pointer costs a warm container a month: one read per period, priced per read unit. */
function pointerCost(bytes: number, units: number) {
  const readsPerMonth = Math.round((30 * 86_400) / POINTER_PERIOD_S);
  const usdPerContainerMonth = readsPerMonth * units * PRICES.ddbReadUnit.usd;
  return { bytes, units, readsPerMonth, usdPerContainerMonth, wholeItemUsdPerContainerMonth: 0 };
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

async function main() {
  const { buildApp } = await import('../../infra/build-app');
  const { startLocalStack, putAccounts } = await import('../../infra/local/stack');
  const { StateMachine } = await import('aws-local-stepfunctions');
  const { dynamoClient } = await import('../../shared/adapters/composition');
  const { DynamoDBClient, GetItemCommand, QueryCommand } = await import('@aws-sdk/client-dynamodb');
  const connect = await import('../../functions/connect-adapter');
  const lex = await import('../../functions/lex-adapter');
  const { CONFIG_KEY, CONFIG_POINTER_KEY } = await import('../../shared/adapters/dynamo');

  say('Synthesizing the CDK app…');
  const { app, data, service } = buildApp({ bundling: false });
  const assembly = app.synth();
  const stacks = [data, service].map((s) => ({
    stackName: s.stackName,
    template: assembly.getStackByName(s.stackName).template as Record<string, any>,
  }));
  rmSync(assembly.directory, { recursive: true, force: true });

  say('Starting the local stack (DynamoDB Local, state machine in-process)…');
  const stack = await startLocalStack({
    port: 0,
    accounts: 0,
    onProgress: (m) => say(`  ${m}`),
    ...(CONFIG_ARG ? { config: CONFIG_ARG } : {}),
  });
  if (CONFIG_ARG) say(`  active configuration: ${CONFIG_ARG.version} (--config)`);
  const restore = captureLogs();
  const raw = new DynamoDBClient({});
  try {
    const def = stack.definition;
    const entries = Object.fromEntries(def.functions.map((f) => [f.logicalId, f.entryName]));
    const arch = readArchitecture(stacks, entries);
    const tableId = new Map(def.tables.map((t) => [t.create.TableName!, t.logicalId]));
    const idOfEnv = (v: string) => tableId.get(stack.env[v]!) ?? v;

    // The runs' states: the local engine's event log, taken from each run (the runner keeps it to itself).
    const proto = StateMachine.prototype as unknown as {
      run: (...a: unknown[]) => NonNullable<Store['run']>['exec'];
    };
    const run0 = proto.run;
    proto.run = function (this: unknown, ...a: unknown[]) {
      const exec = run0.apply(this, a);
      const s = als.getStore();
      if (s?.run) s.run.exec = exec;
      return exec;
    };
    // Each task state's Lambda: its wall time, credited to the function it runs.
    for (const [state, h] of Object.entries(stack.runner.handlers)) {
      const entry = def.stateMachine.taskFunctions[state] ?? state;
      stack.runner.handlers[state] = async (input) => {
        const t0 = performance.now();
        try {
          return await als.run({ ...als.getStore(), fn: entry }, () => h(input));
        } finally {
          turn?.invocations.push({ entry, state, ms: performance.now() - t0 });
        }
      };
    }
    // Each synchronous run: its wall time and states.
    const runTurn = stack.runner.run.bind(stack.runner);
    stack.runner.run = async (input) => {
      const rec: NonNullable<Store['run']> = {};
      const t0 = performance.now();
      const out = await als.run({ ...als.getStore(), run: rec }, () => runTurn(input));
      const ms = performance.now() - t0;
      const r = await drain(rec.exec);
      turn?.runs.push({ ms, ...r });
      return out;
    };
    // Every DynamoDB request of the functions, with what it consumed.
    const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
    dynamoClient().middlewareStack.add(
      (next, context) => async (args) => {
        const op = String(context.commandName ?? '')
          .replace(/Command$/, '')
          .replace(/^(Get|Put|Update|Delete)$/, '$1Item')
          .replace(/^(BatchGet|BatchWrite)$/, '$1Item')
          .replace(/^Transact(Write|Get)$/, 'Transact$1Items');
        const input = args.input as Record<string, any>;
        const out = await next({ ...args, input: { ...input, ReturnConsumedCapacity: 'INDEXES' } } as never);
        if (turn) {
          const cc = (out.output as Record<string, any>).ConsumedCapacity;
          const list = (Array.isArray(cc) ? cc : cc ? [cc] : []) as Array<Record<string, any>>;
          const isRead = READS.has(op);
          const units: DynamoCall['units'] = [];
          for (const c of list) {
            const table = tableId.get(c.TableName) ?? c.TableName;
            const split = (x: Record<string, any> | undefined) => ({
              read: x?.ReadCapacityUnits ?? (isRead ? (x?.CapacityUnits ?? 0) : 0),
              write: x?.WriteCapacityUnits ?? (isRead ? 0 : (x?.CapacityUnits ?? 0)),
            });
            units.push({ table, ...split(c.Table ?? c) });
            for (const [index, u] of Object.entries((c.GlobalSecondaryIndexes ?? {}) as Record<string, any>))
              units.push({ table, index, ...split(u) });
            for (const [index, u] of Object.entries((c.LocalSecondaryIndexes ?? {}) as Record<string, any>))
              units.push({ table, index, ...split(u) });
          }
          const consistent =
            input.ConsistentRead === true ||
            Object.values((input.RequestItems ?? {}) as Record<string, any>).some(
              (r) => r?.ConsistentRead === true,
            );
          turn.dynamo.push({
            op,
            consistent,
            ...(Array.isArray(input.TransactItems) ? { transactItems: input.TransactItems.length } : {}),
            units,
          });
        }
        return out;
      },
      { step: 'initialize', name: 'costMeter', override: true },
    );

    // Accounts for the contacts: copies of persona 1 (so every channel bills the same account), one each.
    const persona = stack.personas[0]!;
    const clones = Array.from({ length: 6 }, (_, i) => {
      const { otherPhones: _o, ...a } = persona.account as typeof persona.account & {
        otherPhones?: string[];
      };
      return {
        ...a,
        accountId: `COST-${String(i + 1).padStart(4, '0')}`,
        customerId: `COST-C${i + 1}`,
        phone: `+155555599${String(i + 1).padStart(2, '0')}`,
      };
    });
    await putAccounts(stack.db, stack.env.ACCOUNTS_TABLE!, clones as never);
    const { last4, zip } = persona.persona;
    const contactsTable = def.tables.find((t) => t.create.TableName === stack.env.CONTACTS_TABLE)!;
    const byAccount = contactsTable.create.GlobalSecondaryIndexes?.find((g) =>
      g.KeySchema?.some((k) => k.KeyType === 'HASH' && k.AttributeName === 'accountId'),
    );
    const offerLogTable = def.tables.find((t) => t.create.TableName === stack.env.OFFER_LOG_TABLE)!;

    /** Sizes of what the contact has stored so far: its contact item, its account item, its offer-log entries. */
    async function itemBytes(accountId: string): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      const acc = await raw.send(
        new GetItemCommand({ TableName: stack.env.ACCOUNTS_TABLE, Key: { accountId: { S: accountId } } }),
      );
      if (acc.Item) out[idOfEnv('ACCOUNTS_TABLE')] = itemSize(acc.Item);
      if (!byAccount) return out;
      const keys = await raw.send(
        new QueryCommand({
          TableName: stack.env.CONTACTS_TABLE,
          IndexName: byAccount.IndexName,
          KeyConditionExpression: 'accountId = :a',
          ExpressionAttributeValues: { ':a': { S: accountId } },
        }),
      );
      const hash = contactsTable.create.KeySchema!.find((k) => k.KeyType === 'HASH')!.AttributeName!;
      const key = keys.Items?.[0]?.[hash];
      if (!key) return out;
      const c = await raw.send(
        new GetItemCommand({ TableName: stack.env.CONTACTS_TABLE, Key: { [hash]: key } }),
      );
      if (c.Item) out[idOfEnv('CONTACTS_TABLE')] = itemSize(c.Item);
      const logHash = offerLogTable.create.KeySchema!.find((k) => k.KeyType === 'HASH')!.AttributeName!;
      const log = await raw.send(
        new QueryCommand({
          TableName: stack.env.OFFER_LOG_TABLE,
          KeyConditionExpression: `${logHash} = :c`,
          ExpressionAttributeValues: { ':c': key },
        }),
      );
      out[idOfEnv('OFFER_LOG_TABLE')] = (log.Items ?? []).reduce((n, i) => n + itemSize(i), 0);
      out[`${idOfEnv('OFFER_LOG_TABLE')} entries`] = log.Items?.length ?? 0;
      return out;
    }

    /** Runs one turn with everything it causes recorded; `call` returns what the channel answered. */
    type RawTurn = TurnMeasurement & { raw: OpenTurn['raw'] };
    async function measureTurn<T>(
      turns: RawTurn[] | undefined,
      step: string,
      channelEntry: string,
      accountId: string,
      call: () => Promise<{ answer: T; ms: number; http?: TurnMeasurement['http'] }>,
    ): Promise<T> {
      const t: NonNullable<typeof turn> = {
        step,
        channelEntry,
        channelMs: 0,
        invocations: [],
        runs: [],
        dynamo: [],
        raw: [],
        itemBytes: {},
      };
      turn = t;
      let r: Awaited<ReturnType<typeof call>>;
      try {
        r = await als.run({ fn: channelEntry }, call);
      } finally {
        turn = undefined;
      }
      if (turns) {
        const { channelEntry: _c, ...m } = t;
        turns.push({
          ...m,
          logs: [],
          channelMs: r.ms,
          ...(r.http ? { http: r.http } : {}),
          itemBytes: await itemBytes(accountId),
        });
      }
      return r.answer;
    }
    const timed = async <T>(f: () => Promise<T>) => {
      const t0 = performance.now();
      const answer = await f();
      return { answer, ms: performance.now() - t0 };
    };
    const expect = (ok: boolean, what: string, got: unknown) => {
      if (!ok)
        throw new Error(
          `The measured contact went off its path (${what}): ${JSON.stringify(got).slice(0, 400)}`,
        );
    };

    // voice: Connect's contact flow invoking connect-adapter, one event per step.
    const voiceHandler = connect.makeHandler({ runner: stack.runner });
    async function voice(account: (typeof clones)[number], turns?: RawTurn[]) {
      const contactId = randomUUID();
      const step = (name: string, params: Record<string, string>) =>
        measureTurn(turns, name, 'connect-adapter', account.accountId, () =>
          timed(() => voiceHandler(connectEvent(contactId, account.phone, params))),
        );
      const s = await step('start', { step: 'start', callType: 'CLOSE_ACCOUNT' });
      expect(s.stage === 'VERIFY', 'start → VERIFY', s);
      const v = await step('verify', { step: 'verify', last4, zip });
      expect(v.stage === 'OFFER', 'verify → OFFER', v);
      const o = await step('offers', { step: 'offers' });
      expect(!!o.offer1Id, 'offers', o);
      const d = await step('decline', { step: 'answer', offerId: o.offer1Id!, digit: '2' });
      expect(d.stage === 'OFFER' || d.stage === 'CROSS_SELL', 'decline → next offer', d);
    }

    // chat: the Lex bot's code hook, lex-adapter, one event per message.
    const chatHandler = lex.makeHandler({ runner: stack.runner });
    type LexAnswer = Awaited<ReturnType<typeof chatHandler>>;
    const lexEvent = (
      sessionId: string,
      prev: LexAnswer | undefined,
      slots: Record<string, string>,
      confirmationState = 'None',
    ) => ({
      ...lexFixture,
      sessionId,
      sessionState: {
        sessionAttributes: prev?.sessionState.sessionAttributes ?? {},
        activeContexts: [],
        intent: {
          name: 'CloseAccount',
          slots: Object.fromEntries(
            Object.entries(slots).map(([k, v]) => [
              k,
              { value: { interpretedValue: v, originalValue: v, resolvedValues: [v] } },
            ]),
          ),
          state: 'InProgress',
          confirmationState,
        },
      },
    });
    async function chat(account: (typeof clones)[number], turns?: RawTurn[]) {
      const sid = `cost-${randomUUID()}`;
      const step = (name: string, event: unknown) =>
        measureTurn(turns, name, 'lex-adapter', account.accountId, () => timed(() => chatHandler(event)));
      const factors = { phone: account.phone, last4, zip };
      let r = await step('start (number)', lexEvent(sid, undefined, { phone: account.phone }));
      expect(
        r.sessionState.dialogAction.slotToElicit === 'last4',
        'number → ask for factors',
        r.sessionState,
      );
      r = await step('verify (factors) + offers', lexEvent(sid, r, factors));
      expect(r.sessionState.dialogAction.type === 'ConfirmIntent', 'factors → an offer', r.sessionState);
      r = await step('decline', lexEvent(sid, r, factors, 'Denied'));
      expect(r.sessionState.dialogAction.type === 'ConfirmIntent', 'decline → next offer', r.sessionState);
      r = await step('accept', lexEvent(sid, r, factors, 'Confirmed'));
      expect(r.sessionState.dialogAction.type === 'Close', 'accept → close', r.sessionState);
    }

    // agent: the REST API over HTTP, with an agent's token.
    const token = await stack.issuer.sign({ roles: ['agent'], user: 'cost-desk' });
    async function rest(
      method: string,
      path: string,
      resource: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) {
      const text = body === undefined ? undefined : JSON.stringify(body);
      const t0 = performance.now();
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(text ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(text ? { body: text } : {}),
      });
      const answer = await res.text();
      const ms = performance.now() - t0;
      return {
        answer: { status: res.status, json: answer ? (JSON.parse(answer) as Record<string, any>) : {} },
        ms,
        http: {
          method,
          resource,
          status: res.status,
          requestBytes: text ? Buffer.byteLength(text) : 0,
          responseBytes: Buffer.byteLength(answer),
        },
      };
    }
    async function agent(account: (typeof clones)[number], turns?: RawTurn[]) {
      const step = (name: string, f: () => ReturnType<typeof rest>) =>
        measureTurn(turns, name, 'http-api', account.accountId, f);
      const s = await step('start', () =>
        rest('POST', '/v1/contacts', '/v1/contacts', {
          channel: 'agent',
          callType: 'CLOSE_ACCOUNT',
          callerPhone: account.phone,
        }),
      );
      expect(s.status === 201, 'start → 201', s);
      const id = s.json.contactId as string;
      const v = await step('verify', () =>
        rest('POST', `/v1/contacts/${id}/verification`, '/v1/contacts/{contactId}/verification', {
          last4,
          zip,
        }),
      );
      expect(v.status === 200 && v.json.stage === 'OFFER', 'verify → OFFER', v);
      const o = await step('offers', () =>
        rest('GET', `/v1/contacts/${id}/offers`, '/v1/contacts/{contactId}/offers'),
      );
      expect(o.status === 200 && o.json.offers?.length > 0, 'offers', o);
      const d = await step('decline', () =>
        rest(
          'POST',
          `/v1/contacts/${id}/responses`,
          '/v1/contacts/{contactId}/responses',
          { offerId: o.json.offers[0].offerId, response: 'DECLINED' },
          { 'idempotency-key': `cost-${randomUUID()}` },
        ),
      );
      expect(d.status === 200, 'decline → 200', d);
    }

    const channels = [
      {
        channel: 'agent' as const,
        entry: 'http-api',
        run: agent,
        label: 'agent desktop → REST API → http-api',
      },
      { channel: 'chat' as const, entry: 'lex-adapter', run: chat, label: 'Lex V2 → lex-adapter' },
      {
        channel: 'voice' as const,
        entry: 'connect-adapter',
        run: voice,
        label: 'Amazon Connect → connect-adapter',
      },
    ];
    // Whether each channel function puts its own Lambda context on its lines (Powertools' injectLambdaContext):
    // one request it refuses before any run, so the line it writes shows it.
    const probes: RawTurn[] = [];
    await measureTurn(probes, 'probe', 'http-api', clones[0]!.accountId, () =>
      rest('POST', '/v1/contacts', '/v1/contacts', {}),
    );
    await measureTurn(probes, 'probe', 'connect-adapter', clones[0]!.accountId, () =>
      timed(() => voiceHandler({})),
    );
    await measureTurn(probes, 'probe', 'lex-adapter', clones[0]!.accountId, () =>
      timed(() => chatHandler({})),
    );
    const injects = new Set(
      probes.flatMap((t) =>
        t.raw.filter((r) => r.line.includes(`"function_name":"${r.entry}"`)).map((r) => r.entry),
      ),
    );

    say('Warming up: one contact per channel (modules loaded, configuration cached)…');
    for (const [i, c] of channels.entries()) await c.run(clones[i]!);
    const contacts: ContactMeasurement[] = [];
    for (const [i, c] of channels.entries()) {
      await sleep(COUNTER_CACHE_MS + 200);
      say(`Measuring one ${c.channel} contact…`);
      const raws: RawTurn[] = [];
      const account = clones[3 + i]!;
      await c.run(account, raws);
      // A task injects its context if any line of it carries its own name (each task's middy sets it first).
      for (const t of raws)
        for (const r of t.raw)
          if (r.line.includes(`"function_name":"${r.entry}"`) && r.entry !== c.entry) injects.add(r.entry);
      const turns: TurnMeasurement[] = raws.map(({ raw, ...t }) => ({
        ...t,
        logs: raw.map((r) => classify(r.line, r.entry, injects.has(r.entry))),
      }));
      contacts.push({
        channel: c.channel,
        contactTable: idOfEnv('CONTACTS_TABLE'),
        channelEntry: c.entry,
        stateMachine: def.stateMachine.logicalId,
        accountId: account.accountId,
        turns,
      });
    }
    restore();
    proto.run = run0;

    const bills = contacts.map((m) => bill(arch, m));
    const emf = new Set(
      contacts.flatMap((m) =>
        m.turns.flatMap((t) => t.logs.filter((l) => l.metrics > 0).map((l) => l.entry)),
      ),
    ).size;
    const trade = whatIfs(arch, contacts);
    const configItem = await raw
      .send(
        new GetItemCommand({
          TableName: stack.env.CATALOG_TABLE,
          Key: Object.fromEntries(Object.entries(CONFIG_KEY).map(([k, v]) => [k, { S: String(v) }])),
        }),
      )
      .catch(() => undefined);
    // The kill switch's pointer, read as a warm DecideTurn reads it (eventually consistent), with what it consumed.
    const pointerItem = await raw
      .send(
        new GetItemCommand({
          TableName: stack.env.CATALOG_TABLE,
          Key: Object.fromEntries(Object.entries(CONFIG_POINTER_KEY).map(([k, v]) => [k, { S: String(v) }])),
          ReturnConsumedCapacity: 'TOTAL',
        }),
      )
      .catch(() => undefined);
    // The funnel metrics' streams: a stage of each active strategy of the configuration the stack runs.
    const active = ((configItem?.Item?.config?.M?.strategies?.L ?? []) as { M?: Record<string, any> }[])
      .map((x) => x.M ?? {})
      .filter((x) => x.active?.BOOL === true);
    const fixed = fixedMonthly(arch, emf, PRICES, {
      active: active.length,
      stages: active.reduce((n, x) => n + ((x.stages?.L as unknown[] | undefined)?.length ?? 0), 0),
    });
    const pointer = pointerItem?.Item
      ? pointerCost(itemSize(pointerItem.Item), pointerItem.ConsumedCapacity?.CapacityUnits ?? 0)
      : undefined;
    // The alternative: the whole configuration item every period (eventually consistent: half a unit per 4 KB).
    if (pointer && configItem?.Item)
      pointer.wholeItemUsdPerContainerMonth =
        pointer.readsPerMonth * 0.5 * Math.ceil(itemSize(configItem.Item) / 4096) * PRICES.ddbReadUnit.usd;

    const generated = new Date().toISOString();
    mkdirSync(resolve(ROOT, 'test/bench/results'), { recursive: true });
    writeFileSync(
      RESULTS,
      `${JSON.stringify(
        {
          generated,
          node: process.version,
          pricesRead: PRICES_READ,
          prices: PRICES,
          architecture: arch,
          measured: contacts,
          bills,
          whatIfs: trade,
          fixedMonthly: fixed,
          ...(configItem?.Item ? { configItemBytes: itemSize(configItem.Item) } : {}),
          ...(pointer ? { configPointer: pointer } : {}),
        },
        null,
        1,
      )}\n`,
    );

    // The report.
    const out: string[] = [];
    const p = (s = '') => out.push(s);
    p('# Retention Desk: the bill of one million four-turn contacts');
    p();
    p(
      `Run ${generated}, Node ${process.version}. Template synthesized now; one contact per channel measured on the local stack`,
    );
    p('(DynamoDB Local, state machine in-process). Figures in test/bench/results/cost.json.');
    p();
    p(`## Unit prices assumed (${PRICES_READ})`);
    p();
    p(
      renderTable(
        ['price', 'USD', 'unit', 'source'],
        Object.entries(PRICES).map(([k, v]) => [k, shownPrice(v), v.unit, v.source]),
        ['l', 'r', 'l', 'l'],
      ),
    );
    p();
    p('## From the template');
    p();
    const used = new Set(
      contacts.flatMap((m) => [m.channelEntry, ...m.turns.flatMap((t) => t.invocations.map((i) => i.entry))]),
    );
    for (const f of arch.functions.filter((x) => x.entry && used.has(x.entry)))
      p(
        `- function ${f.entry}: ${f.memoryMB} MB ${f.arch}, tracing ${f.tracing ? 'active' : 'off'}, ${f.logFormat} logs, own lines from ${f.appLogLevel}${f.sampleRate ? ` (DEBUG sampled at ${f.sampleRate})` : ''}, ${f.logClass} log class`,
      );
    for (const s of arch.stateMachines)
      p(
        `- state machine ${s.logicalId}: ${s.type}, logging ${s.logLevel}${s.includeExecutionData ? ' with' : ' without'} execution data, tracing ${s.tracing ? 'on' : 'off'}, definition ${s.definitionBytes.toLocaleString('en-US')} B, tasks: ${Object.keys(s.resources).join(', ')}`,
      );
    for (const a of arch.apis)
      p(
        `- API ${a.logicalId}: ${a.kind}, authorizer ${a.authorizers.join(', ') || 'none'}, ${a.methods} methods → ${a.targets.join(', ')}, execution log ${a.executionLogLevel}, access log ${a.accessLogFormat ? 'on' : 'off'}, detailed metrics ${a.detailedMetrics ? 'on' : 'off'}, tracing ${a.tracing ? 'on' : 'off'}`,
      );
    p(
      `- tables: ${arch.tables.map((t) => `${t.logicalId} ${t.billingMode} ${t.tableClass}${t.indexes.length ? ` (+${t.indexes.join(', ')})` : ''}`).join('; ')}`,
    );
    p(
      `- X-Ray: ${arch.xray.rule}, fixed rate ${arch.xray.fixedRate}, reservoir ${arch.xray.reservoirPerSecond}/s`,
    );
    p();
    p('## Measured and estimated');
    p();
    for (const n of METHOD) p(n);
    const first = contacts[0]!;
    const last = first.turns.at(-1)!.itemBytes;
    p(
      `- Item sizes after the agent contact (DynamoDB's rules): ${Object.entries(last)
        .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}${k.endsWith('entries') ? '' : ' B'}`)
        .join(', ')}.`,
    );
    p(
      `  Contact item by turn: ${first.turns.map((t) => `${t.step} ${(t.itemBytes[idOfEnv('CONTACTS_TABLE')] ?? 0).toLocaleString('en-US')} B`).join(', ')}.`,
    );
    if (configItem?.Item)
      p(
        `- The active configuration item: ${itemSize(configItem.Item).toLocaleString('en-US')} B (read once per container every 30 s).`,
      );
    if (pointer)
      p(
        `- The kill switch's pointer item: ${pointer.bytes} B, ${pointer.units} read unit a read (measured), read by a warm DecideTurn container at most every ${POINTER_PERIOD_S} s between its configuration reads: ${pointer.readsPerMonth.toLocaleString('en-US')} reads, $${pointer.usdPerContainerMonth.toFixed(3)} per container-month (10 warm containers: ${usd(10 * pointer.usdPerContainerMonth)}), nothing per turn; the whole configuration item that often would be ${usd(pointer.wholeItemUsdPerContainerMonth)}.`,
      );
    p();
    p('## Fixed, per month whatever the volume (not in the totals)');
    p();
    p(
      renderTable(
        ['what', 'quantity', 'unit price', '$ per month', 'detail'],
        fixed.map((l) => [
          l.what,
          l.quantity.toLocaleString('en-US'),
          l.price,
          usd(l.usdPerMillion),
          l.detail,
        ]),
        ['l', 'r', 'l', 'r', 'l'],
      ),
    );
    p();
    p(
      `At one million contacts a month these add ${usd(fixed.reduce((n, l) => n + l.usdPerMillion, 0))} per million contacts.`,
    );
    p();
    p('## Trade-offs: the same contacts billed with one thing changed ($ per million contacts)');
    p();
    p(
      renderTable(
        ['change', ...contacts.map((m) => m.channel)],
        trade.map((w) => [
          w.label,
          ...contacts.map((m) => {
            const d = w.delta[m.channel] ?? 0;
            return `${d > 0 ? '+' : d < 0 ? '−' : ''}${usd(Math.abs(d))}`;
          }),
        ]),
        ['l', 'r', 'r', 'r'],
      ),
    );
    for (const [i, c] of channels.entries()) {
      const b = bills[i]!;
      const m = contacts[i]!;
      p();
      p(`## ${c.channel}: ${c.label}, ${b.turns} turns (${m.turns.map((t) => t.step).join(', ')})`);
      p();
      const perTurn = m.turns.map(
        (t) =>
          `${t.step}: ${t.invocations.length + 1} invocations, ${t.runs.length} run${t.runs.length === 1 ? '' : 's'} (${t.runs.map((r) => r.states.length).join('+')} states), ${t.dynamo.length} DynamoDB requests (${+t.dynamo.reduce((n, d) => n + d.units.reduce((a, u) => a + u.read, 0), 0).toFixed(1)} RRU, ${+t.dynamo.reduce((n, d) => n + d.units.reduce((a, u) => a + u.write, 0), 0).toFixed(1)} WRU), ${t.logs.length} lines written`,
      );
      for (const l of perTurn) p(`- ${l}`);
      p();
      p(renderBill(b));
      for (const n of b.notes) p(`- ${n}`);
      const aim = AIMS[c.channel];
      const verdict = aim
        ? `, aim ≤ ${usd(aim)}: ${b.total <= aim ? 'met' : `over by ${usd(b.total - aim)}`}`
        : '';
      p();
      if (c.channel !== 'voice')
        p(`${c.channel} total: ${usd(b.total)} per million contacts (floor ${usd(b.floor.total)}${verdict})`);
      else {
        p(`voice floor: ${usd(b.floor.total)} per million contacts${verdict}`);
        p(`total: ${usd(b.total)} per million contacts`);
      }
    }
    realOut(`${out.join('\n')}\n`);
  } finally {
    restore();
    raw.destroy();
    await stack.stop();
  }
}

try {
  await main();
} finally {
  rmSync(TMP, { recursive: true, force: true });
}
