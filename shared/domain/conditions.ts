import type { Condition } from '../schemas/config';
import type { Facts } from '../schemas/contact';

export type Predicate = (facts: Facts) => boolean;

const NUMERIC: Record<string, (a: number, b: number) => boolean> = {
  lt: (a, b) => a < b,
  lte: (a, b) => a <= b,
  gt: (a, b) => a > b,
  gte: (a, b) => a >= b,
  eq: (a, b) => a === b,
  neq: (a, b) => a !== b,
};
const SYMBOL: Record<string, string> = { lt: '<', lte: '≤', gt: '>', gte: '≥', eq: '=', neq: '≠' };

/** Compiles one condition into a closure once, so a decision never interprets rule data. */
export function compileCondition(c: Condition): Predicate {
  switch (c.fact) {
    case 'cardFamily': {
      const set = new Set<string>(c.value);
      return c.op === 'in' ? (f) => set.has(f.cardFamily) : (f) => !set.has(f.cardFamily);
    }
    case 'productsHeld':
      return c.op === 'has'
        ? (f) => f.productsHeld.includes(c.value)
        : (f) => !f.productsHeld.includes(c.value);
    default: {
      const cmp = NUMERIC[c.op]!;
      const { fact, value } = c;
      return (f) => cmp(f[fact], value);
    }
  }
}

/** All must hold; an empty list always holds. */
export function compileAll(conds: readonly Condition[]): Predicate {
  const ps = conds.map(compileCondition);
  if (ps.length === 0) return () => true;
  return (f) => {
    for (const p of ps) if (!p(f)) return false;
    return true;
  };
}

/** A short human reading of a condition with the fact's actual value, for decision reasons. */
export function explainCondition(c: Condition, facts: Facts): string {
  switch (c.fact) {
    case 'cardFamily':
      return `card family ${facts.cardFamily} ${c.op === 'in' ? 'in' : 'not in'} [${c.value.join(', ')}]`;
    case 'productsHeld':
      return `${c.op === 'has' ? 'holds' : 'does not hold'} ${c.value}`;
    default:
      return `${c.fact} ${facts[c.fact]} ${SYMBOL[c.op]} ${c.value}`;
  }
}
