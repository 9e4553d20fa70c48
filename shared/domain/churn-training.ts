// Training the churn model: histogram gradient-boosted trees with logistic loss, and the figures
// of its own hold-out. Pure: no I/O, no clock (the caller passes `createdAt`), randomness from a
// seeded generator, so the same rows and parameters give the same document.
//
// Written here rather than taken from npm: the GBDT packages there are native builds (xgboost,
// lightgbm: node-gyp / cmake-js at install), an emscripten build (ml-xgboost), or random forests
// without missing-value handling (ml-random-forest, ml-cart); and what runs live is our own scorer
// over our own validated document (shared/domain/churn.ts), which a small trainer writes directly.

import { createHash } from 'node:crypto';
import {
  CHURN_FEATURES,
  CHURN_MODEL_FORMAT,
  type ChurnModel,
  MAX_CHURN_DEPTH,
  MAX_CHURN_NODES,
  MAX_CHURN_TREES,
} from '../schemas/churn';
import { compileChurnModel } from './churn';
import { seededRandom } from './learning';

export interface ChurnTrainingParams {
  /** Depth of each tree (4: interactions of up to four behaviours). */
  maxDepth: number;
  /** Shrinkage of each tree's leaves. */
  learningRate: number;
  /** Trees at most; early stopping usually ends sooner. */
  maxTrees: number;
  /** Quantile bins per feature, computed on the training part (missing values get their own). */
  maxBins: number;
  /** Accounts a leaf needs at least (a leaf of 3 accounts is noise). */
  minSamplesLeaf: number;
  /** Hessian (p(1 − p) summed) a leaf needs at least: a leaf of sure accounts says little. */
  minChildWeight: number;
  /** L2 penalty on leaf values. */
  lambda: number;
  /** Share of the training rows each tree sees (1: all; below 1, drawn with the seed). */
  subsample: number;
  seed: number;
  /** Share of each class held out for the figures (never trained on, never used to stop). */
  holdoutShare: number;
  /** Share of the training part each class gives to the early-stopping slice. */
  earlyStoppingShare: number;
  /** Trees without a better early-stopping log loss before training stops. */
  earlyStoppingRounds: number;
  /** Accounts of each class needed to train at all. */
  minPerClass: number;
  /** The months after `asOf` in which a closure was counted. */
  labelWindowMonths: number;
}

export const DEFAULT_CHURN_TRAINING: ChurnTrainingParams = {
  maxDepth: 4,
  learningRate: 0.1,
  maxTrees: 300,
  maxBins: 64,
  minSamplesLeaf: 20,
  minChildWeight: 1,
  lambda: 1,
  subsample: 0.8,
  seed: 1,
  holdoutShare: 0.2,
  earlyStoppingShare: 0.1,
  earlyStoppingRounds: 20,
  minPerClass: 50,
  labelWindowMonths: 12,
};

/** Too few accounts of one class: the model would learn noise, and its figures would say nothing. */
export class NotEnoughAccountsError extends Error {
  override name = 'NotEnoughAccountsError';
}
/** Parameters out of range (a typo on the command line, a depth the document cannot hold). */
export class ChurnTrainingParamsError extends Error {
  override name = 'ChurnTrainingParamsError';
}

export interface ChurnExample {
  accountId: string;
  /** In CHURN_FEATURES order (shared/domain/churn.ts `churnFeatures`); NaN for a missing figure. */
  features: Float64Array;
}

// ---------------------------------------------------------------------------------------------
// The hold-out: stable by account, stratified by label

/** A uniform number in [0, 1) from a string: the same account lands on the same side every time. */
function unitOf(salt: string, id: string): number {
  return createHash('sha256').update(salt).update('\0').update(id).digest().readUInt32BE(0) / 4294967296;
}

/**
 * Picks `share` of each class (rounded, at least one when the class has two or more): the ones of
 * lowest hash of their account id. Returns a mask over `ids`. Used with the salt "holdout" for the
 * hold-out, and over the rest with "early-stopping" for the early-stopping slice.
 */
export function stratifiedMask(
  ids: readonly string[],
  labels: ArrayLike<boolean | number>,
  share: number,
  salt = 'holdout',
): Uint8Array {
  const mask = new Uint8Array(ids.length);
  for (const cls of [true, false]) {
    const members = ids
      .map((id, i) => ({ i, u: unitOf(salt, id) }))
      .filter(({ i }) => Boolean(labels[i]) === cls)
      .sort((a, b) => a.u - b.u || a.i - b.i);
    const take = members.length < 2 ? 0 : Math.max(1, Math.round(members.length * share));
    for (let k = 0; k < take; k++) mask[members[k]!.i] = 1;
  }
  return mask;
}

// ---------------------------------------------------------------------------------------------
// Figures

/** AUC as the rank statistic (Mann–Whitney): ties share their average rank. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j + 2) / 2; // ranks are 1-based
    for (let k = i; k <= j; k++)
      if (labels[order[k]!]) {
        pos++;
        rankSum += rank;
      }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return Number.NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export function logLoss(p: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - 1e-15, Math.max(1e-15, p[i]!));
    s -= labels[i] ? Math.log(q) : Math.log(1 - q);
  }
  return s / p.length;
}

export function brier(p: ArrayLike<number>, labels: ArrayLike<boolean | number>): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) s += (p[i]! - (labels[i] ? 1 : 0)) ** 2;
  return s / p.length;
}

export interface CalibrationBin {
  decile: number;
  accounts: number;
  meanPredicted: number;
  observedRate: number;
}

/** Ten bins of equal size by predicted risk (decile 1 the lowest): predicted against observed. */
export function calibration(p: ArrayLike<number>, labels: ArrayLike<boolean | number>): CalibrationBin[] {
  const order = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a]! - p[b]! || a - b);
  const bins: CalibrationBin[] = [];
  for (let d = 0; d < 10; d++) {
    const from = Math.floor((d * order.length) / 10);
    const to = Math.floor(((d + 1) * order.length) / 10);
    if (to === from) continue;
    let sp = 0;
    let sy = 0;
    for (let k = from; k < to; k++) {
      sp += p[order[k]!]!;
      sy += labels[order[k]!] ? 1 : 0;
    }
    bins.push({
      decile: d + 1,
      accounts: to - from,
      meanPredicted: round(sp / (to - from), 4),
      observedRate: round(sy / (to - from), 4),
    });
  }
  return bins;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
/** 6 significant digits: what a leaf value needs, in a third of the bytes. */
const compact = (x: number) => Number(x.toPrecision(6));

// ---------------------------------------------------------------------------------------------
// Binning

/** Missing values' bin (real bins are 0 … maxBins − 1 ≤ 254). */
const MISSING = 255;

/**
 * Split points of one feature at its quantiles over the training rows: a bin is [t(k−1), t(k)),
 * so `x < t(k)` is `bin(x) ≤ k`, the document's own test. Each point lies between two values seen
 * (shortened to 6 digits where that stays strictly between them, which keeps the document small).
 */
function quantileThresholds(values: Float64Array, maxBins: number): number[] {
  const v = values.filter((x) => !Number.isNaN(x)).sort();
  if (v.length === 0) return [];
  const distinct: number[] = [];
  for (const x of v) if (distinct.length === 0 || x !== distinct[distinct.length - 1]) distinct.push(x);
  // The first value of each bin: every distinct value when there are few, else the quantiles.
  let starts: number[];
  if (distinct.length <= maxBins) starts = distinct.slice(1);
  else {
    const s = new Set<number>();
    for (let i = 1; i < maxBins; i++) s.add(v[Math.floor((i * v.length) / maxBins)]!);
    starts = [...s].filter((x) => x > distinct[0]!).sort((a, b) => a - b);
  }
  return starts.map((hi) => {
    const lo = distinct[upperBound(distinct, hi) - 2]!; // the distinct value just below `hi`
    const mid = lo + (hi - lo) / 2;
    const short = compact(mid);
    return short > lo && short < hi ? short : mid;
  });
}

/** The number of elements of sorted `xs` that are ≤ x. */
function upperBound(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Trees

type Node = [number, number, number, number, 0 | 1] | [number];
/** A tree as the document holds it, and per split node the bin it splits after (for training). */
interface Tree {
  nodes: Node[];
  splitBin: number[];
}

interface Split {
  gain: number;
  feature: number;
  /** Bins 0 … bin go left. */
  bin: number;
  missingLeft: 0 | 1;
}

/**
 * Histogram layout: per feature, `stride` bins (the last one for missing values), each with the
 * gradient sum, the hessian sum and the count of its rows.
 */
interface Hist {
  g: Float64Array;
  h: Float64Array;
  n: Uint32Array;
}

/** The training state over the binned rows (column-major: `bins[f * rows + i]`). */
interface Binned {
  rows: number;
  bins: Uint8Array;
  thresholds: number[][];
  stride: number;
}

function buildHist(
  b: Binned,
  grad: Float64Array,
  hess: Float64Array,
  idx: Uint32Array,
  from: number,
  to: number,
): Hist {
  const F = b.thresholds.length;
  const size = F * b.stride;
  const hist: Hist = { g: new Float64Array(size), h: new Float64Array(size), n: new Uint32Array(size) };
  const last = b.stride - 1;
  for (let f = 0; f < F; f++) {
    const col = f * b.rows;
    const off = f * b.stride;
    for (let k = from; k < to; k++) {
      const i = idx[k]!;
      const bin = b.bins[col + i]!;
      const slot = off + (bin === MISSING ? last : bin);
      hist.g[slot]! += grad[i]!;
      hist.h[slot]! += hess[i]!;
      hist.n[slot]!++;
    }
  }
  return hist;
}

function subtractHist(parent: Hist, child: Hist): Hist {
  const g = parent.g.slice();
  const h = parent.h.slice();
  const n = parent.n.slice();
  for (let s = 0; s < g.length; s++) {
    g[s]! -= child.g[s]!;
    h[s]! -= child.h[s]!;
    n[s]! -= child.n[s]!;
  }
  return { g, h, n };
}

/**
 * The best split of a node from its histogram: every bin boundary of every feature, missing values
 * sent to either side (the learned default direction), the gain of the L2-regularised logistic loss.
 */
function bestSplit(
  b: Binned,
  hist: Hist,
  G: number,
  H: number,
  N: number,
  p: ChurnTrainingParams,
): Split | undefined {
  const score = (g: number, h: number) => (g * g) / (h + p.lambda);
  const parent = score(G, H);
  const last = b.stride - 1;
  let best: Split | undefined;
  for (let f = 0; f < b.thresholds.length; f++) {
    const bins = b.thresholds[f]!.length + 1;
    if (bins < 2) continue;
    const off = f * b.stride;
    const gm = hist.g[off + last]!;
    const hm = hist.h[off + last]!;
    const nm = hist.n[off + last]!;
    let gl = 0;
    let hl = 0;
    let nl = 0;
    for (let k = 0; k < bins - 1; k++) {
      gl += hist.g[off + k]!;
      hl += hist.h[off + k]!;
      nl += hist.n[off + k]!;
      // Missing values left, then right; with none in this node, left is tried alone.
      for (const ml of nm > 0 ? ([1, 0] as const) : ([1] as const)) {
        const gL = ml ? gl + gm : gl;
        const hL = ml ? hl + hm : hl;
        const nL = ml ? nl + nm : nl;
        const nR = N - nL;
        const hR = H - hL;
        if (nL < p.minSamplesLeaf || nR < p.minSamplesLeaf) continue;
        if (hL < p.minChildWeight || hR < p.minChildWeight) continue;
        const gain = score(gL, hL) + score(G - gL, hR) - parent;
        if (gain > 1e-9 && (!best || gain > best.gain)) best = { gain, feature: f, bin: k, missingLeft: ml };
      }
    }
  }
  return best;
}

/**
 * One tree over the rows `idx` (the subsample), grown breadth first to `maxDepth`, so every child
 * is numbered after its parent. The smaller child's histogram is built, the larger one's is the
 * parent's minus it.
 */
function growTree(
  b: Binned,
  grad: Float64Array,
  hess: Float64Array,
  idx: Uint32Array,
  p: ChurnTrainingParams,
): Tree {
  const nodes: Node[] = [];
  const splitBin: number[] = [-1];
  interface Pending {
    at: number;
    from: number;
    to: number;
    depth: number;
    hist: Hist;
  }
  let G = 0;
  let H = 0;
  for (const i of idx) {
    G += grad[i]!;
    H += hess[i]!;
  }
  nodes.push([0]);
  const queue: Pending[] = [
    { at: 0, from: 0, to: idx.length, depth: 0, hist: buildHist(b, grad, hess, idx, 0, idx.length) },
  ];
  const sums = new Map<number, [number, number]>([[0, [G, H]]]);
  while (queue.length > 0) {
    const node = queue.shift()!;
    const [g, h] = sums.get(node.at)!;
    const leaf = () => {
      nodes[node.at] = [compact((-g / (h + p.lambda)) * p.learningRate)];
    };
    const n = node.to - node.from;
    const split =
      node.depth < p.maxDepth && n >= 2 * p.minSamplesLeaf ? bestSplit(b, node.hist, g, h, n, p) : undefined;
    if (!split) {
      leaf();
      continue;
    }
    // Partition idx[from, to) in place: the left rows first.
    const col = split.feature * b.rows;
    let mid = node.from;
    for (let k = node.from; k < node.to; k++) {
      const i = idx[k]!;
      const bin = b.bins[col + i]!;
      if (bin === MISSING ? split.missingLeft === 1 : bin <= split.bin) {
        idx[k] = idx[mid]!;
        idx[mid++] = i;
      }
    }
    const left = nodes.length;
    const right = left + 1;
    nodes.push([0], [0]);
    splitBin.push(-1, -1);
    splitBin[node.at] = split.bin;
    nodes[node.at] = [
      split.feature,
      b.thresholds[split.feature]![split.bin]!,
      left,
      right,
      split.missingLeft,
    ];
    const leftSmaller = mid - node.from <= node.to - mid;
    const small = leftSmaller
      ? buildHist(b, grad, hess, idx, node.from, mid)
      : buildHist(b, grad, hess, idx, mid, node.to);
    const large = subtractHist(node.hist, small);
    const [lh, rh] = leftSmaller ? [small, large] : [large, small];
    let gl = 0;
    let hl = 0;
    for (let k = node.from; k < mid; k++) {
      gl += grad[idx[k]!]!;
      hl += hess[idx[k]!]!;
    }
    sums.set(left, [gl, hl]);
    sums.set(right, [g - gl, h - hl]);
    queue.push(
      { at: left, from: node.from, to: mid, depth: node.depth + 1, hist: lh },
      { at: right, from: mid, to: node.to, depth: node.depth + 1, hist: rh },
    );
  }
  return { nodes, splitBin };
}

/**
 * A tree's value for binned row i: `bin ≤ k` is the document's `x < threshold(k)`, so this is the
 * path the scorer takes over the raw row.
 */
function treeValue(tree: Tree, b: Binned, i: number): number {
  let at = 0;
  let n = tree.nodes[0]!;
  while (n.length === 5) {
    const bin = b.bins[n[0] * b.rows + i]!;
    const left = bin === MISSING ? n[4] === 1 : bin <= tree.splitBin[at]!;
    at = left ? n[2] : n[3];
    n = tree.nodes[at]!;
  }
  return n[0];
}

// ---------------------------------------------------------------------------------------------
// Training

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function checkParams(p: ChurnTrainingParams): void {
  const bad = (what: string) => {
    throw new ChurnTrainingParamsError(what);
  };
  if (!Number.isInteger(p.maxDepth) || p.maxDepth < 1 || p.maxDepth > MAX_CHURN_DEPTH)
    bad(`maxDepth must be a whole number from 1 to ${MAX_CHURN_DEPTH}`);
  if (!Number.isInteger(p.maxTrees) || p.maxTrees < 1 || p.maxTrees > MAX_CHURN_TREES)
    bad(`maxTrees must be a whole number from 1 to ${MAX_CHURN_TREES}`);
  if (p.maxTrees * (2 ** (p.maxDepth + 1) - 1) > MAX_CHURN_NODES)
    bad(`maxTrees × nodes per tree of depth ${p.maxDepth} exceeds the document's ${MAX_CHURN_NODES} nodes`);
  if (!Number.isInteger(p.maxBins) || p.maxBins < 2 || p.maxBins > 254) bad('maxBins must be from 2 to 254');
  if (!(p.learningRate > 0 && p.learningRate <= 1)) bad('learningRate must be in (0, 1]');
  if (!(p.subsample > 0 && p.subsample <= 1)) bad('subsample must be in (0, 1]');
  if (!(p.holdoutShare > 0 && p.holdoutShare < 1)) bad('holdoutShare must be in (0, 1)');
  if (!(p.earlyStoppingShare > 0 && p.earlyStoppingShare < 1)) bad('earlyStoppingShare must be in (0, 1)');
  if (!(p.lambda >= 0) || !(p.minChildWeight >= 0) || !(p.minSamplesLeaf >= 1))
    bad('lambda and minChildWeight must be ≥ 0, minSamplesLeaf ≥ 1');
  if (!Number.isInteger(p.labelWindowMonths) || p.labelWindowMonths < 1 || p.labelWindowMonths > 36)
    bad('labelWindowMonths must be a whole number from 1 to 36');
}

export interface TrainOptions {
  /** When the model is made (the domain has no clock): its id carries the day. */
  createdAt: string;
  /** Lines of the training file that were rejected, recorded in the document. */
  rejectedLines?: number;
}

/**
 * Trains a model on `rows` with `labels` (true: closed in the label window) and returns its document,
 * whose `validation` figures come from a hold-out the trainer never saw, scored by the document's own
 * scorer. Throws NotEnoughAccountsError with too few of either class.
 */
export function train(
  rows: readonly ChurnExample[],
  labels: readonly boolean[],
  params: Partial<ChurnTrainingParams>,
  options: TrainOptions,
): ChurnModel {
  const p: ChurnTrainingParams = { ...DEFAULT_CHURN_TRAINING, ...params };
  checkParams(p);
  if (rows.length !== labels.length) throw new ChurnTrainingParamsError('one label per row');
  const closed = labels.filter(Boolean).length;
  const open = labels.length - closed;
  if (closed < p.minPerClass || open < p.minPerClass)
    throw new NotEnoughAccountsError(
      `too few accounts to train: ${closed} closed and ${open} open; at least ${p.minPerClass} of each are needed`,
    );

  const ids = rows.map((r) => r.accountId);
  const holdout = stratifiedMask(ids, labels, p.holdoutShare, 'holdout');
  const fit: number[] = [];
  for (let i = 0; i < rows.length; i++) if (!holdout[i]) fit.push(i);
  const stopMask = stratifiedMask(
    fit.map((i) => ids[i]!),
    fit.map((i) => labels[i]!),
    p.earlyStoppingShare,
    'early-stopping',
  );
  const trainIdx = fit.filter((_, k) => !stopMask[k]);
  const stopIdx = fit.filter((_, k) => stopMask[k]);

  // Bins from the training rows; the early-stopping rows are binned with the same points.
  const F = CHURN_FEATURES.length;
  const all = [...trainIdx, ...stopIdx];
  const rowsN = all.length;
  const thresholds: number[][] = [];
  const bins = new Uint8Array(F * rowsN);
  for (let f = 0; f < F; f++) {
    const col = new Float64Array(trainIdx.length);
    trainIdx.forEach((i, k) => {
      col[k] = rows[i]!.features[f]!;
    });
    const t = quantileThresholds(col, p.maxBins);
    thresholds.push(t);
    all.forEach((i, k) => {
      const x = rows[i]!.features[f]!;
      bins[f * rowsN + k] = Number.isNaN(x) ? MISSING : upperBound(t, x);
    });
  }
  const b: Binned = { rows: rowsN, bins, thresholds, stride: p.maxBins + 1 };
  const nTrain = trainIdx.length;
  const y = Float64Array.from(all, (i) => (labels[i] ? 1 : 0));

  // Start from the training part's log-odds; each tree fits the logistic loss's gradient.
  let pos = 0;
  for (let k = 0; k < nTrain; k++) pos += y[k]!;
  const baseScore = compact(Math.log(pos / (nTrain - pos)));
  const margin = new Float64Array(rowsN).fill(baseScore);
  const grad = new Float64Array(rowsN);
  const hess = new Float64Array(rowsN);
  const rng = seededRandom(`churn-training:${p.seed}`);
  const trees: Tree[] = [];
  let bestLoss = Number.POSITIVE_INFINITY;
  let bestTrees = 0;
  for (let t = 0; t < p.maxTrees && t - bestTrees < p.earlyStoppingRounds; t++) {
    for (let k = 0; k < nTrain; k++) {
      const q = sigmoid(margin[k]!);
      grad[k] = q - y[k]!;
      hess[k] = Math.max(q * (1 - q), 1e-16);
    }
    const sample: number[] = [];
    for (let k = 0; k < nTrain; k++) if (p.subsample >= 1 || rng() < p.subsample) sample.push(k);
    const tree = growTree(b, grad, hess, Uint32Array.from(sample), p);
    trees.push(tree);
    for (let k = 0; k < rowsN; k++) margin[k]! += treeValue(tree, b, k);
    let loss = 0;
    for (let k = nTrain; k < rowsN; k++) {
      const q = Math.min(1 - 1e-15, Math.max(1e-15, sigmoid(margin[k]!)));
      loss -= y[k] ? Math.log(q) : Math.log(1 - q);
    }
    if (loss < bestLoss - 1e-12) {
      bestLoss = loss;
      bestTrees = t + 1;
    }
  }
  const kept = trees.slice(0, Math.max(1, bestTrees)).map((t) => t.nodes);

  // The document, then its figures on the hold-out, scored the way it will be scored live.
  const recordedParams: Record<string, number> = { ...p };
  const body = {
    labelWindowMonths: p.labelWindowMonths,
    features: [...CHURN_FEATURES],
    baseScore,
    trees: kept,
  };
  const hash = createHash('sha256')
    .update(JSON.stringify({ ...body, params: recordedParams }))
    .digest('hex')
    .slice(0, 8);
  const day = options.createdAt.slice(0, 10).replaceAll('-', '');
  const draft: ChurnModel = {
    format: CHURN_MODEL_FORMAT,
    modelId: `churn-${day}-${hash}`,
    createdAt: options.createdAt,
    kind: 'gradient-boosted-trees',
    ...body,
    training: {
      accounts: nTrain,
      closed: pos,
      rejectedLines: options.rejectedLines ?? 0,
      params: recordedParams,
    },
    validation: { accounts: 1, closed: 1, auc: 0, logLoss: 0, brier: 0, calibration: [] },
  };
  const scorer = compileChurnModel(draft);
  const held: number[] = [];
  for (let i = 0; i < rows.length; i++) if (holdout[i]) held.push(i);
  const pred = held.map((i) => scorer.scoreFeatures(rows[i]!.features));
  const truth = held.map((i) => labels[i]!);
  return {
    ...draft,
    validation: {
      accounts: held.length,
      closed: truth.filter(Boolean).length,
      auc: round(auc(pred, truth), 4),
      logLoss: round(logLoss(pred, truth), 4),
      brier: round(brier(pred, truth), 4),
      calibration: calibration(pred, truth),
    },
  };
}
