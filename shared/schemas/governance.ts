import * as z from 'zod';
import { ActedBySchema } from './identity';
import { lazy } from './lazy';

/** How a version became active: seeded, by a person now, by the schedule, by a rollback, by the kill switch. */
export const ACTIVATION_HOWS = ['SEED', 'MANUAL', 'SCHEDULED', 'ROLLBACK', 'KILL_SWITCH'] as const;
export const ActivationHowSchema = lazy(() => z.enum(ACTIVATION_HOWS));
export type ActivationHow = z.infer<typeof ActivationHowSchema>;

/** One activation on the active configuration's history (the rollback stack): newest last. */
export const ActivationRecordSchema = lazy(() =>
  z.strictObject({
    version: z.string(),
    activatedAt: z.string(),
    activatedBy: ActedBySchema.optional(),
    how: ActivationHowSchema,
  }),
);
export type ActivationRecord = z.infer<typeof ActivationRecordSchema>;
export const ActivationHistorySchema = lazy(() => z.array(ActivationRecordSchema));

/** A version's activation asked for a later time: at most one is pending at a time. */
export const PendingActivationSchema = lazy(() =>
  z.strictObject({
    /** Unique per request: the schedule carries out (and a cancel removes) this one, not a later one. */
    id: z.string(),
    version: z.string(),
    at: z.string(),
    requestedAt: z.string(),
    requestedBy: ActedBySchema,
  }),
);
export type PendingActivation = z.infer<typeof PendingActivationSchema>;

/**
 * `POST …/versions/{version}/activation` (and `…/activate`): no body or `{}` activates now; `{ "at" }`
 * (ISO 8601 with a zone, e.g. `2026-12-03T06:00:00Z`) records a pending activation. Whether `at` is in
 * the future and close enough is checked against the clock (shared/domain/governance.ts).
 */
export const ActivationBodySchema = lazy(() =>
  z.strictObject({
    at: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 time with a zone, e.g. 2026-12-03T06:00:00Z' })
      .optional(),
  }),
);

/** `GET /v1/admin/audit?month=YYYY-MM`: one month of the audit log (default: this month). */
export const AuditQuerySchema = lazy(() =>
  z.strictObject({
    month: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month, YYYY-MM')
      .optional(),
    /** Only the entries about this subject (a configuration version, a tag). */
    subject: z.string().min(1).max(64).optional(),
  }),
);
