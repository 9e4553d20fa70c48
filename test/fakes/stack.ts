import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStackOptions, startLocalStack } from '../../infra/local/stack';
import { TEST_PEPPER } from './accounts';

/**
 * A local stack whose factor pepper is the tests' (`--pepper-file`), so accounts made with
 * `makeAccount`/`premiumAccount` verify. No synthetic portfolio unless asked. The pepper file lives
 * in the run's temporary folder, removed with it (test/global-setup.ts).
 */
export function startTestStack(opts: LocalStackOptions = {}) {
  const pepperFile = join(mkdtempSync(join(tmpdir(), 'rd-pepper-')), 'pepper');
  writeFileSync(pepperFile, `${TEST_PEPPER}\n`, { mode: 0o600 });
  return startLocalStack({ port: 0, accounts: 0, pepperFile, ...opts });
}
