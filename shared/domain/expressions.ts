import { Environment } from '@marcbachmann/cel-js';
import { NUMERIC_FACTS } from '../schemas/config';
import type { Facts } from '../schemas/contact';

/**
 * Segment definitions in CEL (Common Expression Language): no code execution, no loops, no I/O.
 * Expressions read the facts by name (`tenureMonths < 6 && annualSpend >= 30000`,
 * `cardFamily in ["STUDENT", "SECURED"]`, `"SAVINGS" in productsHeld`, `"WINBACK_Q4" in tags`), are
 * parsed and type-checked
 * once, and evaluate to a bool.
 */
let env: Environment | undefined;
function environment(): Environment {
  if (!env) {
    let e = new Environment();
    for (const f of NUMERIC_FACTS) e = e.registerVariable(f, 'double');
    env = e
      .registerVariable('cardFamily', 'string')
      .registerVariable('productsHeld', 'list')
      .registerVariable('tags', 'list');
  }
  return env;
}

/** The first problem with an expression (syntax with its position, unknown fact, not a bool), if any. */
export function checkExpression(expression: string): string | undefined {
  try {
    const parsed = environment().parse(expression);
    const r = parsed.check();
    if (!r.valid) return r.error?.message ?? 'invalid expression';
    if (r.type !== 'bool') return `must be a condition (bool), not ${r.type}`;
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** Compiles a checked expression once into a predicate over the facts. */
export function compileExpression(expression: string): (facts: Facts) => boolean {
  const fn = environment().parse(expression);
  return (facts) => fn({ tags: [], ...facts } as unknown as Record<string, unknown>) === true;
}
