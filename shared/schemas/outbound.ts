import * as z from 'zod';
import { AccountIdSchema, IsoDateTimeSchema } from './account';
import { lazy } from './lazy';

/** An outbound request as the outbox publishes it (shared/domain/outbound.ts, OutboundRequest). */
export const OutboundRequestSchema = lazy(() =>
  z.strictObject({
    id: z.string().regex(/^ob-[0-9a-f]{32}$/, 'must be an outbound request id'),
    accountId: AccountIdSchema,
    strategyId: z.string().regex(/^[a-z0-9][a-z0-9-]{2,47}$/),
    version: z.number().int().positive(),
    stageId: z.string().regex(/^[A-Z][A-Z0-9_]{1,39}$/),
    channel: z.enum(['VOICE', 'AGENT_TASK', 'MESSAGE', 'TEAM_TASK']),
    purpose: z.string().min(1).max(300),
    team: z.string().min(1).max(60).optional(),
    cause: z.string().min(1).max(40),
    at: IsoDateTimeSchema,
  }),
);
