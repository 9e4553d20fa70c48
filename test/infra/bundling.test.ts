import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { RETENTION_BUNDLING, RetentionFunction } from '../../infra/constructs/retention-function';
import { bundleEntry, functionEntry } from '../bench/bundles';

const work = mkdtempSync(join(tmpdir(), 'rd-bundling-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The asset NodejsFunction built for the one function of a synthesized app (bundling on). */
function deployedAsset(name: string): string {
  const app = new App({ outdir: join(work, `cdk.out-${name}`) });
  new RetentionFunction(new Stack(app, 'Bundling'), 'Fn', { name });
  const dir = app.synth().directory;
  const assets = readdirSync(dir).filter(
    (d) => d.startsWith('asset.') && existsSync(join(dir, d, 'index.js')),
  );
  expect(assets).toHaveLength(1);
  return join(dir, assets[0]!);
}

describe('bundling (what deploys is what `npm run bench` measures)', () => {
  it('lex-adapter: the deployed index.js is, byte for byte, the bench bundle; the AWS SDK is inside', async () => {
    const asset = deployedAsset('lex-adapter');
    const deployed = readFileSync(join(asset, 'index.js'), 'utf8');
    const bench = await bundleEntry(functionEntry('lex-adapter'), join(work, 'lex-adapter'));
    // The asset ends with the link to its source map; the bench builds without one.
    const digest = (text: string) => ({
      length: text.length,
      sha256: createHash('sha256').update(text).digest('hex'),
    });
    expect(digest(deployed.replace(/\/\/# sourceMappingURL=index\.js\.map\s*$/, ''))).toEqual(
      digest(readFileSync(bench.file, 'utf8')),
    );
    // The SDK is in the bundle, not required from the runtime's copy.
    expect(RETENTION_BUNDLING.externalModules).toEqual([]);
    expect(deployed).not.toContain('require("@aws-sdk/client-sfn")');
    expect(deployed).toContain('StartSyncExecution');
    // CommonJS (see RETENTION_BUNDLING): no ES module syntax at the top level.
    expect(deployed).not.toMatch(/^import[\s{]/m);
    const map = JSON.parse(readFileSync(join(asset, 'index.js.map'), 'utf8'));
    expect(map.sourcesContent).toBeUndefined();
  }, 120_000);
});
