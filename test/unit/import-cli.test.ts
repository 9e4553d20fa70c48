import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordJsonSchema } from '../../infra/local/import';
import { ImportRecordSchema } from '../../shared/schemas/import';

const ROOT = resolve(import.meta.dirname, '../..');

describe('npm run import -- --schema', () => {
  it('is the zod schema as JSON Schema: every field, the required ones required, nothing else allowed', () => {
    const schema = recordJsonSchema() as {
      type: string;
      properties: Record<string, { properties?: Record<string, unknown> }>;
      required: string[];
      additionalProperties: boolean;
    };
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(ImportRecordSchema.shape).sort());
    expect(schema.required.sort()).toEqual(
      Object.keys(ImportRecordSchema.shape)
        .filter(
          (k) =>
            ![
              'name',
              'transactionsByCategory',
              'monthlyTransactions',
              'contacts12m',
              'tags',
              'timeZone',
              'consent',
            ].includes(k),
        )
        .sort(),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties.verification?.properties ?? {}).sort()).toEqual([
      'dob',
      'last4',
      'pin',
      'zip',
    ]);
  });

  it('prints it from the command line, as JSON', () => {
    const run = spawnSync(
      process.execPath,
      [resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/import.ts', '--schema'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(JSON.stringify(recordJsonSchema())));
  });

  it('without a file, says how to use it and fails', () => {
    const run = spawnSync(
      process.execPath,
      [resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/import.ts'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/usage: npm run import -- FILE/);
  });
});
