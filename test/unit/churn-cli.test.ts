import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileChurnModel, roundRisk } from '../../shared/domain/churn';
import { ChurnModelSchema } from '../../shared/schemas/churn';
import { ChurnScoringRecordSchema } from '../../shared/schemas/churn-training';
import { DecisionConfigSchema } from '../../shared/schemas/config';

const ROOT = resolve(import.meta.dirname, '../..');
const churn = (...args: string[]) =>
  spawnSync(
    process.execPath,
    [resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/churn-cli.ts', ...args],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );

let dir: string;
let data: string;
let lines: string[];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rd-churn-'));
  data = join(dir, 'accounts.jsonl');
  const gen = churn('generate', '2500', '--out', data, '--seed', '3');
  expect(gen.status, gen.stderr).toBe(0);
  expect(gen.stderr).toMatch(/^wrote 2,500 accounts \(1\d\.\d % closed, seed 3\)/);
  lines = readFileSync(data, 'utf8').trim().split('\n');
  // Bad lines among good ones: malformed JSON, a record without its product; and a record whose
  // identity fields are garbage, which training accepts (it never reads them).
  const garbage = {
    ...JSON.parse(lines[5]!),
    phones: 'call me maybe',
    verification: { last4: 'x' },
    name: 7,
  };
  const { product: _p, ...noProduct } = JSON.parse(lines[6]!);
  lines.splice(5, 2, JSON.stringify(garbage), '{"accountId": "CHN-9', JSON.stringify(noProduct), lines[6]!);
  writeFileSync(data, `${lines.join('\n')}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run churn -- train', () => {
  let run: ReturnType<typeof churn>;
  const model = () => join(dir, 'model.json');
  beforeAll(() => {
    run = churn('train', data, '--out', model());
  });

  it('reports each bad line with its line, path and reason, and trains on the rest', () => {
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('read 2,502 lines: 2,500 accounts used, 2 rejected');
    expect(run.stdout).toContain('  line 7: (line): malformed JSON (a truncated line?)');
    expect(run.stdout).toMatch(/ {2}line 8: product: Invalid input/);
  });

  it('prints the hold-out figures, the calibration by decile, the size and the scoring time', () => {
    expect(run.stdout).toMatch(
      /hold-out \(500 accounts, \d+ closed, never trained on\): AUC 0\.\d{4}, log loss/,
    );
    for (let d = 1; d <= 10; d++)
      expect(run.stdout).toMatch(new RegExp(`^ +${d} +50 +0\\.\\d{4} +[01]\\.\\d{4}  predicted`, 'm'));
    const size = readFileSync(model()).length;
    expect(run.stdout).toContain(`${size.toLocaleString('en-US')} bytes, written to ${model()}`);
    expect(run.stdout).toMatch(/scoring: \d+\.\d\d µs per account/);
  });

  it('config: a configuration version holding the model, checked by the configuration schema', () => {
    const out = join(dir, 'v.json');
    const r = churn(
      'config',
      model(),
      '--base',
      'data/default-config.json',
      '--version',
      '2026-12-02.churn',
      '--warn-at',
      '0.4',
      '--out',
      out,
    );
    expect(r.status, r.stderr).toBe(0);
    const v = DecisionConfigSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
    expect(v.version).toBe('2026-12-02.churn');
    expect(v.churn).toEqual({
      model: ChurnModelSchema.parse(JSON.parse(readFileSync(model(), 'utf8'))),
      warnAt: 0.4,
    });
    // The rest is the base configuration, unchanged.
    const base = JSON.parse(readFileSync('data/default-config.json', 'utf8'));
    expect({ ...v, version: base.version, churn: undefined }).toEqual({
      ...DecisionConfigSchema.parse(base),
      churn: undefined,
    });
    // A configuration the schema refuses is not written, and the field is named.
    const bad = churn('config', model(), '--base', 'data/default-config.json', '--version', 'a b');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/version: Invalid string/);
    const warn = churn(
      'config',
      model(),
      '--base',
      'data/default-config.json',
      '--version',
      'v2',
      '--warn-at',
      '1',
    );
    expect(warn.stderr).toMatch(/--warn-at must be a number from 0.01 to 0.99 \(got '1'\)/);
  });

  it('writes a valid document holding no account id, phone or factor', () => {
    const text = readFileSync(model(), 'utf8');
    expect(ChurnModelSchema.safeParse(JSON.parse(text)).success).toBe(true);
    expect(text).not.toMatch(/CHN-|\+1555|call me maybe|last4/);
    expect(JSON.parse(text).training.rejectedLines).toBe(2);
  });

  it('score: one line per valid record, in input order, 4 decimals, the scorer’s own risk', () => {
    const s = churn('score', data, '--model', model());
    expect(s.status, s.stderr).toBe(0);
    const doc = ChurnModelSchema.parse(JSON.parse(readFileSync(model(), 'utf8')));
    const scorer = compileChurnModel(doc);
    const expected = lines.flatMap((l) => {
      try {
        const r = ChurnScoringRecordSchema.safeParse(JSON.parse(l));
        return r.success
          ? [
              `{"accountId":"${r.data.accountId}","churnRisk":${roundRisk(scorer.score(r.data, r.data.asOf)).toFixed(4)}}`,
            ]
          : [];
      } catch {
        return [];
      }
    });
    const out = s.stdout.trim().split('\n');
    expect(out).toHaveLength(2500);
    expect(out).toEqual(expected);
    expect(out[0]).toMatch(/^\{"accountId":"CHN-000001","churnRisk":0\.\d{4}\}$/);
    expect(s.stderr).toContain('line 7: (line): malformed JSON');
    expect(s.stderr).toMatch(
      /scored 2,500, rejected 2 with model churn-\d{8}-[0-9a-f]{8}; [\d.]+ µs per account/,
    );
  });

  it('score refuses a bad model, naming the field', () => {
    const doc = JSON.parse(readFileSync(model(), 'utf8'));
    doc.validation.auc = 0.55;
    doc.features = doc.features.slice(1);
    const bad = join(dir, 'bad-model.json');
    writeFileSync(bad, JSON.stringify(doc));
    const s = churn('score', data, '--model', bad);
    expect(s.status).toBe(1);
    expect(s.stdout).toBe('');
    expect(s.stderr).toMatch(/is not a valid churn model:\n {2}features: must be the features/);
    expect(s.stderr).toContain('validation.auc: AUC on its own hold-out is below the floor 0.7');
  });
});

describe('npm run churn: refusals', () => {
  it('too few closed accounts: says how many it needs, exit 1, no model', () => {
    const few = join(dir, 'few.jsonl');
    writeFileSync(few, `${lines.slice(0, 200).join('\n')}\n`);
    const out = join(dir, 'few-model.json');
    const r = churn('train', few, '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /too few accounts to train: \d+ closed and \d+ open; at least 50 of each are needed/,
    );
    expect(() => readFileSync(out)).toThrow();
  });

  it.each([
    [
      ['train', 'x.jsonl', '--depht', '3'],
      /Unknown option '--depht'; the options of train are --out, --depth, /,
    ],
    [['train', 'x.jsonl', '--depth', 'deep'], /--depth must be a whole number from 1 to 10 \(got 'deep'\)/],
    [['generate', 'many'], /N must be a whole number from 1 to 1000000 \(got 'many'\)/],
    [['score', 'x.jsonl'], /usage: npm run churn -- score FILE --model MODEL/],
    [['fit', 'x.jsonl'], /unknown command 'fit': choose generate, train, score or config/],
    [
      ['config', 'm.json', '--base', 'c.json'],
      /usage: npm run churn -- config MODEL --base CONFIG --version V/,
    ],
  ])('%j is an error naming the choices', (args, message) => {
    const r = churn(...args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it.each(['generate', 'train', 'score', 'config'])('%s --help says how to use it', (command) => {
    const r = churn(command, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: npm run churn -- ${command} `));
  });
});
