import type * as z from 'zod';
import { storedOutcome } from '../application/turn';
import { type ValidationError, zodErrors } from '../application/validation';
import { PROBLEMS, type Problem } from '../domain/problems';
import type { TurnOutput } from '../ports';
import {
  ClosureBodySchema,
  ContactIdSchema,
  IdempotencyKeySchema,
  MAX_BODY_BYTES,
  PickupBodySchema,
  ResponseBodySchema,
  ROUTES,
  StartContactBodySchema,
  type TurnInput,
  VerificationBodySchema,
} from '../schemas/api';
import type { Channel, Contact, PresentedOffer } from '../schemas/contact';
import { openApiDocument } from '../schemas/openapi';
import { authorize } from './authz';
import { type HttpRequest, type HttpResponse, json, problemResponse } from './http-response';

export type { HttpRequest, HttpResponse } from './http-response';
// The HTTP shapes and response builders live in their own module, so authz can use them without
// importing this one (which imports authz): no import cycle.
export { json, PROBLEM_BASE, problemResponse } from './http-response';

const kebab = (s: string) => s.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

export function domainProblem(p: Problem): HttpResponse {
  const r = problemResponse(p.status, kebab(p.name), p.title, p.detail, p.extensions ?? {});
  // A rate limit says when to come back (RFC 9110 Retry-After, in seconds).
  const retry = p.extensions?.retryAfterSeconds;
  return typeof retry === 'number' ? { ...r, headers: { ...r.headers, 'retry-after': String(retry) } } : r;
}

export function invalid(errors: ValidationError[], detail?: string): HttpResponse {
  return problemResponse(
    400,
    'validation',
    'Invalid request',
    detail ?? errors.map((e) => `${e.path}: ${e.message}`).join('; '),
    { errors },
  );
}

export function header(req: HttpRequest, name: string): string | undefined {
  if (!req.headers) return undefined;
  const key = Object.keys(req.headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : req.headers[key];
}

export function parseBody<S extends z.ZodType>(
  req: HttpRequest,
  schema: S,
  maxBytes = MAX_BODY_BYTES,
): { ok: true; value: z.infer<S> } | { ok: false; response: HttpResponse } {
  const raw = req.body ?? '';
  const text = req.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > maxBytes)
    return {
      ok: false,
      response: problemResponse(
        413,
        'body-too-large',
        'Request body too large',
        `The body may be at most ${maxBytes} bytes.`,
      ),
    };
  const type = header(req, 'content-type');
  if (type !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type))
    return {
      ok: false,
      response: problemResponse(
        415,
        'unsupported-media-type',
        'Unsupported media type',
        'Send the body as application/json.',
      ),
    };
  if (text.trim() === '')
    return { ok: false, response: invalid([{ path: '(body)', message: 'a JSON object is required' }]) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, response: invalid([{ path: '(body)', message: 'malformed JSON' }]) };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return { ok: false, response: invalid([{ path: '(body)', message: 'must be a JSON object' }]) };
  const r = schema.safeParse(parsed);
  return r.success ? { ok: true, value: r.data } : { ok: false, response: invalid(zodErrors(r.error, '')) };
}

/** The optional `Idempotency-Key` header, validated. */
function idempotencyKeyOf(
  req: HttpRequest,
): { ok: true; value?: string } | { ok: false; response: HttpResponse } {
  const key = header(req, 'idempotency-key');
  if (key === undefined) return { ok: true };
  const k = IdempotencyKeySchema.safeParse(key);
  return k.success
    ? { ok: true, value: k.data }
    : { ok: false, response: invalid(zodErrors(k.error, 'Idempotency-Key')) };
}

/** HTTP request → the turn the state machine runs, or the 4xx answer that ends it here. */
export function parseRequest(
  req: HttpRequest,
  now: string,
): { ok: true; input: TurnInput } | { ok: false; response: HttpResponse } {
  const route = ROUTES.find((r) => r.resource === req.resource && r.method === req.httpMethod.toUpperCase());
  if (!route) {
    const known = ROUTES.some((r) => r.resource === req.resource);
    return {
      ok: false,
      response: known
        ? problemResponse(
            405,
            'method-not-allowed',
            'Method not allowed',
            `${req.httpMethod} is not served on ${req.resource}.`,
          )
        : problemResponse(404, 'not-found', 'Not found', `No route for ${req.httpMethod} ${req.path}.`),
    };
  }
  // Who is calling comes before what they send: an unauthenticated caller learns nothing of the body's rules.
  const auth = authorize(req, route.action);
  if (!auth.ok) return auth;
  const { actor } = auth;
  // The API's own description ends here too: no turn to run.
  if (route.action === 'openapi') return { ok: false, response: json(200, openApiDocument()) };
  if (route.action === 'start') {
    const b = parseBody(req, StartContactBodySchema);
    return b.ok ? { ok: true, input: { action: 'start', now, request: b.value, actor } } : b;
  }
  if (route.action === 'pickup') {
    const b = parseBody(req, PickupBodySchema);
    return b.ok ? { ok: true, input: { action: 'pickup', now, contactId: b.value, actor } } : b;
  }
  const id = ContactIdSchema.safeParse(req.pathParameters?.contactId);
  if (!id.success) return { ok: false, response: invalid(zodErrors(id.error, 'contactId')) };
  const contactId = id.data;
  switch (route.action) {
    case 'verify': {
      const key = idempotencyKeyOf(req);
      if (!key.ok) return key;
      const b = parseBody(req, VerificationBodySchema);
      return b.ok
        ? {
            ok: true,
            input: {
              action: 'verify',
              now,
              contactId,
              request: b.value,
              ...(key.value ? { idempotencyKey: key.value } : {}),
              actor,
            },
          }
        : b;
    }
    case 'respond': {
      const key = idempotencyKeyOf(req);
      if (!key.ok) return key;
      const b = parseBody(req, ResponseBodySchema);
      return b.ok
        ? {
            ok: true,
            input: {
              action: 'respond',
              now,
              contactId,
              request: b.value,
              ...(key.value ? { idempotencyKey: key.value } : {}),
              actor,
            },
          }
        : b;
    }
    case 'close': {
      // No body, or an empty JSON object: there is nothing to choose.
      if ((req.body ?? '').trim() !== '') {
        const b = parseBody(req, ClosureBodySchema);
        if (!b.ok) return b;
      }
      return { ok: true, input: { action: 'close', now, contactId, actor } };
    }
    case 'offers':
    case 'get':
      return { ok: true, input: { action: route.action, now, contactId, actor } };
  }
}

const scriptFor = (o: PresentedOffer, channel: Channel) => o.scripts[channel];

export function offerView(o: PresentedOffer, channel: Channel) {
  return {
    offerId: o.offerId,
    kind: o.kind,
    title: o.title,
    script: scriptFor(o, channel),
    reasons: o.reasons,
    economics: o.economics,
    authority: o.authority ?? 'AGENT',
  };
}

function currentOffers(c: Contact, ids: readonly string[] = c.current) {
  return ids
    .map((id) => c.offers.find((o) => o.offerId === id))
    .filter((o) => o !== undefined)
    .map((o) => offerView(o, c.channel));
}

/** The contact as the API shows it: the account id only once the caller is verified. */
export function contactView(c: Contact) {
  return {
    contactId: c.contactId,
    channel: c.channel,
    callType: c.callType,
    stage: c.stage,
    route: c.route,
    verification: { status: c.verification.status, attemptsLeft: c.verification.attemptsLeft },
    ...(c.verification.status === 'VERIFIED' && c.accountId ? { accountId: c.accountId } : {}),
    ...(c.segment ? { segment: { customer: c.segment.customer, card: c.segment.card } } : {}),
    offersPresented: c.offers.map((o) => ({
      ...offerView(o, c.channel),
      presentedAt: o.presentedAt,
      response: o.response ?? null,
    })),
    currentOffers: [...c.current],
    answers: c.answers.map((a) => ({
      offerId: a.offerId,
      response: a.response,
      at: a.at,
      // Who answered: a desk person (sub and username), or null for the self-service channel.
      by: a.by ?? null,
    })),
    ...(c.agent ? { agent: c.agent } : {}),
    outcome: c.outcome ?? null,
    history: c.history,
    configVersion: c.configVersion,
    ...(c.churn ? { churn: c.churn } : {}),
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** The state machine's answer → the HTTP answer of the route that asked. */
export function renderOutput(input: TurnInput, out: TurnOutput): HttpResponse {
  if (out.outcome === 'rejected') return domainProblem(out.problem);
  if (out.outcome === 'fallback') return fallbackResponse(out.failedAt, out.error, out.route, input.action);
  const c = out.contact;
  switch (input.action) {
    case 'start':
      return json(
        201,
        { contactId: c.contactId, stage: c.stage, route: c.route },
        { location: `/v1/contacts/${c.contactId}` },
      );
    case 'verify':
      if (c.stage === 'LOCKED')
        return domainProblem({
          name: 'VerificationLocked',
          ...PROBLEMS.VerificationLocked,
          detail: 'Too many failed attempts: verification is locked; the caller goes to security.',
          extensions: {
            stage: c.stage,
            attemptsLeft: 0,
            lockedUntil: c.verification.lockedUntil,
            route: c.route,
          },
        });
      return json(200, {
        verified: c.verification.status === 'VERIFIED',
        stage: c.stage,
        attemptsLeft: c.verification.attemptsLeft,
        result: c.verification.lastResult ?? null,
        route: c.route,
      });
    case 'offers':
      return json(200, {
        stage: c.stage,
        segment: c.segment ? { customer: c.segment.customer, card: c.segment.card } : null,
        offers: currentOffers(c),
      });
    case 'close':
      return json(200, { stage: c.stage, outcome: c.outcome ?? null, offers: [] });
    case 'respond': {
      const a = c.answers.find((x) => x.offerId === input.request.offerId);
      if (!a) return json(200, { stage: c.stage, outcome: c.outcome ?? null, offers: currentOffers(c) });
      return json(200, {
        stage: a.result.stage,
        outcome: a.result.outcome ?? null,
        offers: currentOffers(c, a.result.offerIds),
      });
    }
    case 'get':
    case 'pickup':
      return json(200, contactView(c));
  }
}

/**
 * A fault inside Retention Desk: the caller is not lost, the answer says which agent takes them, and
 * what was stored: `outcome: 'failed'` (nothing changed) or `'unknown'` (the turn may have been
 * stored: the same request repeated tells which, and is applied at most once).
 */
export function fallbackResponse(
  failedAt: string,
  error: string,
  route: unknown,
  action?: TurnInput['action'],
): HttpResponse {
  const outcome = storedOutcome(failedAt, error, action);
  return problemResponse(
    503,
    'degraded',
    'Retention Desk could not complete the turn',
    outcome === 'failed'
      ? `${failedAt} failed (${error}): nothing was changed; hand the caller to the route given.`
      : `${failedAt} did not complete (${error}): the turn may or may not have been stored. Repeat the request with the same Idempotency-Key (a start: the same externalContactId) to learn the result; hand the caller to the route given meanwhile.`,
    { outcome, route },
  );
}
