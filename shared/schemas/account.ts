import * as z from 'zod';
import { AccountChurnSchema } from './churn';
import { lazy } from './lazy';

/** E.164: a plus, then 8 to 15 digits, the first not zero. */
export const E164Schema = lazy(() =>
  z.string().regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 phone number such as +15555550123'),
);
export const IsoDateSchema = lazy(() => z.iso.date());
export const IsoDateTimeSchema = lazy(() => z.iso.datetime({ offset: true }));

/**
 * Whether DynamoDB can store the number: 0, or a magnitude from 1e-130 to 9.99…e125 (its 38
 * significant digits hold any double's 17). Outside, a write fails with a ValidationException,
 * which would answer 503 for a record that was accepted.
 */
export const isDynamoNumber = (x: number) => x === 0 || (Math.abs(x) >= 1e-130 && Math.abs(x) < 1e126);
export const DYNAMO_NUMBER_MESSAGE =
  'must be a number DynamoDB can store (|x| between 1e-130 and 1e125, or 0)';
/**
 * Every number that may reach DynamoDB starts here, so none validates that cannot be stored.
 * Checked first and alone: 1e200 is one issue (this one), not also "too big".
 */
export const StoredNumberSchema = lazy(() =>
  z.number().finite().refine(isDynamoNumber, { message: DYNAMO_NUMBER_MESSAGE, abort: true }),
);
/** Money amounts: a trillion either way is beyond any card account (or issuer's budget). */
export const MAX_MONEY = 1e12;
export const MoneySchema = lazy(() => StoredNumberSchema.min(-MAX_MONEY).max(MAX_MONEY));
export const NonNegMoneySchema = lazy(() => StoredNumberSchema.min(0).max(MAX_MONEY));
/** A share or probability (0..1). */
export const FractionSchema = lazy(() => StoredNumberSchema.min(0).max(1));
const Money = MoneySchema;
const NonNegMoney = NonNegMoneySchema;

export const CARD_FAMILIES = [
  'PREMIUM_TRAVEL',
  'REWARDS',
  'CASHBACK',
  'CLASSIC',
  'STUDENT',
  'SECURED',
] as const;
export const CardFamilySchema = lazy(() => z.enum(CARD_FAMILIES));

export const CardProductSchema = lazy(() =>
  z
    .object({
      code: z.string().regex(/^[A-Z][A-Z0-9_]{2,31}$/),
      name: z.string().min(1).max(80),
      family: CardFamilySchema,
      annualFee: NonNegMoney,
      /** Purchase APR as a fraction, e.g. 0.2399. */
      apr: FractionSchema,
      /** Rewards earned per unit of spend, as a fraction (0.02 = 2 %). */
      rewardsRate: StoredNumberSchema.min(0).max(0.2),
    })
    .strict(),
);
export type CardProduct = z.infer<typeof CardProductSchema>;

export const PAYMENT_STATUSES = ['FULL', 'PARTIAL', 'MINIMUM', 'LATE', 'MISSED', 'NO_BALANCE'] as const;
export const PaymentStatusSchema = lazy(() => z.enum(PAYMENT_STATUSES));
export type PaymentStatus = z.infer<typeof PaymentStatusSchema>;

export const SPEND_CATEGORIES = ['travel', 'dining', 'groceries', 'fuel', 'online', 'other'] as const;
export const SpendByCategorySchema = lazy(() =>
  z
    .object(
      Object.fromEntries(SPEND_CATEGORIES.map((c) => [c, NonNegMoney])) as Record<
        (typeof SPEND_CATEGORIES)[number],
        typeof NonNegMoney
      >,
    )
    .strict(),
);
export type SpendByCategory = z.infer<typeof SpendByCategorySchema>;

export const HELD_PRODUCTS = [
  'CHECKING',
  'SAVINGS',
  'MORTGAGE',
  'AUTO_LOAN',
  'PERSONAL_LOAN',
  'TRAVEL_CARD',
  'CASHBACK_CARD',
  'BALANCE_TRANSFER',
] as const;
export const HeldProductSchema = lazy(() => z.enum(HELD_PRODUCTS));
export type HeldProduct = z.infer<typeof HeldProductSchema>;

export const AccountFlagsSchema = lazy(() =>
  z
    .object({
      fraudHold: z.boolean(),
      collections: z.boolean(),
      bankruptcy: z.boolean(),
      deceased: z.boolean(),
      closed: z.boolean(),
    })
    .strict(),
);
export type AccountFlags = z.infer<typeof AccountFlagsSchema>;

export const TagSchema = lazy(() =>
  z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/, 'must be UPPER_SNAKE_CASE, 2 to 40 characters'),
);

/** An IANA time zone this runtime knows (Intl), such as America/Chicago. */
export const TimeZoneSchema = lazy(() =>
  z
    .string()
    .min(1)
    .max(64)
    .refine(
      (tz) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: tz });
          return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+){0,2}$/.test(tz);
        } catch {
          return false;
        }
      },
      { message: 'must be an IANA time zone such as America/Chicago' },
    ),
);

/** The customer's consent to automated (dialer) calls, as the issuer recorded it. */
export const ConsentSchema = lazy(() =>
  z.strictObject({ automatedCalls: z.boolean(), recordedAt: z.iso.datetime({ offset: true }) }),
);

/** An account id as every contract takes it: the issuer's own, 6 to 40 letters, digits or dashes. */
export const AccountIdSchema = lazy(() =>
  z.string().regex(/^[A-Za-z0-9-]{6,40}$/, 'must be 6 to 40 letters, digits or dashes'),
);

const Hash = lazy(() => z.string().regex(/^[0-9a-f]{64}$/, 'must be a hex SHA-256 digest'));

/** Verification secrets, only ever stored salted and hashed; the lock state lives beside them. */
export const VerificationSecretsSchema = lazy(() =>
  z
    .object({
      salt: z.string().regex(/^[0-9a-f]{32}$/),
      last4Hash: Hash,
      zipHash: Hash,
      dobHash: Hash,
      pinHash: Hash.optional(),
      failures: z.number().int().nonnegative(),
      lockedUntil: IsoDateTimeSchema.optional(),
      /** Guesses judged so far: each moves it by one, written conditionally, so guesses are judged one at a time. */
      attempts: z.number().int().nonnegative().optional(),
    })
    .strict(),
);
export type VerificationSecrets = z.infer<typeof VerificationSecretsSchema>;

/** How often an offer was presented to an account, and when it was last declined (contact policy). */
export const OfferHistorySchema = lazy(() =>
  z.strictObject({
    presentations: z.number().int().nonnegative(),
    lastDeclinedAt: IsoDateTimeSchema.optional(),
  }),
);

/** One card account, as stored in the accounts table. No name, no card number. */
export const AccountSchema = lazy(() =>
  z
    .object({
      accountId: AccountIdSchema,
      customerId: z.string().regex(/^[A-Za-z0-9-]{4,40}$/),
      /** The number the customer calls from; the accounts table indexes it for caller lookup. */
      phone: E164Schema,
      /**
       * The customer's other numbers: each has a small alias item in the accounts table, so the
       * phone index finds the account by any of them.
       */
      otherPhones: z.array(E164Schema).max(4).optional(),
      openedOn: IsoDateSchema,
      product: CardProductSchema,
      creditLimit: NonNegMoney,
      balance: Money,
      /** Revolving (interest-bearing) part of the balance. */
      revolvingBalance: NonNegMoney,
      /** Spend per month, oldest first, the last entry the most recent month. */
      monthlySpend: z.array(NonNegMoney).length(12),
      spendByCategory: SpendByCategorySchema,
      /** Payment status per statement, oldest first. */
      payments: z.array(PaymentStatusSchema).length(12),
      revenue12m: z.object({ interchange: NonNegMoney, interest: NonNegMoney, fees: NonNegMoney }).strict(),
      cost12m: z.object({ rewards: NonNegMoney, servicing: NonNegMoney }).strict(),
      /** Probability of default over 12 months (0..1). */
      riskScore: FractionSchema,
      flags: AccountFlagsSchema,
      productsHeld: z.array(HeldProductSchema),
      /** Transactions per category over 12 months, when the issuer sends them. */
      transactionsByCategory: SpendByCategorySchema.optional(),
      /** Card transactions per month, oldest first (the issuer's), when it sends them: the churn model reads them. */
      monthlyTransactions: z.array(z.number().int().nonnegative().max(1_000_000)).length(12).optional(),
      /** Service contacts in the last 12 months as the issuer's CRM counts them (ours count too: see churn.ts). */
      contacts12m: z.number().int().nonnegative().max(10_000).optional(),
      /** The active churn model's score of the account, with its version (at import and at every event). */
      churn: AccountChurnSchema.optional(),
      /** When the issuer's system produced this record (imports never let an older one win). */
      asOf: IsoDateTimeSchema.optional(),
      /** When the customer contacted us lately (appended by each contact; only the last 12 months count). */
      recentContacts: z.array(IsoDateTimeSchema).optional(),
      /** Segment marks set by other systems (a campaign list, a risk model): stored as a string set. */
      tags: z.preprocess((v) => (v instanceof Set ? [...v].sort() : v), z.array(TagSchema)).optional(),
      verification: VerificationSecretsSchema,
      /** Offer history by offer id (contact policy), written by the turns that present and decline. */
      offerHistory: z.record(z.string(), OfferHistorySchema).optional(),
      /** The last change event applied (its type and asOf): strategies' launch conditions read it. */
      lastEvent: z.strictObject({ type: z.string().max(40), at: IsoDateTimeSchema }).optional(),
      /** The account's stage in each strategy it is placed in (shared/domain/strategies.ts). */
      strategies: z
        .record(
          z.string(),
          z.strictObject({
            version: z.number().int().positive(),
            stageId: z.string(),
            since: IsoDateTimeSchema,
            cause: z.string().max(40),
          }),
        )
        .optional(),
      /** The customer's time zone (IANA): the import's, else derived from the ZIP code when imported. */
      timeZone: TimeZoneSchema.optional(),
      consent: ConsentSchema.optional(),
      /** Outbound contacts Retention Desk started (the last 20): the policy's frequency cap reads them. */
      outbound: z
        .array(
          z.strictObject({
            id: z.string().max(40),
            at: IsoDateTimeSchema,
            channel: z.enum(['VOICE', 'AGENT_TASK', 'MESSAGE', 'TEAM_TASK']),
            strategyId: z.string().max(48),
            stageId: z.string().max(40),
            contactId: z.string().max(100).optional(),
          }),
        )
        .max(20)
        .optional(),
      /** Moves by one at every change of `outbound` (written only over the list that was read). */
      outboundSeq: z.number().int().nonnegative().optional(),
      /** Moves by one at every change of `strategies`: a placement is written only over the one it read. */
      placementSeq: z.number().int().nonnegative().optional(),
    })
    .strict(),
);
export type Account = z.infer<typeof AccountSchema>;
