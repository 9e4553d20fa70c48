import { createHash } from 'node:crypto';
import * as z from 'zod';
import json from '../../data/personas.json' with { type: 'json' };
import { hashFactor } from '../../shared/domain/verification';
import {
  type Account,
  AccountFlagsSchema,
  FractionSchema,
  HeldProductSchema,
  MoneySchema,
  NonNegMoneySchema,
  PaymentStatusSchema,
  SPEND_CATEGORIES,
  type SpendByCategory,
} from '../../shared/schemas/account';
import { VerificationBodySchema } from '../../shared/schemas/api';
import { QueueSchema } from '../../shared/schemas/config';
import { monthsBefore } from '../../test/fakes/portfolio';
import {
  CARD_PRODUCTS,
  cardProduct,
  FOREIGN_TRANSACTION_FEE,
  INTERCHANGE_RATE,
  LATE_FEE,
} from './card-products';

/**
 * Named demo personas: one per interesting case of DEFAULT_CONFIG, each written out by hand in
 * `data/personas.json` (no PRNG) and validated by PersonasSchema when this module is imported. Their
 * clear factors are for demos and tests; the accounts store only salted hashes. Dates are relative
 * to `asOf`, so tenure-based segments hold whenever the stack runs. Phones are in the reserved
 * fictional range +1 555 555 01NN, NN the number of the account id.
 */
const Factor = VerificationBodySchema.shape;
const SegmentName = z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/);
const Months = <T extends z.ZodType>(t: T) => z.array(t).length(12);

const PersonaSchema = z
  .object({
    name: z.string().min(1).max(60),
    accountId: z.string().regex(/^PER-\d{4}$/),
    phone: z.string().regex(/^\+155555501\d\d$/, 'must be in the fictional range +1 555 555 01NN'),
    last4: Factor.last4.unwrap(),
    zip: Factor.zip.unwrap(),
    dob: Factor.dob.unwrap(),
    pin: Factor.pin,
    story: z.string().min(1).max(200),
    /** Where the account lands under DEFAULT_CONFIG for a verified CLOSE_ACCOUNT call. */
    expect: z
      .object({ customerSegment: SegmentName, cardSegment: SegmentName, routeQueue: QueueSchema })
      .strict(),
    /** What the stored account is made from; money figures and the hashes are derived. */
    account: z
      .object({
        productCode: z.enum(CARD_PRODUCTS.map((p) => p.code) as [string, ...string[]]),
        tenureMonths: z.number().int().min(0).max(600),
        /** Oldest first, the last entry the most recent month. */
        monthlySpend: Months(NonNegMoneySchema),
        /** Share of spend per category; `other` takes what is left. */
        mix: z
          .partialRecord(z.enum(SPEND_CATEGORIES).exclude(['other']), FractionSchema)
          .refine((m) => Object.values(m).reduce((a, b) => a + b, 0) <= 1, 'shares add up to more than 1'),
        payments: Months(PaymentStatusSchema),
        creditLimit: NonNegMoneySchema,
        balance: MoneySchema,
        revolvingBalance: NonNegMoneySchema,
        riskScore: FractionSchema,
        servicing: NonNegMoneySchema,
        productsHeld: z.array(HeldProductSchema),
        flags: AccountFlagsSchema.partial().optional(),
      })
      .strict(),
  })
  .strict()
  .refine((p) => p.phone.slice(-2) === p.accountId.slice(-2), {
    message: 'the phone ends in the number of the account id',
    path: ['phone'],
  });

export const PersonasSchema = z
  .array(PersonaSchema)
  .min(1)
  .superRefine((ps, ctx) => {
    for (const key of ['name', 'accountId', 'phone'] as const) {
      const seen = new Set<string>();
      ps.forEach((p, i) => {
        if (seen.has(p[key])) ctx.addIssue({ code: 'custom', path: [i, key], message: `duplicate ${key}` });
        seen.add(p[key]);
      });
    }
  });

type PersonaData = z.infer<typeof PersonaSchema>;
/** A persona as people and scripts use it: who, the clear factors, the story and where it should land. */
export type Persona = Omit<PersonaData, 'account'>;

/** The personas of `data/personas.json`, validated. */
export const PERSONAS: readonly PersonaData[] = PersonasSchema.parse(json);

const round2 = (n: number) => Math.round(n * 100) / 100;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

const NO_FLAGS = { fraudHold: false, collections: false, bankruptcy: false, deceased: false, closed: false };

/** Deterministic salt per persona, so the stored account is the same on every run. */
function personaSalt(accountId: string): string {
  return createHash('sha256').update(`retention-desk persona salt:${accountId}`).digest('hex').slice(0, 32);
}

function toAccount(p: PersonaData, asOf: string, pepper: string): { persona: Persona; account: Account } {
  const { account: s, ...persona } = p;
  const { accountId } = p;
  const product = cardProduct(s.productCode);
  const annualSpend = round2(sum(s.monthlySpend));
  const spendByCategory = {} as SpendByCategory;
  let allocated = 0;
  for (const c of SPEND_CATEGORIES) {
    if (c === 'other') continue;
    spendByCategory[c] = round2(annualSpend * (s.mix[c] ?? 0));
    allocated += spendByCategory[c];
  }
  spendByCategory.other = Math.max(0, round2(annualSpend - allocated));
  const lateOrMissed = s.payments.filter((x) => x === 'LATE' || x === 'MISSED').length;
  const foreignFees =
    product.family === 'PREMIUM_TRAVEL' ? 0 : spendByCategory.travel * 0.3 * FOREIGN_TRANSACTION_FEE;
  const salt = personaSalt(accountId);
  const account: Account = {
    accountId,
    customerId: `CUS-P${accountId.slice(4)}`,
    phone: p.phone,
    openedOn: monthsBefore(asOf, s.tenureMonths, 15),
    product,
    creditLimit: s.creditLimit,
    balance: s.balance,
    revolvingBalance: s.revolvingBalance,
    monthlySpend: s.monthlySpend,
    spendByCategory,
    payments: s.payments,
    revenue12m: {
      interchange: round2(annualSpend * INTERCHANGE_RATE[product.family]),
      interest: round2(s.revolvingBalance * product.apr),
      fees: round2(product.annualFee + LATE_FEE * lateOrMissed + foreignFees),
    },
    cost12m: { rewards: round2(annualSpend * product.rewardsRate), servicing: s.servicing },
    riskScore: s.riskScore,
    flags: { ...NO_FLAGS, ...s.flags },
    productsHeld: s.productsHeld,
    verification: {
      salt,
      last4Hash: hashFactor(pepper, salt, 'last4', p.last4),
      zipHash: hashFactor(pepper, salt, 'zip', p.zip),
      dobHash: hashFactor(pepper, salt, 'dob', p.dob),
      ...(p.pin !== undefined ? { pinHash: hashFactor(pepper, salt, 'pin', p.pin) } : {}),
      failures: 0,
    },
  };
  return { persona, account };
}

/** The personas and their stored accounts, dated relative to `asOf` (YYYY-MM-DD). */
export function buildPersonas(asOf: string, pepper: string): Array<{ persona: Persona; account: Account }> {
  return PERSONAS.map((p) => toAccount(p, asOf, pepper));
}
