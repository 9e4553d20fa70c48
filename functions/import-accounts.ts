import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { accountStore, configSource, importBucket, pepper, salt } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { lazyHandler } from '../shared/adapters/task-handler';
import {
  type ImportSummary,
  INCOMING_PREFIX,
  importObject,
  objectKey,
  S3EventSchema,
} from '../shared/application/feed';
import { activePlacer } from '../shared/application/strategies';
import { zodErrors } from '../shared/application/validation';
import type { AccountImportStore, ConfigSource, ObjectStore } from '../shared/ports';
import { ImportRecordSchema } from '../shared/schemas/import';
import { prebuild } from '../shared/schemas/lazy';

// Every imported record is parsed with it: built at init, not inside the first import.
prebuild(ImportRecordSchema);

export interface ImportAccountsDeps {
  bucket: string;
  objects: ObjectStore;
  store: AccountImportStore;
  pepper: () => Promise<string>;
  /** A fresh salt per account's factor hashes (default: the composition root's). */
  salt?: () => string;
  clock?: () => Date;
  /** The active configuration: its strategies place each account the file writes. */
  configs?: ConfigSource;
}
type Outcome = { key: string; summary?: ImportSummary; skipped?: string };

/**
 * ImportAccounts: each new object under `incoming/` of the import bucket is imported with the same
 * code as the admin API, and its report written under `reports/`. A malformed notification is
 * logged and dropped (retrying cannot fix it); a failure midway (S3, DynamoDB past its retries) is
 * thrown, so Lambda retries the whole object, which is safe: what was written is then `unchanged`.
 */
export const makeHandler = (deps: ImportAccountsDeps) =>
  middy<unknown, Outcome[], Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const parsed = S3EventSchema.safeParse(event);
      if (!parsed.success) {
        logger.error('import notification refused', {
          errors: zodErrors(parsed.error, ''),
        });
        return [];
      }
      const outcomes: Outcome[] = [];
      for (const r of parsed.data.Records) {
        const key = objectKey(r.s3.object.key);
        if (r.s3.bucket.name !== deps.bucket || !key.startsWith(INCOMING_PREFIX)) {
          logger.warn('import skipped: not an incoming object of the import bucket', { key });
          outcomes.push({ key, skipped: 'not an incoming object of the import bucket' });
          continue;
        }
        const placer = deps.configs ? await activePlacer(deps.configs) : undefined;
        const summary = await importObject(key, {
          objects: deps.objects,
          importer: {
            store: deps.store,
            salt: deps.salt ?? salt,
            pepper: await deps.pepper(),
            ...(placer ? { placer } : {}),
          },
          now: () => (deps.clock?.() ?? new Date()).toISOString(),
        });
        const { source: _s, ...counts } = summary;
        logger.info('import done', { key, ...counts });
        outcomes.push({ key, summary });
      }
      return outcomes;
    });

export const handler = lazyHandler('import-accounts', () =>
  makeHandler({ ...importBucket(), store: accountStore(), pepper, salt, configs: configSource() }),
);
