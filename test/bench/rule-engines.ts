import { Engine, type RuleProperties } from 'json-rules-engine';
import type { DecisionContext } from '../../shared/domain/offers';
import type { Condition, DecisionConfig, Offer } from '../../shared/schemas/config';

/**
 * The catalog's eligibility rules (applicability, segments, products held, suitability) written
 * two other ways, to compare with our compiled closures on the same inputs:
 * - as json-rules-engine rules (a general rules engine interpreting JSON);
 * - as plain TypeScript predicates: the code a developer would write by hand for each offer,
 *   generated here as source text (200 offers by hand would be 200 copies of the same shape).
 */

const JRE_OP: Record<string, string> = {
  lt: 'lessThan',
  lte: 'lessThanInclusive',
  gt: 'greaterThan',
  gte: 'greaterThanInclusive',
  eq: 'equal',
  neq: 'notEqual',
  in: 'in',
  notIn: 'notIn',
  has: 'contains',
  lacks: 'doesNotContain',
};

export type FlatFacts = Record<string, unknown>;
export const flatFacts = (ctx: DecisionContext): FlatFacts => ({
  ...ctx.facts,
  customerSegment: ctx.customerSegment,
  cardSegment: ctx.cardSegment,
  callType: ctx.callType,
});

function jreConditions(o: Offer) {
  const all: Array<{ fact: string; operator: string; value: unknown }> = [
    { fact: 'callType', operator: 'in', value: o.callTypes },
  ];
  if (o.customerSegments) all.push({ fact: 'customerSegment', operator: 'in', value: o.customerSegments });
  if (o.cardSegments) all.push({ fact: 'cardSegment', operator: 'in', value: o.cardSegments });
  if (o.product) all.push({ fact: 'productsHeld', operator: 'doesNotContain', value: o.product });
  for (const c of o.conditions) all.push({ fact: c.fact, operator: JRE_OP[c.op]!, value: c.value });
  return all;
}

/** One engine holding every rule of that kind; `run` resolves to the eligible offer ids. */
export function jsonRulesEngine(config: DecisionConfig, kind: Offer['kind']) {
  const rules: RuleProperties[] = config.offers
    .filter((o) => o.kind === kind)
    .map((o) => ({ conditions: { all: jreConditions(o) }, event: { type: o.offerId } }) as RuleProperties);
  const engine = new Engine(rules, { allowUndefinedFacts: false });
  return async (ctx: DecisionContext): Promise<string[]> => {
    const { events } = await engine.run(flatFacts(ctx));
    return events.map((e) => e.type);
  };
}

const js = (v: unknown) => JSON.stringify(v);
function jsCondition(c: Condition): string {
  switch (c.fact) {
    case 'cardFamily':
      return `${c.op === 'in' ? '' : '!'}${js(c.value)}.includes(f.cardFamily)`;
    case 'productsHeld':
      return `${c.op === 'has' ? '' : '!'}f.productsHeld.includes(${js(c.value)})`;
    default: {
      const op = { lt: '<', lte: '<=', gt: '>', gte: '>=', eq: '===', neq: '!==' }[c.op];
      return `f.${c.fact} ${op} ${c.value}`;
    }
  }
}
const oneOf = (v: string, xs: readonly string[]) => `(${xs.map((x) => `${v} === ${js(x)}`).join(' || ')})`;

/** Plain `if` statements, one per offer, as hand-written TypeScript would be. */
export function handWritten(config: DecisionConfig, kind: Offer['kind']): (ctx: DecisionContext) => string[] {
  const lines = config.offers
    .filter((o) => o.kind === kind)
    .map((o) => {
      const parts = [oneOf('ct', o.callTypes)];
      if (o.customerSegments) parts.push(oneOf('cs', o.customerSegments));
      if (o.cardSegments) parts.push(oneOf('ks', o.cardSegments));
      if (o.product) parts.push(`!f.productsHeld.includes(${js(o.product)})`);
      for (const c of o.conditions) parts.push(jsCondition(c));
      return `  if (${parts.join(' && ')}) out.push(${js(o.offerId)});`;
    });
  const body = `const f = ctx.facts, ct = ctx.callType, cs = ctx.customerSegment, ks = ctx.cardSegment;\nconst out = [];\n${lines.join('\n')}\nreturn out;`;
  return new Function('ctx', body) as (ctx: DecisionContext) => string[];
}
