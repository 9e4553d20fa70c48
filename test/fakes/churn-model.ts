import { CHURN_FEATURES, CHURN_MODEL_FORMAT, type ChurnModel } from '../../shared/schemas/churn';

const f = (name: (typeof CHURN_FEATURES)[number]) => CHURN_FEATURES.indexOf(name);

/**
 * A churn model written by hand, for tests of the live path (what a score does), not of training: one
 * tree on the year's transactions. Fewer than 120 (or none sent) scores σ(−0.5 + 2) = 0.8176, more
 * scores σ(−0.5 − 2.5) = 0.0474. Its hold-out figures are stated, not measured.
 */
export function quietCardModel(over: Partial<ChurnModel> = {}): ChurnModel {
  return {
    format: CHURN_MODEL_FORMAT,
    modelId: 'churn-test-quiet-cards',
    createdAt: '2026-12-01T00:00:00.000Z',
    kind: 'gradient-boosted-trees',
    labelWindowMonths: 12,
    features: [...CHURN_FEATURES],
    baseScore: -0.5,
    trees: [[[f('transactions12m'), 120, 1, 2, 1], [2], [-2.5]]],
    training: { accounts: 1000, closed: 160, rejectedLines: 0, params: { handWritten: true } },
    validation: { accounts: 200, closed: 32, auc: 0.9, logLoss: 0.3, brier: 0.1, calibration: [] },
    ...over,
  };
}
/** The two scores of quietCardModel, as stored (4 decimals). */
export const QUIET_SCORE = 0.8176;
export const BUSY_SCORE = 0.0474;
