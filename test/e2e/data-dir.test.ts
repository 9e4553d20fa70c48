import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../infra/local/default-config';
import { startLocalStack } from '../../infra/local/stack';
import { verifyFactors } from '../../shared/domain/verification';
import { AccountSchema } from '../../shared/schemas/account';

/**
 * `npm start -- --data DIR`: the data and its pepper stay together across restarts, and a pepper
 * that does not match the data is refused at start (it would make every verification fail).
 * Restarts read the tables directly: the functions' clients belong to the first stack of a process.
 */
describe('a data folder keeps its pepper', () => {
  it('is created with mode 600, verifies the kept accounts after a restart, and a foreign pepper is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rd-data-'));
    const first = await startLocalStack({ port: 0, accounts: 0, dataDir: dir });
    const persona = first.personas[0]!.persona;
    await first.stop();
    const pepperFile = join(dir, 'pepper');
    expect(statSync(pepperFile).mode & 0o777).toBe(0o600);
    const pepper = readFileSync(pepperFile, 'utf8').trim();
    expect(pepper).toMatch(/^[0-9a-f]{64}$/);

    const second = await startLocalStack({ port: 0, accounts: 0, dataDir: dir });
    try {
      const item = await second.db.send(
        new GetCommand({ TableName: second.env.ACCOUNTS_TABLE!, Key: { accountId: persona.accountId } }),
      );
      const account = AccountSchema.parse(item.Item);
      const r = verifyFactors({
        secrets: account.verification,
        pepper,
        given: { last4: persona.last4, zip: persona.zip },
        callerMatched: false,
        policy: DEFAULT_CONFIG.verification,
        now: new Date().toISOString(),
      });
      expect(r.kind).toBe('verified');
    } finally {
      await second.stop();
    }

    writeFileSync(pepperFile, `${'f'.repeat(64)}\n`);
    await expect(startLocalStack({ port: 0, accounts: 0, dataDir: dir })).rejects.toThrow(
      /not the one the accounts .* were hashed with/,
    );
  }, 120_000);
});
