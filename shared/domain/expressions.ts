import type { Facts } from '../schemas/contact';
import { celEnvironment, strategyEnvironment } from '../schemas/expressions';

/** Compiles a checked expression once into a predicate over the facts (checked by the config schema). */
export function compileExpression(expression: string): (facts: Facts) => boolean {
  const fn = celEnvironment().parse(expression);
  return (facts) => fn({ tags: [], ...facts } as unknown as Record<string, unknown>) === true;
}

/** Compiles a strategy's segment or launch condition (checked by the strategy schema) into a predicate. */
export function compileStrategyCondition(expression: string): (vars: Record<string, unknown>) => boolean {
  const fn = strategyEnvironment().parse(expression);
  return (vars) => fn(vars) === true;
}
