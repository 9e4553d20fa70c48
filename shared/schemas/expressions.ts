import { Environment } from '@marcbachmann/cel-js';
import { NUMERIC_FACTS } from './facts';

/**
 * Segment definitions in CEL (Common Expression Language): no code execution, no loops, no I/O.
 * Expressions read the facts by name (`tenureMonths < 6 && annualSpend >= 30000`,
 * `cardFamily in ["STUDENT", "SECURED"]`, `"SAVINGS" in productsHeld`, `"WINBACK_Q4" in tags`), are
 * parsed and type-checked once, and evaluate to a bool.
 *
 * The language (which facts exist, their types) is part of the configuration contract: the schema
 * refuses a bad expression when the configuration is parsed. The domain evaluates in this same
 * environment, so what was checked and what runs cannot disagree.
 */
/** The facts as CEL variables, and any others given (their CEL types). */
function factsEnvironment(extra: Readonly<Record<string, string>> = {}): Environment {
  let e = new Environment();
  for (const f of NUMERIC_FACTS) e = e.registerVariable(f, 'double');
  e = e
    .registerVariable('cardFamily', 'string')
    .registerVariable('productsHeld', 'list')
    .registerVariable('tags', 'list');
  for (const [name, type] of Object.entries(extra)) e = e.registerVariable(name, type);
  return e;
}

let env: Environment | undefined;
export function celEnvironment(): Environment {
  env ??= factsEnvironment();
  return env;
}

/** The first problem with an expression in an environment (syntax with its position, unknown name, not a bool). */
function problemIn(environment: Environment, expression: string): string | undefined {
  try {
    const r = environment.parse(expression).check();
    if (!r.valid) return r.error?.message ?? 'invalid expression';
    if (r.type !== 'bool') return `must be a condition (bool), not ${r.type}`;
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** The first problem with an expression (syntax with its position, unknown fact, not a bool), if any. */
export const checkExpression = (expression: string): string | undefined =>
  problemIn(celEnvironment(), expression);

/**
 * What a strategy's segment and launch conditions read besides the facts: the account's place in
 * the strategy and its history. Days are whole or fractional days; "never" is 100000 days.
 */
export const STRATEGY_VARIABLES = {
  daysInStage: 'double',
  daysSinceLastContact: 'double',
  contactsLast90Days: 'double',
  offersDeclinedLast90Days: 'double',
  lastEvent: 'string',
  daysSinceLastEvent: 'double',
  flags: 'list',
} as const;

let strategyEnv: Environment | undefined;
/** The facts' environment plus STRATEGY_VARIABLES: strategies' segments and launch conditions. */
export function strategyEnvironment(): Environment {
  strategyEnv ??= factsEnvironment(STRATEGY_VARIABLES);
  return strategyEnv;
}

/** The first problem with a strategy condition, if any (as checkExpression, in the strategy environment). */
export const checkStrategyExpression = (expression: string): string | undefined =>
  problemIn(strategyEnvironment(), expression);
