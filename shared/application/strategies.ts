// Service strategies at work: the placer of the active configuration, and the funnels.

import { computeFacts } from '../domain/facts';
import {
  type CompiledStrategy,
  compileStrategies,
  type Move,
  type Placements,
  place,
} from '../domain/strategies';
import type { Account } from '../schemas/account';
import type { DecisionConfig } from '../schemas/config';

export type Placer = (after: Account, cause: string) => { placements: Placements; moves: Move[] };

/** Compiled once per configuration version (a container keeps the few it has seen). */
const compiledByVersion = new Map<string, CompiledStrategy[]>();
function compiledOf(config: DecisionConfig): CompiledStrategy[] {
  let c = compiledByVersion.get(config.version);
  if (!c) {
    if (compiledByVersion.size > 8) compiledByVersion.clear();
    c = compileStrategies(config.strategies);
    compiledByVersion.set(config.version, c);
  }
  return c;
}

/**
 * The placer of a configuration: where its active strategies put an account as a change leaves it,
 * judged at the change's own time (the record's `asOf`, so a redelivered change decides the same), or
 * at `judgeAt` when given (the schedule and the backfill read time conditions at their own time).
 * An account placed by a strategy no longer active leaves it.
 */
export function placerOf(config: DecisionConfig, judgeAt?: () => string): Placer {
  const compiled = compiledOf(config);
  return (after, cause) => {
    const now = judgeAt?.() ?? after.asOf ?? new Date().toISOString();
    return place(
      compiled,
      { facts: computeFacts(after, now, config.value), account: after, now },
      after.strategies,
      cause,
    );
  };
}

/** The placer of the active configuration, read through its cache; none before any is active. */
export async function activePlacer(configs: {
  active(): Promise<DecisionConfig | undefined>;
}): Promise<Placer | undefined> {
  const config = await configs.active();
  return config ? placerOf(config) : undefined;
}

/**
 * A placer that also tells what its last call moved (a write may place an account more than once
 * when it raced another writer; the last placement is the one written).
 */
export function watchedPlacer(placer: Placer): { placer: Placer; lastMoves: () => Move[] } {
  let last: Move[] = [];
  return {
    placer: (after, cause) => {
      const r = placer(after, cause);
      last = r.moves;
      return r;
    },
    lastMoves: () => last,
  };
}

/**
 * The log lines of stage entries and exits (no account: figures and times only). An exit says how
 * long the account spent at the stage, so the time customers spend in each stage can be reported
 * from the log (Logs Insights: `stats avg(daysInStage) by strategyId, stageId`).
 */
export function stageLogLines(moves: readonly Move[], at: string, cause: string): Record<string, unknown>[] {
  return moves.flatMap((m) => [
    ...(m.from
      ? [
          {
            event: 'STAGE_EXIT',
            strategyId: m.strategyId,
            version: m.from.version,
            stageId: m.from.stageId,
            at,
            cause,
            ...(m.from.since
              ? {
                  daysInStage:
                    Math.round(((Date.parse(at) - Date.parse(m.from.since)) / 86_400_000) * 100) / 100,
                }
              : {}),
          },
        ]
      : []),
    ...(m.to
      ? [
          {
            event: 'STAGE_ENTRY',
            strategyId: m.strategyId,
            version: m.to.version,
            stageId: m.to.stageId,
            at,
            cause,
          },
        ]
      : []),
  ]);
}
