import type { AdminAction } from '../schemas/admin';
import type { Action } from '../schemas/api';
import { type Actor, ClaimsSchema, ROLES, type Role } from '../schemas/identity';
import type { HttpRequest, HttpResponse } from './http-response';
import { problemResponse } from './http-response';

/**
 * Who may do what (README "Who may do what"). Each action names the least role that may; a role
 * also holds the roles below it: a supervisor may do what a specialist may, a specialist what an
 * agent may. Which offers a person may grant is the offer's authority, checked on the answer. An
 * action missing here is allowed to nobody (a new route is closed until it is given its roles).
 */
export const PERMISSIONS: Readonly<Partial<Record<Action | AdminAction, readonly Role[]>>> = {
  // Contacts: the desk's people. Ops read contacts (support, incidents) but never act on one.
  start: ['agent'],
  verify: ['agent'],
  offers: ['agent'],
  respond: ['agent'],
  // Recording the customer's own closure request grants nothing: any desk person may.
  close: ['agent'],
  get: ['agent', 'ops'],
  // The API's description: whoever uses some of it.
  openapi: ['agent', 'ops', 'productOwner'],
  // Taking over a voice or chat contact on the desktop (recorded on the contact).
  pickup: ['agent'],
  // Configuration: the product owner writes; ops may read it (what is live, which version).
  getActive: ['productOwner', 'ops'],
  listVersions: ['productOwner', 'ops'],
  getVersion: ['productOwner', 'ops'],
  validate: ['productOwner'],
  createVersion: ['productOwner'],
  // Four eyes: another product owner approves a version before it may be activated (never its author).
  approve: ['productOwner'],
  activate: ['productOwner'],
  cancelActivation: ['productOwner'],
  // Back to the version active before, in one step: a lever for a bad night too (as the kill switch),
  // and it only restores what was live and vetted before.
  rollback: ['productOwner', 'ops'],
  // Who changed what: configuration governance, tags, kill switch, erasures (no customer data).
  auditLog: ['productOwner', 'ops'],
  // A dry-run reads one account's figures by id, with no verified caller: the product owner's tool.
  dryRun: ['productOwner'],
  tag: ['productOwner'],
  // The issuer's account feed (it carries verification factors): an operations job.
  importAccounts: ['ops'],
  accountEvents: ['ops'],
  // Erasure on a customer's request deletes customer data: the data-lifecycle job of operations, who
  // already run the feed that writes it. Not the product owner: configuration needs no customer data.
  eraseAccount: ['ops'],
  // The kill switch: whoever is on call at night (ops) or owns the offers (product owner).
  getKillSwitch: ['productOwner', 'ops'],
  setKillSwitch: ['productOwner', 'ops'],
  // What the desk achieved (figures only, no customer): the retention owner's, and ops' at night.
  kpiReport: ['productOwner', 'ops'],
  // Strategies are configuration (the product owner's); their funnels are figures, for ops too.
  listStrategies: ['productOwner', 'ops'],
  strategyFunnel: ['productOwner', 'ops'],
  // Placing the whole portfolio again (after a failed start, or to see time conditions at once).
  placePortfolio: ['productOwner', 'ops'],
  // A dry run of strategies over a sample of accounts: figures only, the product owner's tool.
  simulateStrategies: ['productOwner'],
};

/** The roles a role implies (itself included). */
const IMPLIES: Record<Role, readonly Role[]> = {
  agent: ['agent'],
  specialist: ['specialist', 'agent'],
  supervisor: ['supervisor', 'specialist', 'agent'],
  productOwner: ['productOwner'],
  ops: ['ops'],
};

export const effectiveRoles = (roles: readonly Role[]): Set<Role> =>
  new Set(roles.flatMap((r) => IMPLIES[r]));

/** Every role that may do this action (the least roles and those above them), in ROLES order. */
export const rolesAllowed = (action: Action | AdminAction): Role[] =>
  ROLES.filter((r) => (PERMISSIONS[action] ?? []).some((least) => IMPLIES[r].includes(least)));

export const may = (actor: Actor, action: Action | AdminAction): boolean => {
  const held = effectiveRoles(actor.roles);
  return (PERMISSIONS[action] ?? []).some((r) => held.has(r));
};

const unauthenticated = (detail: string): HttpResponse =>
  problemResponse(401, 'unauthenticated', 'Not authenticated', detail);

/**
 * The caller as the authorizer verified them (API Gateway's Cognito authorizer, or the local server's
 * emulation of it): `requestContext.authorizer.claims`. Missing or malformed claims are a 401; a
 * role that may not do this action is a 403 naming the roles that may.
 */
export function authorize(
  req: HttpRequest,
  action: Action | AdminAction,
): { ok: true; actor: Actor } | { ok: false; response: HttpResponse } {
  const claims = req.requestContext?.authorizer?.claims;
  if (claims === undefined || claims === null)
    return {
      ok: false,
      response: unauthenticated('Send Authorization: Bearer <ID token> of the Retention Desk user pool.'),
    };
  const parsed = ClaimsSchema.safeParse(claims);
  if (!parsed.success)
    return {
      ok: false,
      response: unauthenticated(
        `The token's identity is incomplete: ${parsed.error.issues.map((i) => i.path.join('.') || '(claims)').join(', ')}.`,
      ),
    };
  const actor: Actor = parsed.data;
  if (!may(actor, action)) {
    const allowed = rolesAllowed(action);
    return {
      ok: false,
      response: problemResponse(
        403,
        'forbidden',
        'Role not allowed',
        `${req.httpMethod.toUpperCase()} ${req.resource} ${allowed.length ? `needs one of the roles ${allowed.join(', ')}` : 'is allowed to no role yet'}; this token has ${actor.roles.length ? actor.roles.join(', ') : 'no desk role'}.`,
        { requiredRoles: allowed },
      ),
    };
  }
  return { ok: true, actor };
}
