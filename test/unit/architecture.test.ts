import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const files = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
const imports = (file: string) =>
  [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);

describe('architecture', () => {
  it.each(files('shared/domain'))('%s is pure: no AWS, middleware, env, clock or randomness', (f) => {
    const text = readFileSync(join(ROOT, f), 'utf8');
    for (const i of imports(f)) {
      expect(i).not.toMatch(/^@aws-sdk|^aws-cdk-lib|^@middy|^aws-lambda|^@aws-lambda-powertools/);
      expect(i.startsWith('.') || ['node:crypto', 'zod', '@marcbachmann/cel-js'].includes(i)).toBe(true);
      expect(i).not.toMatch(/adapters|application|functions|infra/);
    }
    expect(text).not.toMatch(/process\.env|Date\.now\(|Math\.random\(|new Date\(\)/);
  });
  it.each([...files('shared/application'), ...files('shared/ports')])(
    '%s imports no AWS SDK (adapters do)',
    (f) => {
      for (const i of imports(f)) expect(i).not.toMatch(/^@aws-sdk|adapters/);
    },
  );
  it.each(files('functions'))('%s is an entry point exporting makeHandler and handler', (f) => {
    const text = readFileSync(join(ROOT, f), 'utf8');
    expect(text).toMatch(/export const makeHandler/);
    expect(text).toMatch(/export const handler/);
  });
});
