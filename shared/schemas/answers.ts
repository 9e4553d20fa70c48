import * as z from 'zod';
import { IsoDateTimeSchema as DateTime } from './account';
import { EconomicsSchema, OfferResponseSchema, OutcomeSchema, RouteSchema } from './contact';
import { CallTypeSchema, StageSchema } from './enums';
import { ActedBySchema, AuthoritySchema } from './identity';
import { lazy } from './lazy';

/**
 * What the REST API v1 answers, route by route (shared/channels/http.ts renders them): the source of
 * the OpenAPI document's response schemas (shared/schemas/openapi.ts), so that the document says what
 * the handlers send, and the end-to-end suite checks every answer against it.
 */

export const StartAnswerSchema = lazy(() =>
  z.strictObject({ contactId: z.uuid(), stage: StageSchema, route: RouteSchema }),
);

export const VerifyAnswerSchema = lazy(() =>
  z.strictObject({
    verified: z.boolean(),
    stage: StageSchema,
    attemptsLeft: z.number().int().nonnegative(),
    result: z.enum(['VERIFIED', 'WRONG_FACTORS', 'MORE_FACTORS_NEEDED', 'LOCKED']).nullable(),
    route: RouteSchema,
  }),
);

export const OfferViewSchema = lazy(() =>
  z.strictObject({
    offerId: z.string(),
    kind: z.enum(['RETENTION', 'CROSS_SELL']),
    title: z.string(),
    script: z.string(),
    reasons: z.array(z.string()),
    economics: EconomicsSchema,
    authority: AuthoritySchema,
  }),
);

export const OffersAnswerSchema = lazy(() =>
  z.strictObject({
    stage: StageSchema,
    segment: z.strictObject({ customer: z.string(), card: z.string() }).nullable(),
    offers: z.array(OfferViewSchema),
  }),
);

/** After an answer or a closure: where the contact stands and the offers on the table now. */
export const RespondAnswerSchema = lazy(() =>
  z.strictObject({ stage: StageSchema, outcome: OutcomeSchema.nullable(), offers: z.array(OfferViewSchema) }),
);

export const ContactViewSchema = lazy(() =>
  z.strictObject({
    contactId: z.uuid(),
    channel: z.enum(['voice', 'chat', 'agent']),
    callType: CallTypeSchema,
    stage: StageSchema,
    route: RouteSchema,
    verification: z.strictObject({
      status: z.enum(['PENDING', 'VERIFIED', 'LOCKED']),
      attemptsLeft: z.number().int().nonnegative(),
    }),
    accountId: z.string().optional(),
    segment: z.strictObject({ customer: z.string(), card: z.string() }).optional(),
    offersPresented: z.array(
      OfferViewSchema.extend({ presentedAt: DateTime, response: OfferResponseSchema.nullable() }),
    ),
    currentOffers: z.array(z.string()),
    answers: z.array(
      z.strictObject({
        offerId: z.string(),
        response: OfferResponseSchema,
        at: DateTime,
        by: ActedBySchema.nullable(),
      }),
    ),
    agent: z.strictObject({ sub: z.string(), username: z.string(), since: DateTime }).optional(),
    outcome: OutcomeSchema.nullable(),
    history: z.array(z.strictObject({ stage: StageSchema, at: DateTime })),
    configVersion: z.string(),
    churn: z.strictObject({ modelId: z.string(), score: z.number(), risk: z.number() }).optional(),
    createdAt: DateTime,
    updatedAt: DateTime,
  }),
);

/**
 * A problem (RFC 9457): its type, title, status and detail, the fields that failed for a 400, and the
 * extensions a problem carries (the roles that may, the route to hand a caller to, …).
 */
export const ProblemSchema = lazy(() =>
  z.looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional(),
  }),
);
