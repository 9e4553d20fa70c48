import * as z from 'zod';
import {
  AccountFlagsSchema,
  AccountIdSchema,
  CardProductSchema,
  ConsentSchema,
  E164Schema,
  FractionSchema,
  HeldProductSchema,
  IsoDateSchema,
  MoneySchema,
  NonNegMoneySchema,
  PaymentStatusSchema,
  SPEND_CATEGORIES,
  StoredNumberSchema,
  TagSchema,
  TimeZoneSchema,
} from './account';
import { lazy } from './lazy';

/**
 * The account record as the issuer's systems send it: one line of JSON Lines (or a CSV row whose
 * headers are the dotted paths, e.g. `product.code`, `monthlySpend.0`). Verification factors
 * arrive in clear and are hashed as they are read; the name is accepted and never stored.
 * Numbers may come as strings ("1200.50").
 */
/** A decimal number as text ("1200.50", "-3", "1e3"); not hex, binary or octal, which Number() also reads. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const num = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && DECIMAL.test(v.trim()) ? Number(v) : v), schema);
const Money = lazy(() => num(MoneySchema));
const NonNeg = lazy(() => num(NonNegMoneySchema));
const Count = () => z.number().int('must be a whole number').nonnegative().max(1_000_000);

/** A phone number as typed by people: spaces, dashes, dots and brackets are dropped; 10 digits are US. */
export function normalisePhone(raw: string): string | undefined {
  const digits = raw.replace(/[\s().-]/g, '');
  // North American numbers: the area code starts with 2 to 9.
  const e164 = /^[2-9]\d{9}$/.test(digits)
    ? `+1${digits}`
    : /^1[2-9]\d{9}$/.test(digits)
      ? `+${digits}`
      : digits;
  return E164Schema.safeParse(e164).success ? e164 : undefined;
}
const Phone = lazy(() =>
  z.string().transform((v, ctx) => {
    const p = normalisePhone(v);
    if (!p) ctx.addIssue({ code: 'custom', message: 'not a phone number (E.164, or 10 US digits)' });
    return p ?? v;
  }),
);

/** The card product; its figures may come as text too. */
const ImportProductSchema = lazy(() =>
  CardProductSchema.extend({
    annualFee: NonNeg,
    apr: num(FractionSchema),
    rewardsRate: num(StoredNumberSchema.min(0).max(0.2)),
  }),
);

export const ImportRecordSchema = lazy(() =>
  z.strictObject({
    accountId: AccountIdSchema,
    customerId: z.string().regex(/^[A-Za-z0-9-]{4,40}$/),
    /** Accepted for the issuer's convenience; never stored, never logged. */
    name: z.string().max(200).optional(),
    /** The first is the number the customer calls from (indexed for caller lookup). */
    phones: z.array(Phone).min(1).max(5),
    verification: z.strictObject({
      last4: z.string().regex(/^\d{4}$/, 'must be 4 digits'),
      zip: z.string().regex(/^\d{5}$/, 'must be 5 digits'),
      dob: IsoDateSchema,
      pin: z
        .string()
        .regex(/^\d{4,6}$/, 'must be 4 to 6 digits')
        .optional(),
    }),
    product: ImportProductSchema,
    openedOn: IsoDateSchema,
    creditLimit: NonNeg,
    balance: Money,
    revolvingBalance: NonNeg,
    monthlySpend: z.array(NonNeg).length(12),
    spendByCategory: z.strictObject(
      Object.fromEntries(SPEND_CATEGORIES.map((c) => [c, NonNeg])) as Record<
        (typeof SPEND_CATEGORIES)[number],
        typeof NonNeg
      >,
    ),
    transactionsByCategory: z
      .strictObject(
        Object.fromEntries(SPEND_CATEGORIES.map((c) => [c, NonNeg])) as Record<
          (typeof SPEND_CATEGORIES)[number],
          typeof NonNeg
        >,
      )
      .optional(),
    /** Card transactions per month, oldest first, when the issuer has them (the churn model reads them). */
    monthlyTransactions: z.array(num(Count())).length(12).optional(),
    /** Service contacts in the last 12 months, as the issuer's CRM counts them. */
    contacts12m: num(Count().max(10_000)).optional(),
    payments: z.array(PaymentStatusSchema).length(12),
    revenue12m: z.strictObject({ interchange: NonNeg, interest: NonNeg, fees: NonNeg }),
    cost12m: z.strictObject({ rewards: NonNeg, servicing: NonNeg }),
    riskScore: num(FractionSchema),
    flags: AccountFlagsSchema,
    productsHeld: z.array(HeldProductSchema),
    tags: z.array(TagSchema).optional(),
    /** The customer's time zone (IANA); absent, it is derived from the ZIP code. */
    timeZone: TimeZoneSchema.optional(),
    /** Consent to automated calls as the issuer recorded it; absent, outbound calls go through an agent. */
    consent: ConsentSchema.optional(),
    /** When the issuer's system produced this record: an older record never overwrites a newer one. */
    asOf: z.iso.datetime({ offset: true }),
  }),
);
export type ImportRecord = z.infer<typeof ImportRecordSchema>;

/** At most this many records in one import request (a request stays well under the API's body limit). */
export const MAX_IMPORT_BATCH = 200;

export const ImportBatchSchema = lazy(() =>
  z.strictObject({
    /** Raw records; each is validated on its own, so one bad record rejects only itself. */
    records: z.array(z.unknown()).min(1).max(MAX_IMPORT_BATCH),
    /** Line number of the first record in its file, for the reject report. */
    firstLine: z.number().int().positive().optional(),
  }),
);

/** A change to one account, applied at once so the next contact sees it (same `asOf` guard as imports). */
const eventBase = () => ({
  accountId: AccountIdSchema,
  /** When the issuer's system saw the change: an event older than the account is stale. */
  asOf: z.iso.datetime({ offset: true }),
});
export const AccountEventSchema = lazy(() => {
  const base = eventBase(); // one set of field schemas, shared by every kind of event
  return z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('PAYMENT_MISSED'), ...base }),
    z.strictObject({
      type: z.literal('PAYMENT_MADE'),
      ...base,
      status: z.enum(['FULL', 'PARTIAL', 'MINIMUM', 'LATE']),
    }),
    z.strictObject({ type: z.literal('CARD_LOST_OR_STOLEN'), ...base }),
    z.strictObject({ type: z.literal('FRAUD_HOLD_SET'), ...base }),
    z.strictObject({ type: z.literal('FRAUD_HOLD_CLEARED'), ...base }),
    z.strictObject({ type: z.literal('PRODUCT_CHANGED'), ...base, product: ImportProductSchema }),
    // Signals from the issuer's monitoring: they change no figure of the account, but are its last
    // event, which strategies' launch conditions read (lastEvent, daysSinceLastEvent).
    z.strictObject({ type: z.literal('SUSPICIOUS_PATTERN'), ...base }),
    z.strictObject({ type: z.literal('USAGE_DROP'), ...base }),
    z.strictObject({ type: z.literal('FEE_POSTED_LOW_USE'), ...base }),
  ]);
});
export type AccountEvent = z.infer<typeof AccountEventSchema>;

export const EventBatchSchema = lazy(() => z.strictObject({ events: z.array(z.unknown()).min(1).max(100) }));
