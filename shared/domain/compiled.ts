import type { DecisionConfig } from '../schemas/config';
import { type CompiledCatalog, compileCatalog } from './offers';
import { type CompiledSegmentTable, compileSegmentTable } from './segments';

/** Compiled forms of a configuration, built once per version and reused across turns. */
export interface Compiled {
  config: DecisionConfig;
  catalog: CompiledCatalog;
  customerSegments: CompiledSegmentTable;
  cardSegments: CompiledSegmentTable;
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
    };
    compiledByVersion.set(config.version, c);
  }
  return c;
}
