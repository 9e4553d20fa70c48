import * as z from 'zod';
import { AccountIdSchema, TagSchema } from './account';
import { DecisionConfigSchema } from './config';
import { ChannelSchema } from './contact';
import { CallTypeSchema } from './enums';
import { lazy } from './lazy';

/** The admin API (product owner, ops): configuration versions and decision dry-runs. */
export const ADMIN_ROUTES = [
  { method: 'GET', resource: '/v1/admin/config', action: 'getActive' },
  { method: 'POST', resource: '/v1/admin/config/validate', action: 'validate' },
  { method: 'GET', resource: '/v1/admin/config/versions', action: 'listVersions' },
  { method: 'POST', resource: '/v1/admin/config/versions', action: 'createVersion' },
  { method: 'GET', resource: '/v1/admin/config/versions/{version}', action: 'getVersion' },
  // Governance (README "Governance"): four-eyes approval, activation now or at a time, its cancel,
  // rollback in one step, and the audit log. `…/activate` is the older name of POST `…/activation`.
  { method: 'POST', resource: '/v1/admin/config/versions/{version}/approval', action: 'approve' },
  { method: 'POST', resource: '/v1/admin/config/versions/{version}/activate', action: 'activate' },
  { method: 'POST', resource: '/v1/admin/config/versions/{version}/activation', action: 'activate' },
  {
    method: 'DELETE',
    resource: '/v1/admin/config/versions/{version}/activation',
    action: 'cancelActivation',
  },
  { method: 'POST', resource: '/v1/admin/config/rollback', action: 'rollback' },
  { method: 'GET', resource: '/v1/admin/audit', action: 'auditLog' },
  { method: 'POST', resource: '/v1/admin/decisions/dry-run', action: 'dryRun' },
  { method: 'POST', resource: '/v1/admin/tags', action: 'tag' },
  { method: 'POST', resource: '/v1/admin/accounts/import', action: 'importAccounts' },
  { method: 'POST', resource: '/v1/admin/accounts/events', action: 'accountEvents' },
  { method: 'POST', resource: '/v1/admin/accounts/{accountId}/erasure', action: 'eraseAccount' },
  // Levers for a bad night (README): the kill switch.
  { method: 'GET', resource: '/v1/admin/kill-switch', action: 'getKillSwitch' },
  { method: 'POST', resource: '/v1/admin/kill-switch', action: 'setKillSwitch' },
  { method: 'GET', resource: '/v1/admin/reports/kpis', action: 'kpiReport' },
  { method: 'GET', resource: '/v1/admin/strategies', action: 'listStrategies' },
  { method: 'POST', resource: '/v1/admin/strategies/placement', action: 'placePortfolio' },
  { method: 'POST', resource: '/v1/admin/strategies/simulation', action: 'simulateStrategies' },
  { method: 'GET', resource: '/v1/admin/strategies/{strategyId}/funnel', action: 'strategyFunnel' },
] as const;
export type AdminAction = (typeof ADMIN_ROUTES)[number]['action'];

/** A configuration document may be large (a catalog of hundreds of offers); DynamoDB items stop at 400 KB. */
export const MAX_ADMIN_BODY_BYTES = 300 * 1024;

export const StrategyIdParamSchema = lazy(() =>
  z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{2,47}$/, 'must be a strategy id (lower-kebab-case, 3 to 48 characters)'),
);

export const VersionParamSchema = lazy(() =>
  z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be 1 to 40 letters, digits or . _ -'),
);

export const DryRunBodySchema = lazy(() =>
  z.strictObject({
    accountId: AccountIdSchema,
    callType: CallTypeSchema,
    /** The channel the propensity model's view is asked for (absent: as a channel not yet known). */
    channel: ChannelSchema.optional(),
  }),
);

/**
 * A request that takes no options (an erasure, placing the portfolio): the body is absent or `{}`
 * (anything else is a 400 naming the field).
 */
export const EmptyBodySchema = lazy(() => z.strictObject({}));

/** Marks accounts with a segment tag from another system (or removes it). Idempotent. */
export const TagBodySchema = lazy(() =>
  z.strictObject({
    tag: TagSchema,
    accountIds: z.array(AccountIdSchema).min(1).max(1000),
    remove: z.boolean().optional(),
  }),
);

/** The kill switch on or off, and why (required both ways: the audit log keeps it). */
export const KillSwitchBodySchema = lazy(() =>
  z.strictObject({
    on: z.boolean(),
    reason: z.string().trim().min(3, 'say why, in a few words').max(300),
  }),
);

/**
 * A dry run of a configuration's strategies over a sample of the portfolio: a stored version, or a
 * configuration given whole (validated as a version would be), before it is activated.
 */
export const SimulationBodySchema = lazy(() =>
  z
    .strictObject({
      version: VersionParamSchema.optional(),
      config: DecisionConfigSchema.optional(),
      /** Accounts read for the sample (the first of a scan). */
      sample: z.number().int().min(1).max(20_000).optional(),
      /** Days simulated after the activation (the daily schedule's conditions on time). */
      days: z.number().int().min(1).max(90).optional(),
    })
    .refine((b) => (b.version === undefined) !== (b.config === undefined), {
      message: 'give version (a stored one) or config (a whole configuration), not both',
      path: ['version'],
    }),
);
