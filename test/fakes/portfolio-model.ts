import * as z from 'zod';
import json from '../../data/portfolio-archetypes.json' with { type: 'json' };
import { CARD_PRODUCTS } from '../../infra/local/card-products';
import {
  CardFamilySchema,
  FractionSchema,
  HeldProductSchema,
  PaymentStatusSchema,
  SPEND_CATEGORIES,
} from '../../shared/schemas/account';

/**
 * What `data/portfolio-archetypes.json` may say, and its content, validated when this module is
 * imported: the synthetic portfolio's archetypes (test/fakes/portfolio.ts draws the accounts) and the
 * tables they share. Each archetype names its `shape`, the code that draws an account from its
 * numbers; the fields a shape takes are listed here.
 */

/** Accounts per block: each block deals every archetype exactly `weight` times. */
export const BLOCK = 100;

const MIX_PROFILES = ['BALANCED', 'TRAVEL', 'GROCERY', 'DINING', 'ONLINE', 'FUEL'] as const;
const MixProfileSchema = z.enum(MIX_PROFILES);
export type MixProfile = z.infer<typeof MixProfileSchema>;

const Chance = z.number().min(0).max(1);
const rangeOf = (n: z.ZodNumber) =>
  z.tuple([n, n]).refine(([lo, hi]) => lo <= hi, 'the range ends before it starts');
const Amounts = rangeOf(z.number().nonnegative());
const MonthCounts = rangeOf(z.number().int().min(0).max(600));
const Years = rangeOf(z.number().int().min(1900).max(2100));
const weightedOf = <T extends z.ZodType>(item: T) => z.array(z.tuple([item, z.number().positive()])).min(1);
const ProductCodeSchema = z.enum(CARD_PRODUCTS.map((p) => p.code) as [string, ...string[]]);

const common = {
  id: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/),
  /** Accounts of this archetype in every block of 100. */
  weight: z.number().int().min(1).max(BLOCK),
  /** The DEFAULT_CONFIG customer segment(s) its accounts land in (test/unit/portfolio.test.ts checks). */
  segments: z.array(z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/)).min(1),
  /** Card products, weighted; one product is given without a draw. */
  products: weightedOf(ProductCodeSchema),
  /** Months on book: the model's long-tenure buckets from `longFrom`, or uniform `between`. */
  tenure: z.union([
    z.strictObject({ longFrom: z.number().int().min(0) }),
    z.strictObject({ between: MonthCounts }),
  ]),
  /**
   * Spend mix: one `profile`; weighted `odds`; or an active spender's mix, travel- and grocery-heavy
   * at these odds, dining 12 %, online 15 %, fuel 8 % and balanced the rest.
   */
  mix: z.union([
    z.strictObject({ profile: MixProfileSchema }),
    z.strictObject({ odds: weightedOf(MixProfileSchema) }),
    z
      .strictObject({ travelHeavy: Chance, groceryHeavy: Chance })
      .refine((m) => m.travelHeavy + m.groceryHeavy <= 0.65, 'leaves no odds for a balanced mix'),
  ]),
  /** Range of the risk score: payment behaviour moves it inside. */
  risk: rangeOf(FractionSchema),
  /** Odds of each product held, over the model's `productsHeld`. */
  held: z.partialRecord(HeldProductSchema, Chance),
  /** Birth years of the clear factors (the model's otherwise). */
  birthYears: Years.optional(),
};
const shape = <S extends string, T extends z.ZodRawShape>(name: S, fields: T) =>
  z.strictObject({ ...common, shape: z.literal(name), ...fields });
const UtilizationAtMost = z.strictObject({ utilizationAtMost: z.number().positive().max(1) });

const ArchetypeSchema = z.discriminatedUnion('shape', [
  /** Pays in full; the limit covers the biggest month by `peakMonthHeadroom`. */
  shape('premiumTraveller', { annualSpend: Amounts, peakMonthHeadroom: z.number().min(1) }),
  /** Pays in full, light spenders skip months, now and then one statement paid in part. */
  shape('transactor', {
    annualSpend: Amounts,
    lightSpender: z.strictObject({ upTo: z.number().nonnegative(), activeMonthChance: Chance }).optional(),
    partialPayment: z
      .strictObject({ chance: Chance, ifFullAtLeast: z.number().int().min(0).max(12).optional() })
      .optional(),
    peakMonthHeadroom: z.number().min(1),
  }),
  /** Carries a balance; the limit from a utilisation range, or the family's range at most that full. */
  shape('revolver', {
    annualSpend: Amounts,
    revolvingBalance: Amounts,
    /** More statements than `count` paid in full: `otherwisePartial` of them become PARTIAL. */
    fullPaymentsAtMost: z
      .strictObject({ count: z.number().int().min(0).max(12), otherwisePartial: z.number().int().min(1) })
      .optional(),
    lateChance: Chance,
    limit: z.union([z.strictObject({ utilization: rangeOf(z.number().positive()) }), UtilizationAtMost]),
  }),
  /** Paid in part for the first months of the year, now paid off: neither revolver nor transactor. */
  shape('standard', {
    annualSpend: Amounts,
    partialMonths: rangeOf(z.number().int().min(0).max(12)),
    partialChance: Chance,
    lateChance: Chance,
    pastRevolvingBalance: Amounts,
    lastMonthHeadroom: z.number().min(1),
  }),
  /** Opened `tenure` months ago; statements so far, some revolving. */
  shape('newCustomer', {
    monthlySpend: Amounts,
    /** Monthly spend on a premium travel card. */
    premiumMonthlySpend: Amounts,
    revolveChance: Chance,
    revolvingBalance: Amounts,
    limit: UtilizationAtMost,
  }),
  /** No spend for the last `quietMonths` (weighted ranges; a range of one value draws nothing). */
  shape('dormant', {
    quietMonths: z
      .array(
        z.strictObject({ months: rangeOf(z.number().int().min(0).max(12)), weight: z.number().positive() }),
      )
      .min(1),
    monthlySpendWhileActive: Amounts,
    closedChance: Chance,
  }),
  /** Near the limit, minimum payments, at most one missed and one late. */
  shape('highRisk', {
    annualSpend: Amounts,
    utilization: Amounts,
    minimumChance: Chance,
    missedChance: Chance,
    lateChance: Chance,
    bankruptcyChance: Chance,
  }),
  /** The last `missedMonths` missed, late ones before (more if only one was missed). */
  shape('delinquent', {
    annualSpend: Amounts,
    missedMonths: rangeOf(z.number().int().min(1).max(12)),
    lateMonths: MonthCounts,
    lateMonthsIfOneMissed: MonthCounts,
    spendAfterMissedChance: Chance,
    utilization: Amounts,
    collectionsChance: Chance,
    bankruptcyChance: Chance,
  }),
  /** A secured card: some revolve up to a share of the limit, the others pay in full. */
  shape('securedBuilder', {
    annualSpend: Amounts,
    peakMonthHeadroom: z.number().min(1),
    revolveChance: Chance,
    revolvingBalance: z.strictObject({
      from: z.number().nonnegative(),
      toLimitShare: FractionSchema,
      toAtLeast: z.number().nonnegative(),
    }),
    partialChance: Chance,
  }),
  /** A student card: some revolve, the others pay in full. */
  shape('student', {
    annualSpend: Amounts,
    revolveChance: Chance,
    revolvingBalance: Amounts,
    partialChance: Chance,
    limit: UtilizationAtMost,
  }),
]);
export type Archetype = z.infer<typeof ArchetypeSchema>;

export const PortfolioModelSchema = z
  .strictObject({
    /** Birth years of the clear factors, unless the archetype says otherwise. */
    birthYears: Years,
    /** Flags any account may carry, whatever its archetype. */
    flagRates: z.strictObject({ fraudHold: Chance, deceased: Chance }),
    /** Credit limit range per card family. */
    creditLimits: z.record(CardFamilySchema, Amounts),
    /** Odds of each product held, for every archetype (its own `held` overrides). */
    productsHeld: z.partialRecord(HeldProductSchema, Chance),
    /** A revolving customer's statement, weighted. */
    revolvingPayments: weightedOf(PaymentStatusSchema),
    /** Tenure buckets, weighted: each from the previous `upTo` + 1 (the first from the archetype's `longFrom`). */
    longTenure: z
      .array(z.strictObject({ upTo: z.number().int().min(0), weight: z.number().positive() }))
      .min(1),
    /** Weights of the spend categories per mix profile (scaled ±40 % per account, then normalised). */
    spendMixes: z.record(MixProfileSchema, z.record(z.enum(SPEND_CATEGORIES), z.number().nonnegative())),
    /** Profiles whose one category takes a share drawn first, the others sharing the rest. */
    leadingShares: z.partialRecord(
      MixProfileSchema,
      z.strictObject({ category: z.enum(SPEND_CATEGORIES), share: rangeOf(FractionSchema) }),
    ),
    /**
     * Accounts drifting away, whatever their archetype: a `share` whose last quarter's spend falls to
     * `lastQuarter` times their usual month (the year's total unchanged). Use falls before a
     * closure: BankChurners' Total_Ct_Chng_Q4_Q1 (Q4 over Q1 transactions) has a long tail
     * below 0.6, lower for those who closed.
     */
    drift: z.strictObject({ share: Chance, lastQuarter: rangeOf(z.number().positive().max(1)) }),
    archetypes: z.array(ArchetypeSchema).min(1),
  })
  .superRefine((m, ctx) => {
    const total = m.archetypes.reduce((a, x) => a + x.weight, 0);
    if (total !== BLOCK)
      ctx.addIssue({
        code: 'custom',
        path: ['archetypes'],
        message: `weights add up to ${total}, not ${BLOCK}`,
      });
    const ids = new Set<string>();
    m.archetypes.forEach((a, i) => {
      if (ids.has(a.id))
        ctx.addIssue({ code: 'custom', path: ['archetypes', i, 'id'], message: 'duplicate id' });
      ids.add(a.id);
      if ('longFrom' in a.tenure && a.tenure.longFrom > m.longTenure[0]!.upTo)
        ctx.addIssue({
          code: 'custom',
          path: ['archetypes', i, 'tenure'],
          message: 'longFrom is past the first bucket',
        });
    });
    m.longTenure.forEach((b, i) => {
      if (i > 0 && b.upTo <= m.longTenure[i - 1]!.upTo)
        ctx.addIssue({ code: 'custom', path: ['longTenure', i, 'upTo'], message: 'buckets must go up' });
    });
  });
export type PortfolioModel = z.infer<typeof PortfolioModelSchema>;

/** The model of `data/portfolio-archetypes.json`, validated. */
export const PORTFOLIO_MODEL: PortfolioModel = PortfolioModelSchema.parse(json);
