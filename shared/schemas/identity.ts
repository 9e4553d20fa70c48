import * as z from 'zod';
import { lazy } from './lazy';

/** The roles of the desk: Cognito groups of the same names, the `cognito:groups` claim of a token. */
export const ROLES = ['agent', 'specialist', 'supervisor', 'productOwner', 'ops'] as const;
export const RoleSchema = lazy(() => z.enum(ROLES));
export type Role = z.infer<typeof RoleSchema>;

export const ROLE_DESCRIPTIONS: Record<Role, string> = {
  agent: 'Retention agent: takes contacts, verifies, presents and records offers of agent authority',
  specialist: 'Retention specialist: an agent who may also grant offers of specialist authority',
  supervisor: 'Supervisor: a specialist who may also grant offers of supervisor authority',
  productOwner: 'Retention product owner: configuration versions, activation, dry-runs, segment tags',
  ops: 'Operations: reads contacts and configuration, runs account imports and change events',
};

/** Who may grant an offer, in order: a specialist may do what an agent may, a supervisor what a specialist may. */
export const AUTHORITIES = ['AGENT', 'SPECIALIST', 'SUPERVISOR'] as const;
export const AuthoritySchema = lazy(() => z.enum(AUTHORITIES));
export type Authority = z.infer<typeof AuthoritySchema>;

/**
 * `cognito:groups` as it arrives: a JSON array (a decoded token), a comma-separated string (API
 * Gateway REST's Cognito authorizer flattens claims to strings) or "[a b]" (HTTP API's JWT authorizer).
 * Groups that are not desk roles are ignored (a pool may hold other groups).
 */
const GroupsClaimSchema = lazy(() =>
  z
    .union([
      z.array(z.string().max(128)).max(50),
      z
        .string()
        .max(2000)
        .transform((s) =>
          s
            .replace(/^\[|\]$/g, '')
            .split(/[\s,]+/)
            .filter(Boolean),
        ),
    ])
    .transform((gs) => ROLES.filter((r) => gs.includes(r))),
);

const Name = lazy(() =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\p{L}\p{M}\p{N}._@+-]+$/u, 'letters, digits and . _ @ + - only'),
);

/** The authorizer's claims (ID token): who is calling and in which roles. Other claims are ignored. */
export const ClaimsSchema = lazy(() =>
  z
    .object({
      sub: Name,
      'cognito:username': Name,
      'cognito:groups': GroupsClaimSchema.optional(),
    })
    .transform((c) => ({ sub: c.sub, username: c['cognito:username'], roles: c['cognito:groups'] ?? [] })),
);

/** A person of the desk acting on a turn: what the contact and the offer log record of them. */
export const ActorSchema = lazy(() =>
  z.strictObject({
    sub: Name,
    username: Name,
    roles: z.array(RoleSchema).max(ROLES.length),
  }),
);
export type Actor = z.infer<typeof ActorSchema>;

/** Who did something, as stored: the Cognito subject and the username (not the person's name). */
export const ActedBySchema = lazy(() => z.strictObject({ sub: z.string(), username: z.string() }));
export type ActedBy = z.infer<typeof ActedBySchema>;
