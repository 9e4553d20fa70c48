import * as z from 'zod';
import { ImportRecordSchema } from './import';
import { lazy } from './lazy';

// Apart from ./churn.ts because it builds on the import record, whose schemas import the account's,
// which import ./churn.ts (the score stored on an account): one module would make an import cycle.

/** What happened to the account in the label window after its `asOf`. */
export const ChurnLabelSchema = lazy(() => z.strictObject({ closed: z.boolean() }));

/**
 * An import record for the churn model: the identity fields (`name`, `phones`, `verification`) may
 * be there or not and are dropped unread (`z.unknown()`: not even checked), so the model never sees
 * a factor, a name or a phone, and a file exported for the import can be labelled as it is.
 */
const churnRecord = <L extends z.ZodType>(label: L) =>
  ImportRecordSchema.omit({ name: true, phones: true, verification: true })
    .extend({
      name: z.unknown().optional(),
      phones: z.unknown().optional(),
      verification: z.unknown().optional(),
      label,
    })
    .transform(({ name: _n, phones: _p, verification: _v, ...figures }) => figures);

/** One line of a training file: the account's figures at `asOf` and its label. */
export const ChurnTrainingRecordSchema = lazy(() => churnRecord(ChurnLabelSchema));
export type ChurnTrainingRecord = z.output<typeof ChurnTrainingRecordSchema>;

/** One line of a file to score: the same, the label optional (and ignored). */
export const ChurnScoringRecordSchema = lazy(() => churnRecord(ChurnLabelSchema.optional()));
export type ChurnScoringRecord = z.output<typeof ChurnScoringRecordSchema>;
