import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * CDK apps built without an `outdir` (the infra tests build many) synthesize into a new
 * `cdk.out*` folder under the system temp folder. The run removes those it created.
 */
const cdkOut = () => new Set(readdirSync(tmpdir()).filter((n) => n.startsWith('cdk.out')));

export default function setup() {
  const before = cdkOut();
  return () => {
    for (const name of cdkOut())
      if (!before.has(name)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  };
}
