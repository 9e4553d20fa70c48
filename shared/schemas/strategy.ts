import * as z from 'zod';
import { TagSchema } from './account';
import { QueueSchema } from './enums';
import { checkStrategyExpression } from './expressions';
import { lazy } from './lazy';
import { refuseDuplicates } from './unique';

/**
 * Service strategies (the service-strategy module the product was created from): a segment of
 * customers, and an ordered sequence of stages, each with a launch condition and a scenario. Once a
 * strategy is active, every account of its segment is placed in a stage, strictly as configured,
 * and the strategy is a funnel that counts the accounts at each stage.
 */
export const STRATEGY_KINDS = [
  'RETENTION_AT_RISK',
  'CROSS_SELL',
  'VIP_SERVICE',
  'COLLECTIONS',
  'TELEMARKETING',
] as const;

const Condition = lazy(() =>
  z
    .string()
    .min(1)
    .max(1000)
    .superRefine((e, ctx) => {
      const problem = checkStrategyExpression(e);
      if (problem) ctx.addIssue({ code: 'custom', message: `invalid CEL: ${problem}` });
    }),
);

const OfferId = lazy(() => z.string().regex(/^[a-z0-9][a-z0-9-]{2,47}$/, 'must be an offer id'));

/** What a stage does to the account's contacts, and what it starts. Every part is optional; one is needed. */
export const ScenarioSchema = lazy(() =>
  z
    .strictObject({
      /** Inbound contacts: only these offers (`only`), and/or these first (`first`, in this order). */
      offers: z
        .strictObject({
          only: z.array(OfferId).min(1).max(50).optional(),
          first: z.array(OfferId).min(1).max(10).optional(),
        })
        .refine((o) => o.only || o.first, { message: 'give only or first (or both)' })
        .optional(),
      /** Inbound contacts go to this queue, with this line for the person who takes them. */
      route: z.strictObject({ queue: QueueSchema, script: z.string().min(1).max(300).optional() }).optional(),
      /** An outbound contact, under the outbound contact policy, when the account enters the stage. */
      outbound: z
        .strictObject({
          channel: z.enum(['VOICE', 'AGENT_TASK', 'MESSAGE']),
          purpose: z.string().min(1).max(200),
        })
        .optional(),
      /** A task for a team when the account enters the stage. */
      task: z.strictObject({ team: z.string().min(1).max(60), note: z.string().min(1).max(300) }).optional(),
    })
    .refine((s) => s.offers || s.route || s.outbound || s.task, {
      message: 'a scenario does something: give offers, route, outbound or task',
    }),
);
export type Scenario = z.infer<typeof ScenarioSchema>;

export const StrategyStageSchema = lazy(() =>
  z.strictObject({
    stageId: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'must be UPPER_SNAKE_CASE'),
    name: z.string().min(1).max(100),
    /**
     * When an account enters this stage (CEL over the facts and STRATEGY_VARIABLES): the first stage's
     * when it is in the segment, each next one's while it is at the stage before it.
     */
    launch: Condition,
    scenario: ScenarioSchema,
  }),
);
export type StrategyStage = z.infer<typeof StrategyStageSchema>;

export const StrategySchema = lazy(() =>
  z
    .strictObject({
      strategyId: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{2,47}$/, 'must be lower-kebab-case, 3 to 48 characters'),
      /** The strategy's own version: a new one is placed afresh (its funnel starts from a backfill). */
      version: z.number().int().min(1).max(1_000_000),
      kind: z.enum(STRATEGY_KINDS),
      name: z.string().min(1).max(100),
      description: z.string().max(500).optional(),
      active: z.boolean(),
      /** Who is in it: a CEL condition over the facts, a tag set by another system, or both (both must hold). */
      segment: z
        .strictObject({ expression: Condition.optional(), tag: TagSchema.optional() })
        .refine((s) => s.expression !== undefined || s.tag !== undefined, {
          message: 'give expression or tag (or both)',
        }),
      stages: z.array(StrategyStageSchema).min(1).max(20),
    })
    .superRefine((s, ctx) => refuseDuplicates(ctx, s.stages, ['stages'], 'stageId')),
);
export type Strategy = z.infer<typeof StrategySchema>;
