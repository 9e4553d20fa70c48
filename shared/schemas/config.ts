import * as z from 'zod';
import {
  CardFamilySchema,
  HeldProductSchema,
  MoneySchema,
  NonNegMoneySchema,
  StoredNumberSchema,
  TagSchema,
  TimeZoneSchema,
} from './account';
import { ChurnModelSchema } from './churn';
import { CallTypeSchema, OFFER_TYPES, QueueSchema, VERIFICATION_STATES } from './enums';
import { checkExpression } from './expressions';
import { NumericFactSchema } from './facts';
import { ActedBySchema } from './identity';
import { lazy } from './lazy';
import { StrategySchema } from './strategy';
import { refuseDuplicates } from './unique';

// The closed vocabularies (call types, queues, stages) live in ./enums, so a module that needs only
// them does not build the configuration's schemas nor load the expression language (CEL).
export {
  CALL_TYPES,
  type CallType,
  CallTypeSchema,
  OFFER_TYPES,
  QUEUES,
  type Queue,
  QueueSchema,
  STAGES,
  type Stage,
  StageSchema,
  VERIFICATION_STATES,
} from './enums';

// The facts live in their own module so the expression language (./expressions) can name them.
export { NUMERIC_FACTS, type NumericFact, NumericFactSchema } from './facts';

/** One condition over the facts. Conditions are data: compiled once into predicates. */
export const ConditionSchema = lazy(() =>
  z.discriminatedUnion('op', [
    z
      .object({
        fact: NumericFactSchema,
        op: z.enum(['lt', 'lte', 'gt', 'gte', 'eq', 'neq']),
        value: StoredNumberSchema,
      })
      .strict(),
    z
      .object({
        fact: z.literal('cardFamily'),
        op: z.enum(['in', 'notIn']),
        value: z.array(CardFamilySchema).min(1),
      })
      .strict(),
    z
      .object({ fact: z.literal('productsHeld'), op: z.enum(['has', 'lacks']), value: HeldProductSchema })
      .strict(),
  ]),
);
export type Condition = z.infer<typeof ConditionSchema>;

const SegmentName = lazy(() => z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'must be UPPER_SNAKE_CASE'));

/**
 * A segment rule: its conditions as a list (`when`, all must hold) or as one CEL expression
 * (`expression`, e.g. `fullPayRatio >= 0.8 && annualSpend >= 30000`), checked when the
 * configuration is validated: a bad expression is refused with its position.
 */
export const SegmentRuleSchema = lazy(() =>
  z
    .object({
      segment: SegmentName,
      description: z.string().min(1).max(200),
      when: z.array(ConditionSchema).optional(),
      expression: z
        .string()
        .min(1)
        .max(1000)
        .superRefine((e, ctx) => {
          const problem = checkExpression(e);
          if (problem) ctx.addIssue({ code: 'custom', message: `invalid CEL: ${problem}` });
        })
        .optional(),
    })
    .strict()
    .refine((r) => (r.when === undefined) !== (r.expression === undefined), {
      message: 'give either when (conditions) or expression (CEL), not both',
      path: ['expression'],
    }),
);
export type SegmentRule = z.infer<typeof SegmentRuleSchema>;

/** Ordered rules: the first whose conditions all hold names the segment; `fallback` otherwise. */
export const SegmentTableSchema = lazy(() =>
  z.object({ rules: z.array(SegmentRuleSchema), fallback: SegmentName }).strict(),
);
export type SegmentTable = z.infer<typeof SegmentTableSchema>;

/** Per account and offer: no repeat within N days of a decline, at most M presentations. */
export const ContactPolicySchema = lazy(() =>
  z
    .object({
      suppressDaysAfterDecline: z.number().int().min(0).max(3650),
      maxPresentations: z.number().int().min(1).max(1000),
    })
    .strict(),
);

export const OfferSchema = lazy(() =>
  z
    .object({
      offerId: z.string().regex(/^[a-z0-9][a-z0-9-]{2,47}$/, 'must be lower-kebab-case, 3 to 48 characters'),
      kind: z.enum(['RETENTION', 'CROSS_SELL']),
      type: z.enum(OFFER_TYPES),
      title: z.string().min(1).max(100),
      /** Call types the offer applies to. */
      callTypes: z.array(CallTypeSchema).min(1),
      /** Eligible segments; absent means every segment. */
      customerSegments: z.array(SegmentName).min(1).optional(),
      cardSegments: z.array(SegmentName).min(1).optional(),
      /** Suitability: all must hold (ability to pay, usage that calls for the product, ...). */
      conditions: z.array(ConditionSchema),
      /** Cross-sell: the product it sells, never offered to a holder of it. */
      product: HeldProductSchema.optional(),
      /** Issuer's cost if accepted: fixed + shares of the account's own figures. */
      cost: z
        .object({
          fixed: NonNegMoneySchema,
          annualFeeShare: StoredNumberSchema.min(0).max(1),
          interestShare: StoredNumberSchema.min(0).max(1),
          spendShare: StoredNumberSchema.min(0).max(0.1),
        })
        .strict(),
      /** Prior probability that the customer accepts, before segment and call-type adjustment. */
      acceptProbability: StoredNumberSchema.gt(0).lt(1),
      /** Cross-sell: the new product's expected annual margin for the issuer. */
      annualMargin: NonNegMoneySchema.optional(),
      /** Who may grant it: any agent (the default), a retention specialist, or a supervisor. */
      authority: z.enum(['AGENT', 'SPECIALIST', 'SUPERVISOR']).optional(),
      /** Validity window (UTC dates, inclusive); absent ends mean open. */
      validFrom: z.iso.date().optional(),
      validUntil: z.iso.date().optional(),
      /** Contact policy for this offer (overrides the configuration's default). */
      contactPolicy: ContactPolicySchema.optional(),
      /** Budget cap per period (UTC day or month): accepts and/or money; never exceeded, even under concurrency. */
      budget: z
        .object({
          period: z.enum(['DAY', 'MONTH']),
          maxAccepts: z.number().int().positive().optional(),
          maxCost: NonNegMoneySchema.positive().optional(),
        })
        .strict()
        .refine((b) => b.maxAccepts !== undefined || b.maxCost !== undefined, {
          message: 'give maxAccepts or maxCost (or both)',
        })
        .optional(),
      scripts: z
        .object({
          voice: z.string().min(1).max(600),
          chat: z.string().min(1).max(600),
          agent: z.string().min(1).max(600),
        })
        .strict(),
    })
    .strict()
    .refine((o) => o.kind === 'RETENTION' || (o.product !== undefined && o.annualMargin !== undefined), {
      message: 'a CROSS_SELL offer needs product and annualMargin',
      path: ['product'],
    })
    .refine((o) => !o.validFrom || !o.validUntil || o.validFrom <= o.validUntil, {
      message: 'validUntil is before validFrom',
      path: ['validUntil'],
    }),
);
export type Offer = z.infer<typeof OfferSchema>;

/**
 * The kill switch (a bad night): while a configuration carries it, no offer of any kind is presented
 * and every contact that would stay in the retention flow goes to a person (shared/domain/kill-switch.ts).
 * Set and cleared by `POST /v1/admin/kill-switch`, which records who, when and why in the audit log.
 */
export const KillSwitchSchema = lazy(() =>
  z.strictObject({
    /** Why it is on, in a few words (shown in the contacts' route reasons and the audit log). */
    reason: z.string().trim().min(3).max(300),
    since: z.iso.datetime(),
    by: ActedBySchema.optional(),
  }),
);
export type KillSwitch = z.infer<typeof KillSwitchSchema>;

/** Routing: ordered rules, the first that matches decides queue, priority and whether the call continues. */
export const RoutingRuleSchema = lazy(() =>
  z
    .object({
      id: z.string().min(1).max(60),
      reason: z.string().min(1).max(200),
      when: z
        .object({
          identified: z.boolean().optional(),
          verification: z.array(z.enum(VERIFICATION_STATES)).min(1).optional(),
          callTypes: z.array(CallTypeSchema).min(1).optional(),
          customerSegments: z.array(SegmentName).min(1).optional(),
          /** Matches when any of these flags is set. */
          anyFlag: z
            .array(z.enum(['fraudHold', 'collections', 'bankruptcy', 'deceased', 'closed']))
            .min(1)
            .optional(),
          /** Matches when annual profit is at least this. */
          minAnnualProfit: MoneySchema.optional(),
        })
        .strict(),
      queue: QueueSchema,
      priority: z.number().int().min(1).max(5),
      /** CONTINUE keeps the call in the retention flow; the others end it at that stage. */
      stage: z.enum(['CONTINUE', 'ROUTED', 'LOCKED', 'UNIDENTIFIED']),
    })
    .strict(),
);
export type RoutingRule = z.infer<typeof RoutingRuleSchema>;

export const CallTypePolicySchema = lazy(() =>
  z
    .object({
      /** The customer asked to close: a decline of everything ends in a recorded closure request. */
      closing: z.boolean(),
      /** Whether any offer may be made at all (never for fraud, lost or stolen cards). */
      salesAllowed: z.boolean(),
      /** Share of the customer's value at stake if nothing is done. */
      churnRisk: StoredNumberSchema.min(0).max(1),
    })
    .strict(),
);

export const RateLimitSchema = lazy(() =>
  z
    .object({
      max: z.number().int().min(1).max(100_000),
      windowSeconds: z.number().int().min(10).max(86_400),
    })
    .strict(),
);
export type RateLimit = z.infer<typeof RateLimitSchema>;

const HHMM = () => z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM');
/** When and how often Retention Desk may start a contact (shared/domain/outbound.ts judges it). */
export const OutboundPolicySchema = lazy(() =>
  z.strictObject({
    /** No outbound contact between these local times of the customer (the window may span midnight). */
    quietHours: z.strictObject({ from: HHMM(), to: HHMM() }),
    /** At most this many outbound contacts per account in `periodDays`. */
    maxContacts: z.number().int().min(0).max(50),
    periodDays: z.number().int().min(1).max(365),
    /** The tag that stops calls (an agent's call included), and the one that stops every outbound contact. */
    doNotCallTag: TagSchema,
    doNotContactTag: TagSchema,
    /** The time zone of an account that has none (IANA). */
    defaultTimeZone: TimeZoneSchema,
  }),
);
export type OutboundPolicy = z.infer<typeof OutboundPolicySchema>;

export const DecisionConfigSchema = lazy(() =>
  z
    .object({
      version: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/),
      customerSegments: SegmentTableSchema,
      cardSegments: SegmentTableSchema,
      callTypes: z.record(CallTypeSchema, CallTypePolicySchema),
      routing: z.array(RoutingRuleSchema).min(1),
      verification: z
        .object({
          requiredFactors: z.number().int().min(1).max(5),
          maxFailures: z.number().int().min(1).max(10),
          lockMinutes: z.number().int().min(1).max(1440),
        })
        .strict(),
      /** Requests counted per window (defaults in shared/domain/rate-limits.ts when absent). */
      rateLimits: z
        .object({
          startsPerPhone: RateLimitSchema,
          startsPerAccount: RateLimitSchema,
          verificationsPerAccount: RateLimitSchema,
        })
        .strict()
        .optional(),
      value: z
        .object({
          /** Loss given default, as a share of exposure. */
          lossGivenDefault: StoredNumberSchema.min(0).max(1),
          horizonYears: z.number().int().min(1).max(10),
          discountRate: StoredNumberSchema.min(0).max(0.5),
          /** Yearly probability that a kept customer stays. */
          retentionRate: StoredNumberSchema.min(0).max(1),
          /** Servicing cost of one contact (added to the customer's cost for each in the last 12 months). */
          contactCost: StoredNumberSchema.min(0).max(1000).optional(),
        })
        .strict(),
      limits: z
        .object({
          /** Retention offers presented at once, and at most in one contact. */
          offersPerTurn: z.number().int().min(1).max(5),
          maxRetentionOffers: z.number().int().min(1).max(10),
          maxCrossSellOffers: z.number().int().min(0).max(5),
        })
        .strict(),
      offers: z.array(OfferSchema),
      /** Default contact policy per account and offer: no repeat soon after a decline, no endless repeats. */
      contactPolicy: ContactPolicySchema.optional(),
      /** The outbound contact policy (absent: DEFAULT_OUTBOUND_POLICY of shared/domain/outbound.ts). */
      outboundPolicy: OutboundPolicySchema.optional(),
      /** Learning acceptance from answers (absent: the defaults of shared/domain/learning.ts). */
      learning: z
        .object({
          /** How many observations the catalog's prior is worth. */
          priorStrength: StoredNumberSchema.positive().max(10_000),
          /** Share of decisions that sample the posterior (Thompson) instead of using its mean. */
          explorationShare: StoredNumberSchema.min(0).max(0.5),
          /** Share of accounts, sticky, decided on the catalog priors only (the control group). */
          controlShare: StoredNumberSchema.min(0).max(0.5),
        })
        .strict()
        .optional(),
      /** Present: the kill switch is on (see KillSwitchSchema). */
      killSwitch: KillSwitchSchema.optional(),
      /** Service strategies (./strategy): segments of customers taken through ordered stages. */
      strategies: z.array(StrategySchema).max(50).optional(),
      /**
       * The active churn model (./churn) and its early-warning threshold: it scores each account at
       * import and at every event, and every decision (customer value, the risk at stake, the fact
       * `churnRisk`). Activated with the configuration version it belongs to. Absent: no score, the
       * call type's risk alone.
       */
      churn: z
        .strictObject({
          model: ChurnModelSchema,
          /** A score crossing this upwards raises the early-warning event (Churn Risk Raised). */
          warnAt: StoredNumberSchema.min(0.01).max(0.99),
        })
        .optional(),
    })
    .strict()
    .superRefine((cfg, ctx) => {
      const offerIds = new Set(cfg.offers.map((o) => o.offerId));
      refuseDuplicates(ctx, cfg.strategies ?? [], ['strategies'], 'strategyId');
      (cfg.strategies ?? []).forEach((s, i) => {
        s.stages.forEach((st, j) => {
          for (const part of ['only', 'first'] as const)
            (st.scenario.offers?.[part] ?? []).forEach((id, k) => {
              if (!offerIds.has(id))
                ctx.addIssue({
                  code: 'custom',
                  path: ['strategies', i, 'stages', j, 'scenario', 'offers', part, k],
                  message: `no offer ${id} in this configuration`,
                });
            });
        });
      });
      refuseDuplicates(ctx, cfg.offers, ['offers'], 'offerId');
    }),
);
export type DecisionConfig = z.infer<typeof DecisionConfigSchema>;
