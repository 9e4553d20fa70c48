// Service strategies: where an account stands in each active strategy, and what moves it.

import type { Account } from '../schemas/account';
import type { AccountChurn } from '../schemas/churn';
import type { Contact, Facts } from '../schemas/contact';
import type { Queue } from '../schemas/enums';
import type { Strategy, StrategyStage } from '../schemas/strategy';
import { compileStrategyCondition } from './expressions';
import type { OutboundRequest } from './outbound';
import type { OutboxEvent } from './outbox';

/** "Never" in days (no contact, no event yet): far beyond any condition's horizon. */
export const NEVER_DAYS = 100_000;

/** An account's place in one strategy: the version it was placed by, its stage, since when and why. */
export interface Placement {
  version: number;
  stageId: string;
  since: string;
  /** What moved it there (an event's type, an import, a contact, the schedule, a backfill). */
  cause: string;
}
export type Placements = Record<string, Placement>;

/** One account moving in one strategy: out of a stage (`from`), into one (`to`), or both. */
export interface Move {
  strategyId: string;
  /** Where it was, and since when (the time it spent there ends with this move). */
  from?: { version: number; stageId: string; since?: string };
  to?: { version: number; stageId: string };
}

/** What the conditions read besides the facts (see STRATEGY_VARIABLES). */
export interface StrategyContext {
  facts: Facts;
  account: Pick<Account, 'flags' | 'recentContacts' | 'offerHistory' | 'tags'> & {
    lastEvent?: { type: string; at: string } | undefined;
  };
  now: string;
}

type Predicate = (vars: Record<string, unknown>) => boolean;
export interface CompiledStrategy {
  strategy: Strategy;
  inSegment: (vars: Record<string, unknown>, tags: readonly string[]) => boolean;
  launch: Predicate[];
}

/** The active strategies, their conditions compiled once (they were checked when the configuration was). */
export function compileStrategies(strategies: readonly Strategy[] | undefined): CompiledStrategy[] {
  return (strategies ?? [])
    .filter((s) => s.active)
    .map((strategy) => {
      const expr = strategy.segment.expression
        ? compileStrategyCondition(strategy.segment.expression)
        : undefined;
      const tag = strategy.segment.tag;
      return {
        strategy,
        inSegment: (vars, tags) => (tag === undefined || tags.includes(tag)) && (expr ? expr(vars) : true),
        launch: strategy.stages.map((st: StrategyStage) => compileStrategyCondition(st.launch)),
      };
    });
}

const DAY_MS = 86_400_000;
const days = (from: string | undefined, now: string) =>
  from === undefined ? NEVER_DAYS : Math.max(0, (Date.parse(now) - Date.parse(from)) / DAY_MS);

/** The variables of the conditions, but daysInStage (which depends on the strategy). */
export function strategyVariables(ctx: StrategyContext): Record<string, unknown> {
  const { account: a, now } = ctx;
  const contacts = a.recentContacts ?? [];
  const last = contacts.reduce<string | undefined>((m, x) => (m === undefined || x > m ? x : m), undefined);
  const since90 = Date.parse(now) - 90 * DAY_MS;
  const declines = Object.values(a.offerHistory ?? {}).filter(
    (h) => h.lastDeclinedAt !== undefined && Date.parse(h.lastDeclinedAt) >= since90,
  ).length;
  return {
    tags: a.tags ?? [],
    ...ctx.facts,
    daysSinceLastContact: days(last, now),
    contactsLast90Days: contacts.filter((x) => Date.parse(x) >= since90 && Date.parse(x) <= Date.parse(now))
      .length,
    offersDeclinedLast90Days: declines,
    lastEvent: a.lastEvent?.type ?? '',
    daysSinceLastEvent: days(a.lastEvent?.at, now),
    flags: Object.entries(a.flags)
      .filter(([, on]) => on)
      .map(([k]) => k),
  };
}

/**
 * Where the account goes in every active strategy, from where it is: it leaves a strategy when it
 * leaves the segment (or the strategy is no longer active); it enters at the first stage when that
 * stage's launch condition holds; it moves one stage on when the next stage's condition holds
 * (`daysInStage` is its time at the current one); an account placed by another version of the
 * strategy is placed afresh by this one. Placements that do not move are kept as they are.
 */
export function place(
  compiled: readonly CompiledStrategy[],
  ctx: StrategyContext,
  current: Placements | undefined,
  cause: string,
): { placements: Placements; moves: Move[] } {
  const next: Placements = {};
  const moves: Move[] = [];
  const vars = strategyVariables(ctx);
  const tags = (vars.tags as string[]) ?? [];
  const active = new Set(compiled.map((c) => c.strategy.strategyId));
  // Strategies no longer active: the account leaves them.
  for (const [id, p] of Object.entries(current ?? {}))
    if (!active.has(id))
      moves.push({ strategyId: id, from: { version: p.version, stageId: p.stageId, since: p.since } });
  for (const c of compiled) {
    const s = c.strategy;
    const held = current?.[s.strategyId];
    const same = held && held.version === s.version ? held : undefined;
    const from = held ? { version: held.version, stageId: held.stageId, since: held.since } : undefined;
    const idx = same ? s.stages.findIndex((st) => st.stageId === same.stageId) : -1;
    let to: number | undefined;
    if (c.inSegment({ ...vars, daysInStage: 0 }, tags)) {
      if (same && idx >= 0) {
        const daysInStage = days(same.since, ctx.now);
        to = idx + 1 < s.stages.length && c.launch[idx + 1]!({ ...vars, daysInStage }) ? idx + 1 : idx;
      } else if (c.launch[0]!({ ...vars, daysInStage: 0 })) to = 0;
    }
    if (to !== undefined && same && to === idx) {
      next[s.strategyId] = same;
      continue;
    }
    if (to !== undefined) {
      const stageId = s.stages[to]!.stageId;
      next[s.strategyId] = { version: s.version, stageId, since: ctx.now, cause };
      moves.push({
        strategyId: s.strategyId,
        ...(from ? { from } : {}),
        to: { version: s.version, stageId },
      });
    } else if (from) moves.push({ strategyId: s.strategyId, from });
  }
  return { placements: next, moves };
}

/** The funnel counters a set of moves changes: -1 where an account left, +1 where it arrived. */
export interface FunnelDelta {
  strategyId: string;
  version: number;
  stageId: string;
  delta: number;
}
export function funnelDeltas(moves: readonly Move[]): FunnelDelta[] {
  const out = new Map<string, FunnelDelta>();
  const add = (strategyId: string, version: number, stageId: string, delta: number) => {
    const k = JSON.stringify([strategyId, version, stageId]);
    const e = out.get(k) ?? { strategyId, version, stageId, delta: 0 };
    e.delta += delta;
    out.set(k, e);
  };
  for (const m of moves) {
    if (m.from) add(m.strategyId, m.from.version, m.from.stageId, -1);
    if (m.to) add(m.strategyId, m.to.version, m.to.stageId, 1);
  }
  return [...out.values()].filter((d) => d.delta !== 0);
}

/**
 * The scenario an inbound contact gets from the account's stages: the offers it may be offered (the
 * intersection of every `only`), those put first (in strategy order), and the route of the first
 * stage that sets one.
 */
export function inboundScenario(
  strategies: readonly Strategy[] | undefined,
  placements: Placements | undefined,
): {
  stages: { strategyId: string; stageId: string }[];
  only?: Set<string>;
  first: string[];
  route?: { queue: Queue; script?: string; strategyId: string };
} {
  let only: Set<string> | undefined;
  const first: string[] = [];
  const stages: { strategyId: string; stageId: string }[] = [];
  let route: { queue: Queue; script?: string; strategyId: string } | undefined;
  for (const s of strategies ?? []) {
    const p = placements?.[s.strategyId];
    if (!s.active || !p || p.version !== s.version) continue;
    const sc = s.stages.find((st) => st.stageId === p.stageId)?.scenario;
    if (!sc) continue;
    stages.push({ strategyId: s.strategyId, stageId: p.stageId });
    if (sc.offers?.only)
      only = only ? new Set([...only].filter((x) => sc.offers!.only!.includes(x))) : new Set(sc.offers.only);
    for (const id of sc.offers?.first ?? []) if (!first.includes(id)) first.push(id);
    if (sc.route && !route)
      route = {
        queue: sc.route.queue,
        ...(sc.route.script ? { script: sc.route.script } : {}),
        strategyId: s.strategyId,
      };
  }
  return { stages, ...(only ? { only } : {}), first, ...(route ? { route } : {}) };
}

/** The contact's copy of its scenario (none when the account is in no stage that asks anything). */
export function contactScenario(
  strategies: readonly Strategy[] | undefined,
  placements: Placements | undefined,
): Contact['scenario'] {
  const sc = inboundScenario(strategies, placements);
  if (sc.stages.length === 0) return undefined;
  return {
    stages: sc.stages,
    ...(sc.only ? { only: [...sc.only] } : {}),
    ...(sc.first.length ? { first: sc.first } : {}),
    ...(sc.route ? { route: sc.route } : {}),
  };
}

/**
 * The offers a scenario lets a contact get, in the order it asks: only those of `only` (when given),
 * those of `first` first (in its order), the rest as ranked.
 */
export function applyScenarioOffers<T extends { offer: { offerId: string } }>(
  ranked: readonly T[],
  scenario: Contact['scenario'],
): readonly T[] {
  // Most contacts have no scenario: their ranking is used as it is, not copied.
  if (!scenario) return ranked;
  const only = scenario.only ? new Set(scenario.only) : undefined;
  const allowed = only ? ranked.filter((r) => only.has(r.offer.offerId)) : [...ranked];
  const first = scenario.first ?? [];
  const rank = (id: string) => {
    const i = first.indexOf(id);
    return i < 0 ? first.length : i;
  };
  // A stable sort: the ranking stands among offers of the same rank.
  return allowed
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r.offer.offerId) - rank(b.r.offer.offerId) || a.i - b.i)
    .map((x) => x.r);
}

/** A placement: where the account goes, its moves, and the outbound contacts the stages entered ask for. */
export interface Placed {
  placements: Placements;
  moves: Move[];
  requests?: OutboundRequest[];
  /** The churn score to store with the change (only when it changed), and the early warning it raised. */
  churn?: AccountChurn;
  events?: OutboxEvent[];
}
/** Where an account's active strategies put it as a change leaves it (the change's cause named). */
export type Placer = (after: Account, cause: string) => Placed;
