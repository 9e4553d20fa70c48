import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type * as z from 'zod';
import type { Reject } from '../../shared/application/import';
import { parseLines } from '../../shared/application/import-file';
import { zodErrors } from '../../shared/application/validation';
import {
  type ChurnScorer,
  type ChurnSubject,
  churnFeatures,
  compileChurnModel,
  roundRisk,
} from '../../shared/domain/churn';
import {
  type ChurnExample,
  type ChurnTrainingParams,
  DEFAULT_CHURN_TRAINING,
  train,
} from '../../shared/domain/churn-training';
import { type ChurnModel, ChurnModelSchema } from '../../shared/schemas/churn';
import {
  type ChurnScoringRecord,
  ChurnScoringRecordSchema,
  ChurnTrainingRecordSchema,
} from '../../shared/schemas/churn-training';
import { DecisionConfigSchema } from '../../shared/schemas/config';
import { generateChurnData } from './churn-data';

/**
 * `npm run churn -- generate | train | score`: the churn model offline. `generate` writes labelled
 * accounts with a known hidden truth (./churn-data.ts); `train` reads a labelled JSON Lines file,
 * trains gradient-boosted trees (shared/domain/churn-training.ts) and writes the model document
 * with its hold-out figures; `score` prints each account's risk from a model document. Files are
 * read line by line; a bad line is reported with its line, field path and reason, and the rest go on.
 */

const USAGE = `usage: npm run churn -- generate N [--out FILE] [--seed S]
       npm run churn -- train FILE [--out MODEL] [--depth D] [--learning-rate R] [--trees T]
                                   [--subsample S] [--seed S] [--window-months M] [--chart SVG]
       npm run churn -- score FILE --model MODEL
       npm run churn -- config MODEL --base CONFIG --version V [--warn-at P] [--out FILE]

  npm run churn -- COMMAND --help  for the options of a command`;

const HELP = {
  generate: `usage: npm run churn -- generate N [--out FILE] [--seed S]

  Writes N labelled card accounts (JSON Lines, the training format) whose closure follows a known
  hidden function of their behaviour (infra/local/churn-data.ts): about 16 % closed.

  N               accounts to write (1 to 1,000,000)
  --out FILE      where to write them (default: standard output)
  --seed S        a whole number (default 7): the same seed writes the same file`,
  train: `usage: npm run churn -- train FILE [--out MODEL] [options]

  Trains the churn model on FILE (JSON Lines: an import record plus "label": {"closed": true|false}
  per line; name, phones and verification may be there and are dropped unread). 20 % of each class
  is held out (chosen by a hash of accountId) for the figures printed; the model is written only if
  it passes the model schema (its hold-out AUC at least the floor).

  --out MODEL           where to write the model document (default: ./churn-model.json)
  --depth D             depth of each tree, 1 to 10 (default ${DEFAULT_CHURN_TRAINING.maxDepth})
  --learning-rate R     shrinkage of each tree, above 0 and at most 1 (default ${DEFAULT_CHURN_TRAINING.learningRate})
  --trees T             trees at most, 1 to 400 (default ${DEFAULT_CHURN_TRAINING.maxTrees}; early stopping usually ends sooner)
  --subsample S         share of rows per tree, above 0 and at most 1 (default ${DEFAULT_CHURN_TRAINING.subsample})
  --seed S              a whole number (default ${DEFAULT_CHURN_TRAINING.seed}): the same file and options give the same model
  --window-months M     the months after asOf in which a closure was counted, 1 to 36 (default ${DEFAULT_CHURN_TRAINING.labelWindowMonths})
  --chart FILE          also write the hold-out's calibration chart (SVG) to FILE`,
  score: `usage: npm run churn -- score FILE --model MODEL

  Prints {"accountId": "…", "churnRisk": 0.1234} per valid line of FILE (import records; a label is
  allowed and ignored), in input order, on standard output. Bad lines and a summary go to standard error.

  --model MODEL   the model document (checked against the model schema first)`,
  config: `usage: npm run churn -- config MODEL --base CONFIG --version V [--warn-at P] [--out FILE]

  Writes a new configuration version: CONFIG (a configuration document, e.g. data/default-config.json,
  or the "config" of GET /v1/admin/config) with MODEL as its churn model, checked against the
  configuration schema. Create it with POST /v1/admin/config/versions, have it approved and activate
  it like any version: the activation's backfill scores every account with the model.

  --base CONFIG   the configuration to start from
  --version V     the new version's name (1 to 40 of A-Z a-z 0-9 . _ -)
  --warn-at P     the early-warning threshold, 0.01 to 0.99 (default 0.5): a score crossing it upwards
                  raises the Churn Risk Raised event
  --out FILE      where to write it (default: standard output)`,
} as const;
type Command = keyof typeof HELP;

/** The first `n` issues of a failed parse, one `  path: message` line each. */
const issueLines = (error: z.ZodError, n: number) =>
  zodErrors(error, '')
    .slice(0, n)
    .map((e) => `  ${e.path}: ${e.message}`)
    .join('\n');

/** A command-line mistake: the message names what was wrong and what is allowed. */
class UsageError extends Error {
  override name = 'UsageError';
}

/** Rejects shown at most (the counts are always complete). */
const SHOWN_REJECTS = 20;

function number(
  option: string,
  raw: string | undefined,
  dflt: number,
  { min, max, int }: { min: number; max: number; int?: boolean },
  exclusiveMin = false,
): number {
  if (raw === undefined) return dflt;
  const x = Number(raw);
  const ok =
    raw.trim() !== '' &&
    Number.isFinite(x) &&
    (!int || Number.isInteger(x)) &&
    (exclusiveMin ? x > min : x >= min) &&
    x <= max;
  if (!ok)
    throw new UsageError(
      `${option} must be ${int ? 'a whole number' : 'a number'} ${exclusiveMin ? 'above' : 'from'} ${min} ${exclusiveMin ? 'and at most' : 'to'} ${max} (got '${raw}')`,
    );
  return x;
}

/** parseArgs with this command's options; an unknown option names the ones there are. */
function parse<O extends Record<string, { type: 'string' | 'boolean' }>>(
  command: Command,
  args: string[],
  options: O,
) {
  try {
    return parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    const names = [...Object.keys(options), 'help'].map((o) => `--${o}`).join(', ');
    throw new UsageError(
      `${(e as Error).message.split('.')[0]}; the options of ${command} are ${names}\n\n${HELP[command]}`,
    );
  }
}

interface ReadResult<T> {
  read: number;
  rejected: number;
  rejects: Reject[];
  /** The valid records, each with its line. */
  records: AsyncGenerator<{ line: number; record: T }>;
}

/**
 * The valid records of a JSON Lines file, streamed, each validated on its own; rejects are
 * collected (up to 5 issues per line, as the import reports them) and counted.
 */
function readRecords<S extends z.ZodType>(file: string, schema: S): ReadResult<z.output<S>> {
  const counts: Omit<ReadResult<z.output<S>>, 'records'> = { read: 0, rejected: 0, rejects: [] };
  async function* records() {
    const lines = createInterface({
      input: createReadStream(file, 'utf8'),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const parsed of parseLines(lines, 'jsonl')) {
      counts.read++;
      if (parsed.reject) {
        counts.rejected++;
        if (counts.rejects.length < 1000) counts.rejects.push(parsed.reject);
        continue;
      }
      const r = schema.safeParse(parsed.record);
      if (r.success) yield { line: parsed.line, record: r.data as z.output<S> };
      else {
        counts.rejected++;
        if (counts.rejects.length < 1000)
          for (const e of zodErrors(r.error, '').slice(0, 5))
            counts.rejects.push({ line: parsed.line, ...e });
      }
    }
  }
  // One object: the counts the generator updates are the ones the caller reads once it is done.
  return Object.assign(counts, { records: records() });
}

const rejectLines = (r: { rejected: number; rejects: Reject[] }) => {
  const shown = r.rejects.slice(0, SHOWN_REJECTS).map((x) => `  line ${x.line}: ${x.path}: ${x.message}`);
  if (r.rejects.length > SHOWN_REJECTS) shown.push(`  … (the first ${SHOWN_REJECTS} shown)`);
  return shown;
};

/**
 * Microseconds to score one account from its record (features, then every tree), on this core:
 * the sample scored over and over for at least 300 ms.
 */
export function microsPerAccount(
  scorer: ChurnScorer,
  sample: ReadonlyArray<{ s: ChurnSubject; asOf: string }>,
): number {
  if (sample.length === 0) return Number.NaN;
  let sink = 0;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 300)
    for (const { s, asOf } of sample) {
      sink += scorer.score(s, asOf);
      n++;
    }
  const us = ((performance.now() - t0) * 1000) / n;
  return sink >= 0 ? us : Number.NaN; // `sink` read so the loop is not optimised away
}

const fmt = (x: number) => x.toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** The calibration table as text: per decile, a bar of the mean predicted risk and one of the observed rate. */
export function calibrationChart(bins: ChurnModel['validation']['calibration'], width = 40): string[] {
  const bar = (x: number, ch: string) => ch.repeat(Math.round(x * width)) || '▏';
  const lines = ['decile  accounts  predicted  observed'];
  for (const b of bins) {
    lines.push(
      `${String(b.decile).padStart(6)}  ${String(b.accounts).padStart(8)}  ${b.meanPredicted.toFixed(4).padStart(9)}  ${b.observedRate.toFixed(4).padStart(8)}  predicted ${bar(b.meanPredicted, '█')}`,
      `${' '.repeat(39)}observed  ${bar(b.observedRate, '░')}`,
    );
  }
  return lines;
}

async function trainCommand(args: string[]) {
  const { values, positionals } = parse('train', args, {
    out: { type: 'string' },
    depth: { type: 'string' },
    'learning-rate': { type: 'string' },
    trees: { type: 'string' },
    subsample: { type: 'string' },
    seed: { type: 'string' },
    'window-months': { type: 'string' },
    chart: { type: 'string' },
  });
  if (values.help) return console.log(HELP.train);
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(HELP.train);
  const d = DEFAULT_CHURN_TRAINING;
  const params: Partial<ChurnTrainingParams> = {
    maxDepth: number('--depth', values.depth, d.maxDepth, { min: 1, max: 10, int: true }),
    learningRate: number(
      '--learning-rate',
      values['learning-rate'],
      d.learningRate,
      { min: 0, max: 1 },
      true,
    ),
    maxTrees: number('--trees', values.trees, d.maxTrees, { min: 1, max: 400, int: true }),
    subsample: number('--subsample', values.subsample, d.subsample, { min: 0, max: 1 }, true),
    seed: number('--seed', values.seed, d.seed, { min: 0, max: 2 ** 31, int: true }),
    labelWindowMonths: number('--window-months', values['window-months'], d.labelWindowMonths, {
      min: 1,
      max: 36,
      int: true,
    }),
  };
  const out = values.out ?? 'churn-model.json';

  const input = readRecords(file, ChurnTrainingRecordSchema);
  const rows: ChurnExample[] = [];
  const labels: boolean[] = [];
  const sample: Array<{ s: ChurnSubject; asOf: string }> = [];
  for await (const { record } of input.records) {
    rows.push({ accountId: record.accountId, features: churnFeatures(record, record.asOf) });
    labels.push(record.label.closed);
    if (sample.length < 2000) sample.push({ s: record, asOf: record.asOf });
  }
  const closed = labels.filter(Boolean).length;
  console.log(
    `read ${fmt(input.read)} lines: ${fmt(rows.length)} accounts used, ${fmt(input.rejected)} rejected`,
  );
  for (const l of rejectLines(input)) console.log(l);
  console.log(
    `closed: ${pct(rows.length ? closed / rows.length : 0)} (${fmt(closed)} of ${fmt(rows.length)})`,
  );

  const t0 = performance.now();
  const model = train(rows, labels, params, {
    createdAt: new Date().toISOString(),
    rejectedLines: input.rejected,
  });
  const secs = (performance.now() - t0) / 1000;
  const v = model.validation;
  console.log(
    `trained in ${secs.toFixed(1)} s on ${fmt(model.training.accounts)} accounts (${fmt(model.training.closed)} closed); ${model.trees.length} trees (at most ${model.training.params.maxTrees}, early stopping on a slice of the training part)`,
  );
  console.log(
    `hold-out (${fmt(v.accounts)} accounts, ${fmt(v.closed)} closed, never trained on): AUC ${v.auc.toFixed(4)}, log loss ${v.logLoss.toFixed(4)}, Brier ${v.brier.toFixed(4)}`,
  );
  console.log('calibration by decile of predicted risk (hold-out):');
  for (const l of calibrationChart(v.calibration)) console.log(`  ${l}`);

  const checked = ChurnModelSchema.safeParse(model);
  if (!checked.success)
    throw new Error(`the model fails the model schema, not written:\n${issueLines(checked.error, 5)}`);
  const text = `${JSON.stringify(model)}\n`;
  writeFileSync(out, text);
  const us = microsPerAccount(compileChurnModel(model), sample);
  console.log(`model ${model.modelId}: ${fmt(Buffer.byteLength(text))} bytes, written to ${out}`);
  console.log(
    `scoring: ${us.toFixed(2)} µs per account (features and ${model.trees.length} trees, one core)`,
  );
  if (values.chart) {
    writeFileSync(values.chart, calibrationSvg(model));
    console.log(`calibration chart written to ${values.chart}`);
  }
}

/**
 * The hold-out's reliability diagram as SVG: each decile's observed closure rate against its mean
 * predicted risk, on the diagonal when the model is calibrated.
 */
export function calibrationSvg(m: ChurnModel): string {
  const W = 420;
  const pad = 48;
  const side = W - 2 * pad;
  const x = (p: number) => (pad + p * side).toFixed(1);
  const y = (p: number) => (W - pad - p * side).toFixed(1);
  const v = m.validation;
  const pts = v.calibration;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${W + 20}" viewBox="0 0 ${W} ${W + 20}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad}" y="18" font-size="13">${esc(`Calibration on the hold-out: ${m.modelId}`)}</text>`,
    `<text x="${pad}" y="34">${esc(`${v.accounts.toLocaleString('en-US')} accounts, ${v.closed.toLocaleString('en-US')} closed; AUC ${v.auc.toFixed(4)}, Brier ${v.brier.toFixed(4)}`)}</text>`,
    ...ticks.flatMap((t) => [
      `<line x1="${x(t)}" y1="${y(0)}" x2="${x(t)}" y2="${y(1)}" stroke="#eee"/>`,
      `<line x1="${x(0)}" y1="${y(t)}" x2="${x(1)}" y2="${y(t)}" stroke="#eee"/>`,
      `<text x="${x(t)}" y="${Number(y(0)) + 14}" text-anchor="middle">${t}</text>`,
      `<text x="${pad - 6}" y="${Number(y(t)) + 4}" text-anchor="end">${t}</text>`,
    ]),
    `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#999" stroke-dasharray="4 3"/>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${pts.map((b) => `${x(b.meanPredicted)},${y(b.observedRate)}`).join(' ')}"/>`,
    ...pts.map(
      (b) =>
        `<circle cx="${x(b.meanPredicted)}" cy="${y(b.observedRate)}" r="4" fill="#1f77b4"><title>decile ${b.decile}: predicted ${b.meanPredicted.toFixed(4)}, observed ${b.observedRate.toFixed(4)} (${b.accounts} accounts)</title></circle>`,
    ),
    `<text x="${W / 2}" y="${W - 12}" text-anchor="middle">mean predicted risk (decile)</text>`,
    `<text x="14" y="${W / 2}" text-anchor="middle" transform="rotate(-90 14 ${W / 2})">observed closure rate</text>`,
    `<text x="${x(0.05)}" y="${y(0.9)}" fill="#999">dashed: perfectly calibrated</text>`,
    '</svg>',
    '',
  ].join('\n');
}

/** The model document at `file`, checked: a bad one is an error naming its fields. */
export function loadModel(file: string): ChurnModel {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a model document (${(e as Error).message})`);
  }
  const m = ChurnModelSchema.safeParse(raw);
  if (!m.success) throw new Error(`${file} is not a valid churn model:\n${issueLines(m.error, 10)}`);
  return m.data;
}

async function scoreCommand(args: string[]) {
  const { values, positionals } = parse('score', args, { model: { type: 'string' } });
  if (values.help) return console.log(HELP.score);
  const file = positionals[0];
  if (!file || positionals.length > 1 || !values.model) throw new UsageError(HELP.score);
  const scorer = compileChurnModel(loadModel(values.model));
  const input = readRecords(file, ChurnScoringRecordSchema);
  let scored = 0;
  let busy = 0;
  let batch: ChurnScoringRecord[] = [];
  let shown = 0;
  const showRejects = () => {
    for (; shown < Math.min(input.rejects.length, SHOWN_REJECTS); shown++) {
      const x = input.rejects[shown]!;
      process.stderr.write(`line ${x.line}: ${x.path}: ${x.message}\n`);
    }
  };
  // Scored a thousand at a time, timed per batch (a clock read per account would be most of the time).
  const flush = async () => {
    if (batch.length === 0) return;
    const risks = new Float64Array(batch.length);
    const t = performance.now();
    for (let k = 0; k < batch.length; k++) risks[k] = scorer.score(batch[k]!, batch[k]!.asOf);
    busy += performance.now() - t;
    const text = batch.map(
      (r, k) => `{"accountId":${JSON.stringify(r.accountId)},"churnRisk":${roundRisk(risks[k]!).toFixed(4)}}`,
    );
    scored += batch.length;
    batch = [];
    // Rejects so far first, so they sit near their lines when both streams are a terminal.
    showRejects();
    if (!process.stdout.write(`${text.join('\n')}\n`))
      await new Promise<void>((r) => process.stdout.once('drain', () => r()));
  };
  for await (const { record } of input.records) {
    batch.push(record);
    if (batch.length >= 1000) await flush();
  }
  await flush();
  showRejects();
  if (input.rejects.length > SHOWN_REJECTS) process.stderr.write(`… (the first ${SHOWN_REJECTS} shown)\n`);
  process.stderr.write(
    `scored ${fmt(scored)}, rejected ${fmt(input.rejected)} with model ${scorer.modelId}; ${scored ? ((busy * 1000) / scored).toFixed(2) : '–'} µs per account (features and trees)\n`,
  );
}

async function configCommand(args: string[]) {
  const { values, positionals } = parse('config', args, {
    base: { type: 'string' },
    version: { type: 'string' },
    'warn-at': { type: 'string' },
    out: { type: 'string' },
  });
  if (values.help) return console.log(HELP.config);
  const file = positionals[0];
  if (!file || positionals.length > 1 || !values.base || !values.version) throw new UsageError(HELP.config);
  const model = loadModel(file);
  const warnAt = number('--warn-at', values['warn-at'], 0.5, { min: 0.01, max: 0.99 });
  let base: unknown;
  try {
    base = JSON.parse(readFileSync(values.base, 'utf8'));
  } catch (e) {
    throw new UsageError(`--base ${values.base}: not a JSON file (${(e as Error).message})`);
  }
  // A GET /v1/admin/config answer holds the configuration under "config".
  const config =
    base && typeof base === 'object' && 'config' in base ? (base as { config: unknown }).config : base;
  const next = { ...(config as object), version: values.version, churn: { model, warnAt } };
  const r = DecisionConfigSchema.safeParse(next);
  if (!r.success) throw new UsageError(`the configuration is not valid:\n${issueLines(r.error, 10)}`);
  const text = `${JSON.stringify(next)}\n`;
  if (values.out) {
    writeFileSync(values.out, text);
    console.error(
      `configuration ${values.version}: model ${model.modelId}, warning at ${warnAt}; ${fmt(Buffer.byteLength(text))} bytes, written to ${values.out}`,
    );
  } else process.stdout.write(text);
}

async function generateCommand(args: string[]) {
  const { values, positionals } = parse('generate', args, {
    out: { type: 'string' },
    seed: { type: 'string' },
  });
  if (values.help) return console.log(HELP.generate);
  if (positionals.length !== 1) throw new UsageError(HELP.generate);
  const n = number('N', positionals[0], 0, { min: 1, max: 1_000_000, int: true });
  const seed = number('--seed', values.seed, 7, { min: 0, max: 2 ** 31, int: true });
  const out = values.out ? createWriteStream(values.out) : process.stdout;
  let closed = 0;
  let chunk: string[] = [];
  const flush = async () => {
    if (chunk.length && !out.write(`${chunk.join('\n')}\n`))
      await new Promise<void>((r) => out.once('drain', () => r()));
    chunk = [];
  };
  for (const { record } of generateChurnData(n, seed)) {
    if (record.label.closed) closed++;
    chunk.push(JSON.stringify(record));
    if (chunk.length >= 1000) await flush();
  }
  await flush();
  if (out !== process.stdout)
    await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  process.stderr.write(
    `wrote ${fmt(n)} accounts (${pct(closed / n)} closed, seed ${seed}) to ${values.out ?? 'standard output'}\n`,
  );
}

export async function main(argv: string[]) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    console.log(USAGE);
    if (command === undefined) process.exitCode = 1;
    return;
  }
  const commands: Record<Command, (args: string[]) => Promise<void>> = {
    generate: generateCommand,
    train: trainCommand,
    score: scoreCommand,
    config: configCommand,
  };
  if (!(command in commands))
    throw new UsageError(`unknown command '${command}': choose generate, train, score or config\n\n${USAGE}`);
  await commands[command as Command](rest);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // A reader that stops early (`| head`) ends the output, not with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(0);
  });
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
}
