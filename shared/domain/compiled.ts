import type { DecisionConfig } from '../schemas/config';
import { type ChurnScorer, compileChurnModel } from './churn';
import { type CompiledCatalog, compileCatalog } from './offers';
import { type CompiledSegmentTable, compileSegmentTable } from './segments';
import { type CompiledStrategy, compileStrategies } from './strategies';

/** Compiled forms of a configuration, built once per version and reused across turns. */
export interface Compiled {
  config: DecisionConfig;
  catalog: CompiledCatalog;
  customerSegments: CompiledSegmentTable;
  cardSegments: CompiledSegmentTable;
  /** The active strategies (placement at the start of a contact). */
  strategies: CompiledStrategy[];
  /** The active churn model's scorer, when the configuration has one. */
  churn?: ChurnScorer;
}

const compiledByVersion = new Map<string, Compiled>();

/** The compiled configuration, memoised by version (a configuration version never changes once stored). */
export function compile(config: DecisionConfig): Compiled {
  let c = compiledByVersion.get(config.version);
  if (!c || c.config !== config) {
    c = {
      config,
      catalog: compileCatalog(config),
      customerSegments: compileSegmentTable(config.customerSegments),
      cardSegments: compileSegmentTable(config.cardSegments),
      strategies: compileStrategies(config.strategies),
      ...(config.churn ? { churn: compileChurnModel(config.churn.model) } : {}),
    };
    compiledByVersion.set(config.version, c);
  }
  return c;
}
