import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The whole run's temporary files go to one folder of its own, removed at the end: CDK apps built
 * without an `outdir` (the infra tests build many) write a `cdk.out*` folder each, local stacks
 * their pepper and key files. The test workers are started after this and inherit TMPDIR, so a
 * run never touches another run's files.
 */
export default function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'rd-test-run-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
