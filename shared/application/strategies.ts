// Service strategies at work: the placer of the active configuration, and the funnels.

import {
  type ChurnScorer,
  churnWarningEvent,
  compileChurnModel,
  nextChurn,
  roundRisk,
} from '../domain/churn';
import { computeFacts } from '../domain/facts';
import { outboundRequests } from '../domain/outbound';
import {
  type CompiledStrategy,
  compileStrategies,
  type Move,
  type Placer,
  place,
} from '../domain/strategies';
import type { Account } from '../schemas/account';
import type { DecisionConfig } from '../schemas/config';

export type { Placer } from '../domain/strategies';

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
  const scorer = churnScorerOf(config);
  return (after, cause) => {
    const now = judgeAt?.() ?? after.asOf ?? new Date().toISOString();
    // The active churn model scores the account as the change leaves it; strategies read the score.
    const facts = computeFacts(after, now, config.value, scorer);
    const placed = place(compiled, { facts, account: after, now }, after.strategies, cause);
    // The contacts and tasks the stages entered start, asked for in the same write as the placement.
    const requests = outboundRequests(config.strategies, placed.moves, after.accountId, cause, now);
    // The stored score describes the figures as the issuer saw them: scored at the record's asOf on
    // every path (as the model was trained), so the schedule's clock alone never moves it.
    const scoredAt = after.asOf ?? now;
    const scored =
      scorer && config.churn
        ? nextChurn(
            after.churn,
            scoredAt === now ? facts.churnRisk : roundRisk(scorer.score(after, scoredAt)),
            scorer.modelId,
            config.churn.warnAt,
            scoredAt,
          )
        : {};
    return {
      ...placed,
      ...(requests.length ? { requests } : {}),
      ...(scored.churn ? { churn: scored.churn } : {}),
      ...(scored.churn && scored.warning
        ? {
            events: [
              churnWarningEvent(after.accountId, scored.churn, scored.warning, cause, after.churn?.at),
            ],
          }
        : {}),
    };
  };
}

/** The scorer of the configuration's churn model (none without one). */
export function churnScorerOf(config: DecisionConfig): ChurnScorer | undefined {
  return config.churn ? compileChurnModel(config.churn.model) : undefined;
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

/** What a configuration's strategies would do to a sample of accounts, before it goes live. */
export interface StrategySimulation {
  configVersion: string;
  sampled: number;
  days: number;
  strategies: {
    strategyId: string;
    version: number;
    name: string;
    /** Accounts at each stage once the version is activated (its backfill), and after `days` days. */
    stages: { stageId: string; name: string; onActivation: number; afterDays: number; outbound: boolean }[];
    /** Outbound contacts its stages would start: on activation, then each simulated day. */
    outbound: { onActivation: number; perDay: number[] };
  }[];
}

/**
 * Places a sample of accounts with a configuration as its activation would (from where they are
 * now), then day by day with the daily schedule (conditions on time; no event is assumed), counting
 * the accounts at each stage and the outbound contacts that entering a stage would start. Nothing
 * is written.
 */
export function simulateStrategies(
  accounts: readonly Account[],
  config: DecisionConfig,
  now: string,
  days: number,
): StrategySimulation {
  const active = (config.strategies ?? []).filter((s) => s.active);
  const compiled = compileStrategies(active);
  const DAY = 86_400_000;
  const result = active.map((s) => ({
    strategyId: s.strategyId,
    version: s.version,
    name: s.name,
    stages: s.stages.map((st) => ({
      stageId: st.stageId,
      name: st.name,
      onActivation: 0,
      afterDays: 0,
      outbound: st.scenario.outbound !== undefined,
    })),
    outbound: { onActivation: 0, perDay: Array.from({ length: days }, () => 0) },
  }));
  const byId = new Map(result.map((r) => [r.strategyId, r]));
  const scorer = churnScorerOf(config);
  const count = (moves: Move[], day: number | undefined) => {
    for (const m of moves) {
      const r = byId.get(m.strategyId);
      const st = m.to ? r?.stages.find((x) => x.stageId === m.to!.stageId) : undefined;
      if (!r || !st?.outbound) continue;
      if (day === undefined) r.outbound.onActivation++;
      else r.outbound.perDay[day]!++;
    }
  };
  for (const a of accounts) {
    let held = a.strategies;
    const at = (t: string) => {
      const r = place(
        compiled,
        { facts: computeFacts(a, t, config.value, scorer), account: a, now: t },
        held,
        'SIMULATION',
      );
      held = r.placements;
      return r.moves;
    };
    count(at(now), undefined);
    for (const r of result) {
      const p = held?.[r.strategyId];
      const st = p ? r.stages.find((x) => x.stageId === p.stageId) : undefined;
      if (st) st.onActivation++;
    }
    for (let d = 0; d < days; d++) count(at(new Date(Date.parse(now) + (d + 1) * DAY).toISOString()), d);
    for (const r of result) {
      const p = held?.[r.strategyId];
      const st = p ? r.stages.find((x) => x.stageId === p.stageId) : undefined;
      if (st) st.afterDays++;
    }
  }
  return { configVersion: config.version, sampled: accounts.length, days, strategies: result };
}
