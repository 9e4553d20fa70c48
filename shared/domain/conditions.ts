import type { Condition } from '../schemas/config';
import type { Facts } from '../schemas/contact';

export type Predicate = (facts: Facts) => boolean;

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
      // One closure per operator: no operator lookup or indirect call per evaluation.
      const { fact, value } = c;
      switch (c.op) {
        case 'lt':
          return (f) => f[fact] < value;
        case 'lte':
          return (f) => f[fact] <= value;
        case 'gt':
          return (f) => f[fact] > value;
        case 'gte':
          return (f) => f[fact] >= value;
        case 'eq':
          return (f) => f[fact] === value;
        case 'neq':
          return (f) => f[fact] !== value;
      }
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
