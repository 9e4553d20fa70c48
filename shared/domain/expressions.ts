import type { Facts } from '../schemas/contact';
import { celEnvironment } from '../schemas/expressions';

/** Compiles a checked expression once into a predicate over the facts (checked by the config schema). */
export function compileExpression(expression: string): (facts: Facts) => boolean {
  const fn = celEnvironment().parse(expression);
  return (facts) => fn({ tags: [], ...facts } as unknown as Record<string, unknown>) === true;
}
