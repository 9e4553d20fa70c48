import type { ActedBy, Actor, Authority, Role } from '../schemas/identity';

// The authority rules over the desk's roles. The schemas define the names (the contract); the
// order and the role table are rules, so they live here, typed by the contract: an authority added
// to AUTHORITIES without its rank and role here does not compile.

/** Who may grant an offer, in order: a specialist may do what an agent may, a supervisor what a specialist may. */
const RANK: Record<Authority, number> = { AGENT: 0, SPECIALIST: 1, SUPERVISOR: 2 };

export const authorityRank = (a: Authority | undefined): number => RANK[a ?? 'AGENT'];

/** The highest offer authority these roles carry; none for roles that take no contacts. */
export function authorityOf(roles: readonly Role[]): Authority | undefined {
  if (roles.includes('supervisor')) return 'SUPERVISOR';
  if (roles.includes('specialist')) return 'SPECIALIST';
  if (roles.includes('agent')) return 'AGENT';
  return undefined;
}

/** The desk role that holds an authority (for "needs a supervisor"). */
export const ROLE_OF_AUTHORITY: Record<Authority, Role> = {
  AGENT: 'agent',
  SPECIALIST: 'specialist',
  SUPERVISOR: 'supervisor',
};

/** Roles that hold at least this authority. */
export const rolesWithAuthority = (a: Authority): Role[] =>
  (Object.keys(RANK) as Authority[])
    .filter((x) => RANK[x] >= authorityRank(a))
    .sort((x, y) => RANK[x] - RANK[y])
    .map((x) => ROLE_OF_AUTHORITY[x]);

export const actedBy = (a: Actor): ActedBy => ({ sub: a.sub, username: a.username });
