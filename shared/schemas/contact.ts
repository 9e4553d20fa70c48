import * as z from 'zod';
import {
  AccountFlagsSchema,
  CardFamilySchema,
  HeldProductSchema,
  IsoDateTimeSchema,
  OfferHistorySchema,
  VerificationSecretsSchema,
} from './account';
import { CallTypeSchema, QueueSchema, StageSchema } from './enums';
import { NUMERIC_FACTS, type NumericFact } from './facts';
import { ActedBySchema, AuthoritySchema } from './identity';
import { lazy } from './lazy';

export const ChannelSchema = lazy(() => z.enum(['voice', 'chat', 'agent']));
export type Channel = z.infer<typeof ChannelSchema>;

/** What a decision knows of an account: figures only, no identity, no secrets. */
export const FactsSchema = lazy(() =>
  z
    .object({
      ...(Object.fromEntries(NUMERIC_FACTS.map((f) => [f, z.number()])) as Record<NumericFact, z.ZodNumber>),
      cardFamily: CardFamilySchema,
      productsHeld: z.array(HeldProductSchema),
      /** Marks set by other systems (see AccountSchema.tags). */
      tags: z.array(z.string()).optional(),
    })
    .strict(),
);
export type Facts = z.infer<typeof FactsSchema>;

export const RouteSchema = lazy(() =>
  z
    .object({
      queue: QueueSchema,
      priority: z.number().int(),
      reasons: z.array(z.string()),
      ruleId: z.string(),
    })
    .strict(),
);
export type Route = z.infer<typeof RouteSchema>;

export const EconomicsSchema = lazy(() =>
  z
    .object({
      cost: z.number(),
      customerValue: z.number(),
      acceptProbability: z.number(),
      expectedNetValue: z.number(),
    })
    .strict(),
);
export type Economics = z.infer<typeof EconomicsSchema>;

export const OfferResponseSchema = lazy(() => z.enum(['ACCEPTED', 'DECLINED']));
export type OfferResponse = z.infer<typeof OfferResponseSchema>;

export const OUTCOMES = ['SAVED', 'RESOLVED', 'CROSS_SOLD', 'CLOSURE_REQUESTED', 'NOT_RESOLVED'] as const;
export const OutcomeSchema = lazy(() => z.enum(OUTCOMES));
export type Outcome = z.infer<typeof OutcomeSchema>;

export const PresentedOfferSchema = lazy(() =>
  z
    .object({
      offerId: z.string(),
      kind: z.enum(['RETENTION', 'CROSS_SELL']),
      title: z.string(),
      scripts: z.object({ voice: z.string(), chat: z.string(), agent: z.string() }).strict(),
      reasons: z.array(z.string()),
      economics: EconomicsSchema,
      authority: AuthoritySchema.optional(),
      presentedAt: IsoDateTimeSchema,
      response: OfferResponseSchema.optional(),
    })
    .strict(),
);
export type PresentedOffer = z.infer<typeof PresentedOfferSchema>;

export const AnswerSchema = lazy(() =>
  z
    .object({
      offerId: z.string(),
      response: OfferResponseSchema,
      at: IsoDateTimeSchema,
      idempotencyKey: z.string().optional(),
      /** The desk person who took the answer; absent when the customer answered a self-service channel. */
      by: ActedBySchema.optional(),
      /** What the answer produced, returned again for a repeated identical answer. */
      result: z
        .object({ stage: StageSchema, outcome: OutcomeSchema.optional(), offerIds: z.array(z.string()) })
        .strict(),
    })
    .strict(),
);
export type Answer = z.infer<typeof AnswerSchema>;

export const ContactSchema = lazy(() =>
  z
    .object({
      contactId: z.string(),
      version: z.number().int().nonnegative(),
      channel: ChannelSchema,
      callType: CallTypeSchema,
      externalContactId: z.string().optional(),
      /** A synthetic contact (the canary's): played like any other, left out of the KPI reports. */
      synthetic: z.literal(true).optional(),
      /**
       * What the account's strategy stages ask of this inbound contact, as they stood at its start:
       * the stages, the offers it may get (`only`) and those put first, and a route with its script.
       */
      scenario: z
        .strictObject({
          stages: z.array(z.strictObject({ strategyId: z.string(), stageId: z.string() })),
          only: z.array(z.string()).optional(),
          first: z.array(z.string()).optional(),
          route: z
            .strictObject({ queue: QueueSchema, script: z.string().optional(), strategyId: z.string() })
            .optional(),
        })
        .optional(),
      /** Keyed fingerprint of who started it (channel, caller, account, reason): binds a retried start. */
      startedBy: z
        .string()
        .regex(/^[0-9a-f]{32}$/)
        .optional(),
      createdAt: IsoDateTimeSchema,
      updatedAt: IsoDateTimeSchema,
      accountId: z.string().optional(),
      facts: FactsSchema.optional(),
      segment: z
        .object({ customer: z.string(), card: z.string(), reasons: z.array(z.string()) })
        .strict()
        .optional(),
      stage: StageSchema,
      route: RouteSchema,
      verification: z
        .object({
          status: z.enum(['PENDING', 'VERIFIED', 'LOCKED']),
          attemptsLeft: z.number().int().nonnegative(),
          callerMatched: z.boolean(),
          lockedUntil: IsoDateTimeSchema.optional(),
          lastResult: z.enum(['VERIFIED', 'WRONG_FACTORS', 'MORE_FACTORS_NEEDED', 'LOCKED']).optional(),
          /** Idempotency key of the last attempt: its retry is answered from the contact, not counted again. */
          lastAttemptKey: z.string().optional(),
        })
        .strict(),
      offers: z.array(PresentedOfferSchema),
      /** Offer ids on the table now (presented, not answered). */
      current: z.array(z.string()),
      answers: z.array(AnswerSchema),
      outcome: OutcomeSchema.optional(),
      history: z.array(z.object({ stage: StageSchema, at: IsoDateTimeSchema }).strict()),
      configVersion: z.string(),
      /**
       * The churn risk the decision used, when the configuration has a churn model: the model (its
       * version), its score of the account, and the risk with what the contact says (the call type's).
       */
      churn: z.strictObject({ modelId: z.string(), score: z.number(), risk: z.number() }).optional(),
      /** Learning group of the account: decided on learned acceptance, or on priors only (control). */
      policy: z.enum(['LEARNING', 'CONTROL']).optional(),
      /** Offer-log events written so far; the next event's sequence number. */
      logSeq: z.number().int().nonnegative(),
      /**
       * The desk person who holds a voice or chat contact (picked up on the desktop). Set by the pickup
       * (contact binding); while it is set, the contact is not self-service: every offer may be presented.
       */
      agent: z.strictObject({ sub: z.string(), username: z.string(), since: IsoDateTimeSchema }).optional(),
      /**
       * Set when a self-service channel handed the contact to a person because the offers left for the
       * customer need more authority than the channel has (never presented by the channel).
       */
      handover: z
        .strictObject({ authority: AuthoritySchema, offerIds: z.array(z.string()), at: IsoDateTimeSchema })
        .optional(),
      /**
       * What the verification turns need of the account, copied by the start (so a later turn reads the
       * contact alone): the salted hashes, the attempt counters and flags as they were, and the record's
       * `asOf`. The account's write is conditional on them, so a stale copy fails safe. Dropped once
       * verification ends; never returned by a run.
       */
      account: z
        .strictObject({
          verification: VerificationSecretsSchema,
          flags: AccountFlagsSchema,
          asOf: IsoDateTimeSchema.optional(),
        })
        .optional(),
      /** The account's offer history (contact policy) as it stood at the start. */
      offerHistory: z.record(z.string(), OfferHistorySchema).optional(),
      /**
       * The propensity model's view at the start (shared/domain/propensity.ts), for every turn: how
       * it decided (the posterior mean, an exploring draw, the control group's priors, or the priors
       * because the model state was refused, and why), and per offer eligible at the start the
       * acceptance it ranks with and the facts that moved it.
       */
      propensity: z
        .strictObject({
          mode: z.enum(['MEAN', 'EXPLORE', 'CONTROL', 'PRIORS']),
          refused: z.string().max(500).optional(),
          // Per offer: odds, answers learned from, then per fact its FEATURES index, log-odds, points.
          offers: z
            .record(
              z.string(),
              z
                .array(z.number())
                .min(2)
                .max(2 + 3 * 3)
                .refine((m) => m[0]! >= 0 && m[0]! <= 1, 'odds must be 0 … 1'),
            )
            .optional(),
          /** The release before `offers` (a contact in flight across the deploy): read as it is. */
          reason: z.string().max(500).optional(),
          odds: z.record(z.string(), z.number().min(0).max(1)).optional(),
          why: z.record(z.string(), z.array(z.string().max(300)).max(5)).optional(),
        })
        .optional(),
    })
    .strict(),
);
export type Contact = z.infer<typeof ContactSchema>;

export const OfferLogEventSchema = lazy(() =>
  z
    .object({
      contactId: z.string(),
      seq: z.number().int().nonnegative(),
      at: IsoDateTimeSchema,
      event: z.enum(['PRESENTED', 'ACCEPTED', 'DECLINED', 'CLOSURE_REQUESTED', 'CONTACT_CLOSED']),
      accountId: z.string(),
      callType: CallTypeSchema,
      channel: ChannelSchema,
      stage: StageSchema,
      offerId: z.string().optional(),
      kind: z.enum(['RETENTION', 'CROSS_SELL']).optional(),
      economics: EconomicsSchema.optional(),
      customerSegment: z.string().optional(),
      cardSegment: z.string().optional(),
      configVersion: z.string(),
      /** The churn model the decision used, and the risk it put at stake (see Contact.churn). */
      churnModelId: z.string().optional(),
      churnRisk: z.number().optional(),
      /** Whether the contact's call type is a closing one (its configuration's `closing`): what a save is counted against. */
      closing: z.boolean().optional(),
      /** A synthetic contact (the canary): kept in the log, never counted in the KPI reports. */
      synthetic: z.literal(true).optional(),
      policy: z.enum(['LEARNING', 'CONTROL']).optional(),
      /** ACCEPTED and DECLINED: the desk person who took the answer (absent: self-service). */
      by: ActedBySchema.optional(),
      /**
       * ACCEPTED and DECLINED: what the propensity learner reads of the answer (once, from the log's
       * stream): the offer's catalog prior and the account's figures the decision encoded.
       */
      learning: z
        .strictObject({
          prior: z.number().gt(0).lt(1),
          figures: z
            .record(z.string().max(40), z.number().finite())
            .refine((f) => Object.keys(f).length <= 40, {
              message: 'at most 40 figures',
            }),
        })
        .optional(),
    })
    .strict(),
);
export type OfferLogEvent = z.infer<typeof OfferLogEventSchema>;
