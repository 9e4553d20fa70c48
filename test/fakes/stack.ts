import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../infra/local/stack';
import type { Account } from '../../shared/schemas/account';
import { premiumAccount, TEST_PEPPER } from './accounts';

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

/**
 * Puts a premium account straight into the stack's accounts table, as of 2026-11-01, its number the
 * prefix and the id's last four digits (each suite its own prefix): what the strategy, outbound,
 * funnel and churn suites start from, each changing what it needs.
 */
export async function putPremiumAccount(
  stack: LocalStack,
  accountId: string,
  phonePrefix: string,
  over: Partial<Account> = {},
): Promise<void> {
  await stack.db.send(
    new PutCommand({
      TableName: stack.env.ACCOUNTS_TABLE!,
      Item: premiumAccount({
        accountId,
        phone: `${phonePrefix}${accountId.slice(-4)}`,
        asOf: '2026-11-01T00:00:00.000Z',
        ...over,
      }),
    }),
  );
}
