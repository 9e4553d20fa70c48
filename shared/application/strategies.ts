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
 * judged at the change's own time (the record's `asOf`), so a redelivered change decides the same.
 * An account placed by a strategy no longer active leaves it.
 */
export function placerOf(
  config: DecisionConfig,
  clock: () => string = () => new Date().toISOString(),
): Placer {
  const compiled = compiledOf(config);
  return (after, cause) => {
    const now = after.asOf ?? clock();
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
