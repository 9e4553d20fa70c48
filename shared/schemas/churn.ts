import * as z from 'zod';
import { lazy } from './lazy';

/**
 * The inputs of the churn model, in order: figures of the account only (no factor, name or phone).
 * A model document names them; one trained on another list cannot be activated.
 * `shared/domain/churn.ts` computes them (NaN for a figure the account does not have, such as
 * transaction counts the issuer did not send: the trees route a missing figure to a learned side).
 */
export const CHURN_FEATURES = [
  'tenureMonths',
  'creditLimit',
  'balance',
  'revolvingBalance',
  'utilization',
  'annualSpend',
  'spendTrend',
  'spendQ4Q1',
  'transactions12m',
  'transactionsTrend',
  'transactionsQ4Q1',
  'averageTicket',
  'inactiveMonths',
  'contacts12m',
  'productsHeld',
  'annualFee',
  'apr',
  'rewardsRate',
  'riskScore',
  'latePayments',
  'fullPayRatio',
] as const;
export type ChurnFeature = (typeof CHURN_FEATURES)[number];

/** The format tag of a model document; a new layout gets a new tag. */
export const CHURN_MODEL_FORMAT = 'retention-desk.churn-model/1';
/** A model whose AUC on its own hold-out is below this cannot be activated. */
export const MIN_CHURN_MODEL_AUC = 0.7;
/** Trees and nodes a document may hold (it travels in the configuration item, under 400 KB). */
export const MAX_CHURN_TREES = 400;
export const MAX_CHURN_NODES = 20_000;
export const MAX_CHURN_DEPTH = 10;
/** The document's size as JSON at most: with the rest of the configuration, under the admin API's 300 KB body. */
export const MAX_CHURN_MODEL_BYTES = 200_000;

const finite = () => z.number().finite();

/**
 * One node of a tree. A split `[feature, threshold, left, right, missingLeft]`: `x[feature] <
 * threshold` goes to `left`, else `right`; a missing figure (NaN) goes left when `missingLeft` is 1.
 * A leaf `[value]`: its contribution to the log-odds. Children come after their parent (no cycle).
 */
const NodeSchema = lazy(() =>
  z.union([
    z.tuple([
      z
        .number()
        .int()
        .min(0)
        .max(CHURN_FEATURES.length - 1),
      finite(),
      z.number().int().positive(),
      z.number().int().positive(),
      z.union([z.literal(0), z.literal(1)]),
    ]),
    z.tuple([finite()]),
  ]),
);

function treeProblem(nodes: ReadonlyArray<readonly number[]>): string | undefined {
  const depth = new Array<number>(nodes.length).fill(-1);
  depth[0] = 0;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (depth[i] === -1) return `node ${i} is not reached from the root`;
    if (n.length === 1) continue;
    for (const c of [n[2]!, n[3]!]) {
      if (c <= i || c >= nodes.length) return `node ${i} points to ${c}: children come after their parent`;
      if (depth[c] !== -1) return `node ${c} has two parents`;
      depth[c] = depth[i]! + 1;
      if (depth[c]! > MAX_CHURN_DEPTH) return `deeper than ${MAX_CHURN_DEPTH}`;
    }
  }
  return undefined;
}

export const ChurnTreeSchema = lazy(() =>
  z
    .array(NodeSchema)
    .min(1)
    .superRefine((nodes, ctx) => {
      const p = treeProblem(nodes);
      if (p) ctx.addIssue({ code: 'custom', message: p });
    }),
);

/** Calibration on the hold-out: accounts by decile of predicted risk, predicted against observed. */
export const CalibrationBinSchema = lazy(() =>
  z.strictObject({
    decile: z.number().int().min(1).max(10),
    accounts: z.number().int().nonnegative(),
    meanPredicted: finite().min(0).max(1),
    observedRate: finite().min(0).max(1),
  }),
);

/**
 * A trained churn model: gradient-boosted trees over CHURN_FEATURES, and the figures of its own
 * hold-out. It holds no account data (thresholds, leaf values and counts only).
 */
export const ChurnModelSchema = lazy(() =>
  z
    .strictObject({
      format: z.literal(CHURN_MODEL_FORMAT),
      /** Its version: recorded on every score and every decision that used it. */
      modelId: z.string().regex(/^churn-[0-9a-z-]{4,60}$/, 'must be churn- then 4 to 60 of a-z, 0-9, -'),
      createdAt: z.iso.datetime({ offset: true }),
      kind: z.literal('gradient-boosted-trees'),
      /** The months after `asOf` in which a closure was counted (the label's window). */
      labelWindowMonths: z.number().int().min(1).max(36),
      features: z
        .array(z.string())
        .refine((f) => f.length === CHURN_FEATURES.length && f.every((x, i) => x === CHURN_FEATURES[i]), {
          message: `must be the features this release computes: ${CHURN_FEATURES.join(', ')}`,
        }),
      /** The log-odds every tree adds to. */
      baseScore: finite(),
      trees: z
        .array(ChurnTreeSchema)
        .min(1)
        .max(MAX_CHURN_TREES)
        .refine((ts) => ts.reduce((n, t) => n + t.length, 0) <= MAX_CHURN_NODES, {
          message: `at most ${MAX_CHURN_NODES} nodes in all`,
        }),
      training: z.strictObject({
        accounts: z.number().int().positive(),
        closed: z.number().int().nonnegative(),
        rejectedLines: z.number().int().nonnegative(),
        params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
      }),
      validation: z.strictObject({
        /** Accounts held out of training (and of early stopping), and the closed among them. */
        accounts: z.number().int().positive(),
        closed: z.number().int().positive(),
        auc: finite()
          .min(0)
          .max(1)
          .refine((a) => a >= MIN_CHURN_MODEL_AUC, {
            message: `AUC on its own hold-out is below the floor ${MIN_CHURN_MODEL_AUC}: not fit to be activated`,
          }),
        logLoss: finite().nonnegative(),
        brier: finite().min(0).max(1),
        calibration: z.array(CalibrationBinSchema).max(10),
      }),
    })
    .superRefine((m, ctx) => {
      const bytes = Buffer.byteLength(JSON.stringify(m));
      if (bytes > MAX_CHURN_MODEL_BYTES)
        ctx.addIssue({
          code: 'custom',
          path: ['trees'],
          message: `the document is ${bytes} bytes; at most ${MAX_CHURN_MODEL_BYTES} (it travels in the configuration item): fewer or shallower trees`,
        });
      for (const [ti, t] of m.trees.entries())
        for (const [ni, n] of t.entries())
          if (n.length === 5 && n[0] >= m.features.length)
            ctx.addIssue({ code: 'custom', path: ['trees', ti, ni, 0], message: 'no such feature' });
    }),
);
export type ChurnModel = z.infer<typeof ChurnModelSchema>;

/** The score the active model gave an account, stored with it. */
export const AccountChurnSchema = lazy(() =>
  z.strictObject({
    risk: finite().min(0).max(1),
    modelId: z.string().max(64),
    at: z.iso.datetime({ offset: true }),
    /** When the score last crossed the warning threshold upwards (the early-warning event). */
    warnedAt: z.iso.datetime({ offset: true }).optional(),
  }),
);
export type AccountChurn = z.infer<typeof AccountChurnSchema>;
