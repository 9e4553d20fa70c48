import * as z from 'zod';
import {
  ContactViewSchema,
  OffersAnswerSchema,
  ProblemSchema,
  RespondAnswerSchema,
  StartAnswerSchema,
  VerifyAnswerSchema,
} from './answers';
import {
  type Action,
  ClosureBodySchema,
  IdempotencyKeySchema,
  PickupBodySchema,
  ResponseBodySchema,
  ROUTES,
  StartContactBodySchema,
  VerificationBodySchema,
} from './api';

/**
 * The REST API v1 described as OpenAPI 3.1, generated from the very zod schemas the handlers parse
 * requests with (shared/schemas/api.ts) and render answers by (./answers.ts): served at
 * GET /v1/openapi.json (locally and behind the stack's API), checked against the OpenAPI 3.1 schema,
 * and every answer of the end-to-end suite is validated against it (test/fakes/local-client.ts).
 * The admin API (/v1/admin/…) is not in it yet.
 */

type Json = Record<string, unknown>;
const schema = (s: z.ZodType, io: 'input' | 'output'): Json =>
  z.toJSONSchema(s, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Json;

/** What each route answers when it succeeds. */
const SUCCESS: Record<Action, { status: string; description: string; body: () => z.ZodType }> = {
  start: {
    status: '201',
    description: 'The contact started, and where it stands',
    body: () => StartAnswerSchema,
  },
  pickup: {
    status: '200',
    description: 'The contact, now held by the person in the token',
    body: () => ContactViewSchema,
  },
  verify: { status: '200', description: 'The verification judged', body: () => VerifyAnswerSchema },
  offers: {
    status: '200',
    description: 'The offers on the table, best first',
    body: () => OffersAnswerSchema,
  },
  respond: {
    status: '200',
    description: 'The answer recorded; the next offers after a decline',
    body: () => RespondAnswerSchema,
  },
  close: {
    status: '200',
    description: 'The closure request recorded; no offers follow',
    body: () => RespondAnswerSchema,
  },
  get: { status: '200', description: 'The contact', body: () => ContactViewSchema },
  openapi: {
    status: '200',
    description: 'This document',
    body: () => z.looseObject({ openapi: z.string() }),
  },
};

const BODIES: Partial<Record<Action, () => z.ZodType>> = {
  start: () => StartContactBodySchema,
  pickup: () => PickupBodySchema,
  verify: () => VerificationBodySchema,
  respond: () => ResponseBodySchema,
  close: () => ClosureBodySchema,
};

/** The problems a route may answer, by status. */
const PROBLEMS: Record<string, string> = {
  '400': 'Invalid request: `errors` names each failing field',
  '401': 'Missing, invalid or expired token',
  '403': 'Role or offer authority not enough: `requiredRoles` names who may',
  '404': 'No such contact',
  '409': 'Not possible now (not verified, stage, a concurrent change: repeat the request)',
  '413': 'Request body too large',
  '415': 'The body is not application/json',
  '423': 'Verification locked: the caller goes to security',
  '422': 'The Idempotency-Key was first used for another request: use a new key for a new one',
  '429': 'Rate limit reached: `Retry-After` says when to try again',
  '503':
    'Retention Desk could not complete the turn: `outcome` says if anything was stored, `route` where the caller goes',
};
const problemsOf = (action: Action): string[] => {
  if (action === 'openapi') return ['401', '403'];
  const all = ['400', '401', '403', '404', '409', '413', '415', '429', '503'];
  if (action === 'verify') return [...all, '422', '423'];
  return action === 'respond' ? [...all, '422'] : all;
};

let built: Json | undefined;

export function openApiDocument(): Json {
  if (built) return built;
  const problem = { $ref: '#/components/schemas/Problem' };
  const paths: Record<string, Json> = {};
  for (const r of ROUTES) {
    const ok = SUCCESS[r.action];
    const body = BODIES[r.action];
    const parameters: Json[] = [];
    if (r.resource.includes('{contactId}'))
      parameters.push({
        name: 'contactId',
        in: 'path',
        required: true,
        schema: { type: 'string', format: 'uuid' },
        description: 'A contact id returned by POST /v1/contacts',
      });
    if (r.action === 'verify' || r.action === 'respond')
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        schema: schema(IdempotencyKeySchema, 'input'),
        description: 'A retried request with the same key is answered as the first was, and counts once',
      });
    const operation: Json = {
      operationId: r.action,
      summary: ok.description,
      ...(parameters.length ? { parameters } : {}),
      ...(body
        ? {
            requestBody: {
              required: r.action !== 'close',
              content: { 'application/json': { schema: schema(body(), 'input') } },
            },
          }
        : {}),
      responses: {
        [ok.status]: {
          description: ok.description,
          content: { 'application/json': { schema: schema(ok.body(), 'output') } },
        },
        ...Object.fromEntries(
          problemsOf(r.action).map((s) => [
            s,
            { description: PROBLEMS[s], content: { 'application/problem+json': { schema: problem } } },
          ]),
        ),
      },
    };
    paths[r.resource] = { ...(paths[r.resource] ?? {}), [r.method.toLowerCase()]: operation };
  }
  built = {
    openapi: '3.1.0',
    info: {
      title: 'Retention Desk REST API',
      version: '1',
      description:
        'The agent desktop’s API: start a contact, verify the caller, read and answer offers, record a closure. Errors are RFC 9457 problems.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An ID token: the Cognito user pool on AWS, the local issuer with npm start',
        },
      },
      schemas: { Problem: schema(ProblemSchema, 'output') },
    },
  };
  return built;
}
