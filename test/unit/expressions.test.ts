import { describe, expect, it } from 'vitest';
import { compileSegmentTable } from '../../shared/domain/segments';
import { DecisionConfigSchema } from '../../shared/schemas/config';
import { checkExpression } from '../../shared/schemas/expressions';
import { contexts } from '../bench/catalog';
import { config, NOW } from '../fakes/accounts';

describe('segments in CEL', () => {
  it.each([
    ['fullPayRatio >= 0.8 && annualSpend >= 30000', undefined],
    ['cardFamily in ["STUDENT", "SECURED"] || "SAVINGS" in productsHeld', undefined],
    ['tenureMonths < 6 ||', 'Unexpected'],
    ['shoeSize > 3', 'Unknown variable: shoeSize'],
    ['annualSpend + 1.0', 'bool'],
    ['annualSpend + 1 > 5', 'no such overload'],
  ])('%s → %s', (e, problem) => {
    const r = checkExpression(e);
    if (problem) expect(r).toContain(problem);
    else expect(r).toBeUndefined();
  });

  it('a CEL rule and the same rule as conditions put every account in the same segment', () => {
    const asConditions = {
      ...config.customerSegments,
      rules: config.customerSegments.rules.map((r) =>
        r.segment === 'PREMIUM_TRANSACTOR'
          ? {
              segment: r.segment,
              description: r.description,
              when: [
                { fact: 'fullPayRatio' as const, op: 'gte' as const, value: 0.8 },
                { fact: 'annualSpend' as const, op: 'gte' as const, value: 30000 },
              ],
            }
          : r,
      ),
    };
    const cel = compileSegmentTable(config.customerSegments);
    const plain = compileSegmentTable(asConditions);
    const ctxs = contexts(2000, NOW);
    let premium = 0;
    for (const c of ctxs) {
      expect(cel.classify(c.facts).segment).toBe(plain.classify(c.facts).segment);
      if (cel.classify(c.facts).segment === 'PREMIUM_TRANSACTOR') premium++;
    }
    expect(premium).toBeGreaterThan(10);
  });

  it('a configuration with a bad expression is refused with the failing path and position', () => {
    const bad = structuredClone(config);
    bad.customerSegments.rules[5] = { segment: 'X', description: 'x', expression: 'annualSpend >= ' };
    const r = DecisionConfigSchema.safeParse(bad);
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path.join('.') === 'customerSegments.rules.5.expression');
    expect(issue?.message).toMatch(/invalid CEL: Unexpected token[\s\S]*\^/);
  });

  it('a rule with both forms, or neither, is refused', () => {
    const both = structuredClone(config);
    both.customerSegments.rules[0] = { ...both.customerSegments.rules[0]!, expression: 'riskScore > 0.5' };
    expect(DecisionConfigSchema.safeParse(both).success).toBe(false);
    const neither = structuredClone(config);
    neither.customerSegments.rules[0] = { segment: 'X', description: 'x' };
    expect(DecisionConfigSchema.safeParse(neither).success).toBe(false);
  });
});
