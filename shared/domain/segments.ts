import type { SegmentTable } from '../schemas/config';
import type { Facts } from '../schemas/contact';
import { compileAll, explainCondition, type Predicate } from './conditions';
import { compileExpression } from './expressions';

export interface CompiledSegmentTable {
  classify(facts: Facts): { segment: string; reasons: string[] };
}

/** Ordered rules, first match wins; the reasons name the facts that put the account there. */
export function compileSegmentTable(table: SegmentTable): CompiledSegmentTable {
  const rules = table.rules.map((r) => ({
    rule: r,
    test: (r.expression !== undefined
      ? compileExpression(r.expression)
      : compileAll(r.when ?? [])) as Predicate,
  }));
  return {
    classify(facts) {
      for (const { rule, test } of rules) {
        if (test(facts)) {
          const why =
            rule.expression !== undefined
              ? [rule.expression]
              : (rule.when ?? []).map((c) => explainCondition(c, facts));
          return {
            segment: rule.segment,
            reasons: [`${rule.segment}: ${rule.description}${why.length ? ` (${why.join('; ')})` : ''}`],
          };
        }
      }
      return { segment: table.fallback, reasons: [`${table.fallback}: no other rule matched`] };
    },
  };
}
