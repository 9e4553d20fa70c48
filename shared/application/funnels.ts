// The strategies' funnels, read whole for a publisher: every active strategy's counts and how far the
// portfolio's placement has got, from the counter items (never a scan of the accounts).

import type { FunnelSnapshot } from '../domain/metrics';
import type { PlacementProgress } from '../ports';
import type { DecisionConfig } from '../schemas/config';
import { PORTFOLIO_SEGMENTS } from './portfolio';

/** What reads the funnels: a strategy version's accounts per stage, and the placements' progress. */
export interface FunnelReader extends Pick<PlacementProgress, 'progress'> {
  counts(strategyId: string, version: number): Promise<Record<string, number>>;
}

/**
 * The funnel of each active strategy of the configuration (its version, every stage in order, a stage
 * with no account at 0), as `GET /v1/admin/strategies/{id}/funnel` counts it, and the placement's
 * progress by this configuration version (segments done, accounts reached).
 */
export async function readFunnels(funnels: FunnelReader, config: DecisionConfig): Promise<FunnelSnapshot> {
  const active = (config.strategies ?? []).filter((s) => s.active);
  const [counts, progress] = await Promise.all([
    Promise.all(active.map((s) => funnels.counts(s.strategyId, s.version))),
    funnels.progress(config.version, PORTFOLIO_SEGMENTS),
  ]);
  return {
    configVersion: config.version,
    strategies: active.map((s, i) => ({
      strategyId: s.strategyId,
      version: s.version,
      stages: s.stages.map((st) => ({ stageId: st.stageId, accounts: counts[i]![st.stageId] ?? 0 })),
    })),
    placing: {
      segments: PORTFOLIO_SEGMENTS,
      done: progress.filter((p) => p.done).length,
      scanned: progress.reduce((n, p) => n + p.scanned, 0),
    },
  };
}
