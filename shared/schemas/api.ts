import * as z from 'zod';
import { AccountIdSchema, E164Schema, IsoDateSchema } from './account';
import { ChannelSchema, OfferResponseSchema } from './contact';
import { CallTypeSchema } from './enums';
import { ActorSchema } from './identity';
import { lazy } from './lazy';

/** The REST API v1 routes: CDK builds API Gateway resources from this table, the local server matches on it. */
export const ROUTES = [
  { method: 'POST', resource: '/v1/contacts', action: 'start' },
  // Before `{contactId}`: the local server matches in this order (API Gateway prefers the literal).
  { method: 'POST', resource: '/v1/contacts/pickup', action: 'pickup' },
  { method: 'POST', resource: '/v1/contacts/{contactId}/verification', action: 'verify' },
  { method: 'GET', resource: '/v1/contacts/{contactId}/offers', action: 'offers' },
  { method: 'POST', resource: '/v1/contacts/{contactId}/responses', action: 'respond' },
  // The customer insists ("just close it"): the closure request is recorded at once, no more offers.
  { method: 'POST', resource: '/v1/contacts/{contactId}/closure', action: 'close' },
  { method: 'GET', resource: '/v1/contacts/{contactId}', action: 'get' },
  // This API described (OpenAPI 3.1, shared/schemas/openapi.ts): what the agent desktop reads.
  { method: 'GET', resource: '/v1/openapi.json', action: 'openapi' },
] as const;
export type Route = (typeof ROUTES)[number];
export type Action = Route['action'];

/** Largest request body accepted (bytes); API Gateway allows more, we never need it. */
export const MAX_BODY_BYTES = 4096;

export const ContactIdSchema = lazy(() =>
  z.uuid({ message: 'must be a contact id returned by POST /v1/contacts' }),
);

/** The channel's own id of a contact (Connect's ContactId, a Lex session, an agent desktop's). */
export const ExternalContactIdSchema = lazy(() =>
  z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1 to 100 letters, digits or . _ : -'),
);

/**
 * A contact as a turn names it: its id, or (channel adapters) the channel's own id, which
 * LoadContact turns into the contact id with a secret key, so nobody outside can derive it.
 */
export const ContactRefSchema = lazy(() =>
  z.union([
    ContactIdSchema,
    z.strictObject({ channel: ChannelSchema, externalContactId: ExternalContactIdSchema }),
  ]),
);
export type ContactRef = z.infer<typeof ContactRefSchema>;

export const StartContactBodySchema = lazy(() =>
  z
    .strictObject({
      channel: ChannelSchema,
      callType: CallTypeSchema,
      callerPhone: E164Schema.optional(),
      accountId: AccountIdSchema.optional(),
      externalContactId: ExternalContactIdSchema.optional(),
    })
    .refine((b) => b.callerPhone !== undefined || b.accountId !== undefined, {
      message: 'give callerPhone or accountId (or both)',
      path: ['callerPhone'],
    }),
);
export type StartContactBody = z.infer<typeof StartContactBodySchema>;

export const FACTOR_NAMES = ['last4', 'zip', 'dob', 'pin'] as const;
export type FactorName = (typeof FACTOR_NAMES)[number];

export const VerificationBodySchema = lazy(() =>
  z
    .strictObject({
      last4: z
        .string()
        .regex(/^\d{4}$/, 'must be the 4 last digits of the card')
        .optional(),
      zip: z
        .string()
        .regex(/^\d{5}$/, 'must be a 5-digit ZIP code')
        .optional(),
      dob: IsoDateSchema.optional(),
      pin: z
        .string()
        .regex(/^\d{4,6}$/, 'must be 4 to 6 digits')
        .optional(),
    })
    .refine((b) => FACTOR_NAMES.some((f) => b[f] !== undefined), {
      message: 'give at least one of last4, zip, dob, pin',
      path: [],
    }),
);
export type VerificationBody = z.infer<typeof VerificationBodySchema>;

/** A desk person takes over a voice or chat contact by the channel's own id (Connect ContactId, `lex-<session>`). */
export const PickupBodySchema = lazy(() =>
  z.strictObject({
    channel: z.enum(['voice', 'chat']),
    externalContactId: ExternalContactIdSchema,
  }),
);
export type PickupBody = z.infer<typeof PickupBodySchema>;

export const ResponseBodySchema = lazy(() =>
  z.strictObject({
    offerId: z.string().regex(/^[a-z0-9][a-z0-9-]{2,47}$/, 'must be an offerId from the offers presented'),
    response: OfferResponseSchema,
  }),
);
export type ResponseBody = z.infer<typeof ResponseBodySchema>;

/** POST …/closure takes no fields: a body, if sent, is `{}`. */
export const ClosureBodySchema = lazy(() => z.strictObject({}));

export const IdempotencyKeySchema = lazy(() =>
  z.string().regex(/^[A-Za-z0-9._:-]{8,100}$/, 'must be 8 to 100 letters, digits or . _ : -'),
);

/**
 * One turn, as the state machine receives it. `now` comes from the caller so a turn has one clock.
 * `actor` is the desk person the REST API's authorizer verified; the channel adapters (Connect, Lex)
 * send none: a turn without an actor is self-service.
 */
const actor = lazy(() => ActorSchema.optional());
export const TurnInputSchema = lazy(() =>
  z.discriminatedUnion('action', [
    z.strictObject({
      action: z.literal('start'),
      now: z.iso.datetime(),
      request: StartContactBodySchema,
      actor,
      /**
       * The canary's mark (functions/canary.ts): set only by a principal allowed to start the state
       * machine itself (the channels build their inputs and never set it), and honoured only for the
       * canary's own account (shared/domain/canary.ts). Keeps the canary out of reports and metrics.
       */
      synthetic: z.literal(true).optional(),
    }),
    z.strictObject({
      action: z.literal('verify'),
      now: z.iso.datetime(),
      contactId: ContactRefSchema,
      request: VerificationBodySchema,
      /** A retried attempt with the same key is answered as the first was, and counts once. */
      idempotencyKey: IdempotencyKeySchema.optional(),
      actor,
    }),
    z.strictObject({
      action: z.literal('offers'),
      now: z.iso.datetime(),
      contactId: ContactRefSchema,
      actor,
    }),
    z.strictObject({
      action: z.literal('respond'),
      now: z.iso.datetime(),
      contactId: ContactRefSchema,
      request: ResponseBodySchema,
      idempotencyKey: IdempotencyKeySchema.optional(),
      actor,
    }),
    z.strictObject({
      action: z.literal('close'),
      now: z.iso.datetime(),
      contactId: ContactRefSchema,
      actor,
    }),
    z.strictObject({ action: z.literal('get'), now: z.iso.datetime(), contactId: ContactRefSchema, actor }),
    /** Only a desk person picks a contact up: the actor is required. */
    z.strictObject({
      action: z.literal('pickup'),
      now: z.iso.datetime(),
      contactId: ContactRefSchema,
      actor: ActorSchema,
    }),
  ]),
);
export type TurnInput = z.infer<typeof TurnInputSchema>;
