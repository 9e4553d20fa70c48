import { beforeAll, describe, expect, it } from 'vitest';
import { generateChurnData } from '../../infra/local/churn-data';
import { churnFeatures, compileChurnModel } from '../../shared/domain/churn';
import {
  auc,
  brier,
  type ChurnExample,
  calibration,
  logLoss,
  NotEnoughAccountsError,
  stratifiedMask,
  train,
} from '../../shared/domain/churn-training';
import { CHURN_FEATURES, type ChurnModel, ChurnModelSchema } from '../../shared/schemas/churn';
import { ChurnTrainingRecordSchema } from '../../shared/schemas/churn-training';
import { ImportRecordSchema } from '../../shared/schemas/import';

const createdAt = '2026-11-21T08:00:00Z';

/** Generated accounts as the trainer sees them (through the training format), with the hidden truth. */
function dataset(n: number, seed: number) {
  const rows: ChurnExample[] = [];
  const labels: boolean[] = [];
  const truth: number[] = [];
  for (const { record, probability } of generateChurnData(n, seed)) {
    const r = ChurnTrainingRecordSchema.parse(JSON.parse(JSON.stringify(record)));
    rows.push({ accountId: r.accountId, features: churnFeatures(r, r.asOf) });
    labels.push(r.label.closed);
    truth.push(probability);
  }
  return { rows, labels, truth };
}

describe('metrics', () => {
  it.each([
    { scores: [0.1, 0.2, 0.3, 0.4], labels: [0, 0, 1, 1], want: 1 },
    { scores: [0.4, 0.3, 0.2, 0.1], labels: [0, 0, 1, 1], want: 0 },
    { scores: [0.5, 0.5, 0.5, 0.5], labels: [0, 1, 0, 1], want: 0.5 }, // ties share their rank
    { scores: [0.1, 0.5, 0.5, 0.9], labels: [0, 0, 1, 1], want: 0.875 },
  ])('AUC of $scores over $labels is $want', ({ scores, labels, want }) => {
    expect(auc(scores, labels)).toBeCloseTo(want, 12);
  });

  it('log loss and Brier of known predictions', () => {
    expect(logLoss([0.8, 0.4], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    expect(brier([0.8, 0.4], [1, 0])).toBeCloseTo((0.04 + 0.16) / 2, 12);
  });

  it('calibration: ten bins of equal size by predicted risk, predicted against observed', () => {
    const p = Array.from({ length: 100 }, (_, i) => (99 - i) / 100); // given highest first
    const y = p.map((_, i) => i % 2 === 0);
    const bins = calibration(p, y);
    expect(bins.map((b) => b.accounts)).toEqual(Array(10).fill(10));
    expect(bins[0]).toEqual({ decile: 1, accounts: 10, meanPredicted: 0.045, observedRate: 0.5 });
    expect(bins[9]!.meanPredicted).toBe(0.945);
  });
});

describe('the hold-out', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `ACC-${i}`);
  const labels = ids.map((_, i) => i % 5 === 0);
  it('takes the same share of each class', () => {
    const m = stratifiedMask(ids, labels, 0.2);
    expect(ids.filter((_, i) => m[i] && labels[i]).length).toBe(40);
    expect(ids.filter((_, i) => m[i] && !labels[i]).length).toBe(160);
  });
  it('is chosen by account, whatever the order of the file', () => {
    const held = (order: number[]) => {
      const m = stratifiedMask(
        order.map((i) => ids[i]!),
        order.map((i) => labels[i]!),
        0.2,
      );
      return order.filter((_, k) => m[k]).sort((a, b) => a - b);
    };
    const forward = ids.map((_, i) => i);
    expect(held([...forward].reverse())).toEqual(held(forward));
  });
});

describe('training on accounts with a known hidden truth', () => {
  let data: ReturnType<typeof dataset>;
  let model: ChurnModel;
  beforeAll(() => {
    data = dataset(12_000, 11);
    model = train(data.rows, data.labels, {}, { createdAt });
  });

  it('writes a document the model schema accepts, with its id from the day and its content', () => {
    expect(ChurnModelSchema.safeParse(model).success).toBe(true);
    expect(model.modelId).toMatch(/^churn-20261121-[0-9a-f]{8}$/);
    expect(model.validation.accounts).toBe(2400);
    expect(model.training.accounts + model.validation.accounts).toBeLessThan(12_000); // minus the stopping slice
  });

  it('ranks the hold-out almost as well as the hidden truth itself', () => {
    const held = stratifiedMask(
      data.rows.map((r) => r.accountId),
      data.labels,
      0.2,
    );
    const idx = data.rows.flatMap((_, i) => (held[i] ? [i] : []));
    const oracle = auc(
      idx.map((i) => data.truth[i]!),
      idx.map((i) => data.labels[i]!),
    );
    // The best single behaviour (fewest transactions first): what a model must clearly beat.
    const single = auc(
      idx.map((i) => -(data.rows[i]!.features[CHURN_FEATURES.indexOf('transactions12m')] || 0)),
      idx.map((i) => data.labels[i]!),
    );
    expect(oracle).toBeGreaterThan(0.9);
    expect(single).toBeLessThan(oracle - 0.05);
    expect(model.validation.auc).toBeGreaterThanOrEqual(oracle - 0.015);
  });

  it('is calibrated: per decile, predicted and observed within 0.03 on average, and the deciles rise', () => {
    const bins = model.validation.calibration;
    expect(bins).toHaveLength(10);
    const gap = bins.reduce((s, b) => s + Math.abs(b.meanPredicted - b.observedRate), 0) / bins.length;
    expect(gap).toBeLessThan(0.03);
    expect(bins[9]!.observedRate).toBeGreaterThan(5 * bins[4]!.observedRate);
  });

  it('its figures are those of its own scorer on the hold-out', () => {
    const held = stratifiedMask(
      data.rows.map((r) => r.accountId),
      data.labels,
      0.2,
    );
    const idx = data.rows.flatMap((_, i) => (held[i] ? [i] : []));
    const s = compileChurnModel(model);
    const p = idx.map((i) => s.scoreFeatures(data.rows[i]!.features));
    expect(model.validation.auc).toBeCloseTo(
      auc(
        p,
        idx.map((i) => data.labels[i]!),
      ),
      4,
    );
  });

  it('holds no account data: no account id or phone in the document', () => {
    const text = JSON.stringify(model);
    expect(text).not.toMatch(/CHN-|CUS-|\+1555|accountId|phone|verification/);
  });
});

describe('the trainer itself', () => {
  it('is deterministic: the same rows and parameters give the same document; another seed another one', () => {
    const { rows, labels } = dataset(3000, 5);
    const a = train(rows, labels, {}, { createdAt });
    const b = train(rows, labels, {}, { createdAt });
    expect(b).toEqual(a);
    const c = train(rows, labels, { seed: 2 }, { createdAt });
    expect(c.trees).not.toEqual(a.trees);
    expect(c.modelId).not.toBe(a.modelId);
  });

  it('learns where a missing figure goes: accounts without transaction counts closing most', () => {
    // A figure missing exactly when the account leaves: only the learned default direction of a
    // split can tell those apart (NaN compares false with every threshold).
    const tx = CHURN_FEATURES.indexOf('transactions12m');
    const rows: ChurnExample[] = [];
    const labels: boolean[] = [];
    for (let i = 0; i < 4000; i++) {
      const x = new Float64Array(CHURN_FEATURES.length).fill(1);
      const missing = i % 4 === 0;
      x[tx] = missing ? Number.NaN : (i * 7919) % 120;
      rows.push({ accountId: `ACC-${i}`, features: x });
      labels.push(missing ? i % 8 === 0 || i % 3 === 0 : i % 23 === 0);
    }
    const m = train(rows, labels, {}, { createdAt });
    const s = compileChurnModel(m);
    const probe = new Float64Array(CHURN_FEATURES.length).fill(1);
    probe[tx] = Number.NaN;
    const missingRisk = s.scoreFeatures(probe);
    const seen = [0, 30, 60, 119].map((v) => {
      probe[tx] = v;
      return s.scoreFeatures(probe);
    });
    for (const r of seen) expect(missingRisk).toBeGreaterThan(r + 0.4);
  });

  it('refuses too few closed accounts, saying how many it needs', () => {
    const { rows, labels } = dataset(1000, 9);
    const few = labels.map((l, i) => l && i < 200); // the closed of the first 200 accounts only
    const closed = few.filter(Boolean).length;
    expect(closed).toBeLessThan(50);
    expect(() => train(rows, few, {}, { createdAt })).toThrow(NotEnoughAccountsError);
    expect(() => train(rows, few, {}, { createdAt })).toThrow(
      `too few accounts to train: ${closed} closed and ${1000 - closed} open; at least 50 of each are needed`,
    );
  });
});

describe('the training record', () => {
  const [first] = generateChurnData(1, 3);
  const record = JSON.parse(JSON.stringify(first!.record));

  it('accepts garbage in name, phones and verification, and drops them unread', () => {
    const garbage = { ...record, name: { x: 1 }, phones: 'not a phone', verification: 42 };
    expect(ImportRecordSchema.safeParse({ ...garbage, label: undefined }).success).toBe(false);
    const r = ChurnTrainingRecordSchema.parse(garbage);
    expect(r).not.toHaveProperty('name');
    expect(r).not.toHaveProperty('phones');
    expect(r).not.toHaveProperty('verification');
    const { phones: _p, verification: _v, ...bare } = record;
    expect(ChurnTrainingRecordSchema.safeParse(bare).success).toBe(true);
  });

  it('needs its label, and rejects an unknown field by name', () => {
    const { label: _l, ...unlabelled } = record;
    const a = ChurnTrainingRecordSchema.safeParse(unlabelled);
    expect(a.success).toBe(false);
    expect(a.error?.issues[0]?.path).toEqual(['label']);
    const b = ChurnTrainingRecordSchema.safeParse({ ...record, cardNumber: '4111' });
    expect(b.error?.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['cardNumber'] });
  });
});

describe('a model document the schema refuses, naming the field', () => {
  let good: ChurnModel;
  beforeAll(() => {
    const { rows, labels } = dataset(2000, 4);
    good = train(rows, labels, { maxTrees: 20 }, { createdAt });
    expect(ChurnModelSchema.safeParse(good).success).toBe(true);
  });
  const paths = (m: unknown) => {
    const r = ChurnModelSchema.safeParse(m);
    expect(r.success).toBe(false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  const copy = () => structuredClone(good) as ChurnModel & { trees: number[][][] };

  it('NaN in a leaf', () => {
    const m = copy();
    const leaf = m.trees[0]!.findIndex((n) => n.length === 1);
    m.trees[0]![leaf] = [Number.NaN];
    expect(paths(m)).toEqual([`trees.0.${leaf}: Invalid input`]);
  });
  it('another feature list', () => {
    const m = copy();
    m.features = [...CHURN_FEATURES].reverse();
    expect(paths(m).join('\n')).toMatch(/^features: must be the features this release computes/m);
  });
  it('an AUC below the floor', () => {
    const m = copy();
    m.validation.auc = 0.65;
    expect(paths(m)).toEqual([
      'validation.auc: AUC on its own hold-out is below the floor 0.7: not fit to be activated',
    ]);
  });
  it('a document too big for the configuration item', () => {
    const m = copy();
    // 400 trees of 31 nodes with long leaf values: within the node and tree counts, over 200 KB.
    const deep = (): number[][] => [
      ...Array.from({ length: 15 }, (_, i) => [0, 1.2345678901234567, 2 * i + 1, 2 * i + 2, 1]),
      ...Array.from({ length: 16 }, () => [0.012345678901234567]),
    ];
    m.trees = Array.from({ length: 400 }, deep) as ChurnModel['trees'];
    expect(paths(m)).toEqual([
      expect.stringMatching(
        /^trees: the document is \d+ bytes; at most 200000 \(it travels in the configuration item\)/,
      ),
    ]);
  });
  it('a cycle in a tree', () => {
    const m = copy();
    const t = m.trees[0]!;
    const split = t.findIndex((n, i) => n.length === 5 && i > 0);
    t[split]![2] = split; // points to itself
    expect(paths(m)).toEqual([`trees.0: node ${split} points to ${split}: children come after their parent`]);
  });
});
