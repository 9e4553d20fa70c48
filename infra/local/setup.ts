/**
 * The system packages behind `npm start` and `npm test` (their prestart/pretest scripts):
 *   - Java 17+ runs DynamoDB Local (the local stack; the storage, integration and HTTP tests);
 *   - Chromium runs the chat page test (test/e2e/chat.test.ts), for `npm test` only.
 * When both are there this is a check and nothing else (no apt). When one is missing on Debian
 * or Ubuntu, as root or with passwordless sudo, it installs it with apt-get, without a terminal;
 * anywhere else it says what to run, and exits 1.
 *
 * Run by the Node that `npm ci` brings (`node infra/local/setup.ts start|test`): Node 24 runs this
 * file as it is (types stripped), so it imports only node: modules, with no tsx start-up cost.
 * For trying it on a machine that has everything: `--dry-run` (or RD_SETUP_DRY_RUN=1, through
 * npm) prints the apt-get commands instead of running them; RD_SETUP_JAVA names the Java command
 * to probe (default `java`), and CHROMIUM_PATH the browser (default /usr/bin/chromium, also read
 * by the chat test).
 */
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export type Need = 'java' | 'chromium';

/** What the machine has and is, as far as the set-up cares. */
export interface Facts {
  platform: NodeJS.Platform;
  /** `ID` and `ID_LIKE` of /etc/os-release, lower case (e.g. ['ubuntu', 'debian']). */
  os: string[];
  /** Debian's VERSION_ID as a number; null on testing/sid or when unknown. */
  osVersion: number | null;
  apt: boolean;
  root: boolean;
  /** sudo runs without asking for a password (`sudo -n true`). */
  sudo: boolean;
  /** Major version of the Java on PATH; null when there is none. */
  java: number | null;
  chromium: boolean;
  chromiumPath: string;
}

export interface Plan {
  /** apt-get commands to run, in order (empty: nothing to install). */
  commands: string[][];
  /** Packages being installed, each with why, for the one announcement. */
  installing: Array<{ pkg: string; why: string }>;
  /** What is still missing after the commands, and how to get it: printed, then exit 1. */
  manual: string | null;
}

export const MIN_JAVA = 17;
const WHY: Record<Need, string> = {
  java: 'DynamoDB Local runs on it (the local stack; the storage, integration and HTTP tests)',
  chromium: 'the chat page test (test/e2e/chat.test.ts) drives it headless',
};
const APT_ENV = 'DEBIAN_FRONTEND=noninteractive';
// dpkg's own questions (changed config files) answered with the defaults: nothing waits for a terminal.
const APT_INSTALL = [
  'apt-get',
  'install',
  '-y',
  '-o',
  'Dpkg::Options::=--force-confdef',
  '-o',
  'Dpkg::Options::=--force-confold',
];

/** `java -version` text → major version (`"17.0.15"` → 17, `"1.8.0_292"` → 8); 0 when unreadable. */
export function javaMajor(versionText: string): number {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionText);
  if (!m) return 0;
  return m[1] === '1' ? Number(m[2]) : Number(m[1]);
}

const has = (f: Facts, id: string) => f.os.includes(id);
const ubuntu = (f: Facts) => has(f, 'ubuntu');
const debianLike = (f: Facts) => f.platform === 'linux' && f.apt && (has(f, 'debian') || ubuntu(f));

/** Debian 13 dropped OpenJDK 17; its Java is 21. Ubuntu and older Debian still have 17. */
export function javaPackage(f: Facts): string {
  const newDebian = !ubuntu(f) && (f.osVersion === null || f.osVersion >= 13);
  return newDebian ? 'openjdk-21-jre-headless' : `openjdk-${MIN_JAVA}-jre-headless`;
}

function missingLine(need: Need, f: Facts): string {
  if (need === 'java')
    return `  • Java ${MIN_JAVA} or newer: ${WHY.java}. Found: ${f.java === null ? 'none on PATH' : `Java ${f.java || '(unknown version)'}`}.`;
  return `  • Chromium: ${WHY.chromium}. Not found at ${f.chromiumPath}.`;
}

/** How to get each missing thing where this script cannot install it. */
function howTo(missing: Need[], f: Facts, reason: string): string[] {
  const out: string[] = [];
  const java = missing.includes('java');
  const chromium = missing.includes('chromium');
  if (f.platform === 'darwin') {
    if (java)
      out.push(
        'brew install openjdk@17',
        'export PATH="$(brew --prefix openjdk@17)/bin:$PATH"   # brew keeps it off PATH',
      );
    if (chromium)
      out.push(
        'brew install --cask chromium',
        'export CHROMIUM_PATH=/Applications/Chromium.app/Contents/MacOS/Chromium',
      );
  } else if (debianLike(f)) {
    const pkgs = [java && javaPackage(f), chromium && !ubuntu(f) && 'chromium'].filter(Boolean);
    const sudo = f.root ? '' : 'sudo ';
    if (pkgs.length > 0)
      out.push(`${sudo}apt-get update && ${sudo}${APT_ENV} apt-get install -y ${pkgs.join(' ')}`);
    if (chromium && ubuntu(f))
      out.push(
        `${sudo}snap install chromium   # Ubuntu ships Chromium only as a snap`,
        'export CHROMIUM_PATH=/snap/bin/chromium',
      );
  } else {
    if (java)
      out.push(
        f.platform === 'win32'
          ? 'winget install EclipseAdoptium.Temurin.17.JRE'
          : 'Java 17+ from your package manager (e.g. `sudo dnf install java-17-openjdk-headless`) or https://adoptium.net',
      );
    if (chromium)
      out.push(
        'Chromium (or Chrome) from your package manager, then: export CHROMIUM_PATH=/path/to/chromium',
      );
  }
  return [
    `It cannot install ${missing.length > 1 ? 'them' : 'it'} here: ${reason}. Run:`,
    ...out.map((l) => `  ${l}`),
  ];
}

function whyNot(f: Facts): string {
  if (f.platform === 'darwin') return 'this is macOS (no apt-get)';
  if (f.platform !== 'linux') return `this is ${f.platform} (no apt-get)`;
  if (!debianLike(f)) return 'this is not Debian or Ubuntu (no apt-get)';
  return 'not root, and sudo is missing or asks for a password';
}

/** The decision: what `command` needs, what is missing, and what to do about it. Pure. */
export function plan(command: 'start' | 'test', f: Facts): Plan {
  const needs: Need[] = command === 'test' ? ['java', 'chromium'] : ['java'];
  const missing = needs.filter((n) => (n === 'java' ? (f.java ?? 0) < MIN_JAVA : !f.chromium));
  const none: Plan = { commands: [], installing: [], manual: null };
  if (missing.length === 0) return none;
  const canApt = debianLike(f) && (f.root || f.sudo);
  // Ubuntu's Chromium is a snap (no snapd in most containers and CI): never apt's for it.
  const viaApt = canApt ? missing.filter((n) => n === 'java' || !ubuntu(f)) : [];
  const rest = missing.filter((n) => !viaApt.includes(n));
  const installing = viaApt.map((n) => ({ pkg: n === 'java' ? javaPackage(f) : 'chromium', why: WHY[n] }));
  const sudo = f.root ? [] : ['sudo', '-n'];
  const commands =
    installing.length === 0
      ? []
      : [
          [...sudo, 'apt-get', 'update'],
          [...sudo, ...APT_INSTALL, ...installing.map((i) => i.pkg)],
        ];
  const manual =
    rest.length === 0
      ? null
      : [
          `\`npm ${command}\` needs:`,
          ...rest.map((n) => missingLine(n, f)),
          ...howTo(rest, f, canApt ? 'Ubuntu has no Chromium package, only a snap' : whyNot(f)),
          `then \`npm ${command}\` again.`,
        ].join('\n');
  return { commands, installing, manual };
}

// ---------------------------------------------------------------------------------------------
// The machine (everything below touches it).

function onPath(cmd: string): boolean {
  if (cmd.includes('/')) return canRun(cmd);
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && canRun(join(d, cmd)));
}
function canRun(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function probeJava(cmd = process.env.RD_SETUP_JAVA || 'java'): number | null {
  const r = spawnSync(cmd, ['-version'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
  if (r.error || r.status !== 0) return null;
  return javaMajor(`${r.stderr}${r.stdout}`);
}

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

/** Facts for `plan`. The OS, sudo and apt are looked at only when something is missing. */
export function gatherFacts(osReleaseFile = '/etc/os-release'): Facts {
  const path = chromiumPath();
  const f: Facts = {
    platform: process.platform,
    os: [],
    osVersion: null,
    apt: false,
    root: process.getuid?.() === 0,
    sudo: false,
    java: probeJava(),
    chromium: canRun(path),
    chromiumPath: path,
  };
  if ((f.java ?? 0) >= MIN_JAVA && f.chromium) return f;
  let text = '';
  try {
    text = readFileSync(osReleaseFile, 'utf8');
  } catch {}
  const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?`, 'm').exec(text)?.[1]?.toLowerCase() ?? '';
  f.os = `${field('ID')} ${field('ID_LIKE')}`.split(/\s+/).filter(Boolean);
  const v = Number.parseInt(field('VERSION_ID'), 10);
  f.osVersion = Number.isNaN(v) ? null : v;
  f.apt = f.platform === 'linux' && onPath('apt-get');
  f.sudo =
    !f.root &&
    onPath('sudo') &&
    spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
  return f;
}

export interface Io {
  say(line: string): void;
  /** Runs a command with output to the terminal; its exit status (null: it could not start or timed out). */
  run(argv: string[]): number | null;
}

// Shown as a shell would run it: the environment the install gets is part of the command.
const show = (argv: string[]) => `${argv.includes('install') ? `${APT_ENV} ` : ''}${argv.join(' ')}`;

/**
 * Runs the plan's commands, then checks again. Returns the exit code: 0 ready, 1 with the
 * message said. `recheck` gives the facts after installing (null in a dry run: nothing changed).
 */
export function execute(command: 'start' | 'test', p: Plan, io: Io, recheck: (() => Facts) | null): number {
  if (p.commands.length > 0) {
    io.say(
      `Retention Desk set-up for \`npm ${command}\`: installing with apt-get (once; later runs skip this):`,
    );
    for (const i of p.installing) io.say(`  • ${i.pkg}: ${i.why}`);
    const t0 = Date.now();
    for (const [k, argv] of p.commands.entries()) {
      io.say(`[${k + 1}/${p.commands.length}] ${recheck ? '' : '(dry run) '}${show(argv)}`);
      if (!recheck) continue;
      const status = io.run(argv);
      if (status !== 0) {
        io.say(
          [
            `\n${show(argv)} failed (${status === null ? 'did not run or timed out' : `exit ${status}`}).`,
            'No network, or apt is busy or misconfigured? See its output above; once fixed, run:',
            `  ${p.commands.map((c) => show(c.filter((a) => a !== '-n'))).join(' && ')}`,
            `then \`npm ${command}\` again.`,
          ].join('\n'),
        );
        return 1;
      }
    }
    if (recheck) {
      const still = plan(command, recheck());
      if (still.commands.length > 0) {
        io.say(
          `apt-get finished, but \`npm ${command}\` still lacks: ${still.installing.map((i) => i.pkg).join(', ')} (is an older Java first on PATH?).`,
        );
        return 1;
      }
      io.say(`Set-up done in ${Math.round((Date.now() - t0) / 1000)} s.`);
    }
  }
  if (p.manual) {
    io.say(p.manual);
    return 1;
  }
  return 0;
}

function main(argv: string[]): number {
  const command = argv.find((a) => a === 'start' || a === 'test');
  if (!command) {
    console.error('usage: node infra/local/setup.ts start|test [--dry-run]');
    return 2;
  }
  const dryRun = argv.includes('--dry-run') || process.env.RD_SETUP_DRY_RUN === '1';
  const t0 = performance.now();
  const facts = gatherFacts();
  const p = plan(command, facts);
  const io: Io = {
    say: (line) => console.error(line),
    run: (a) => {
      const [cmd, ...args] = a;
      const opts: SpawnSyncOptions = {
        // No standard input: apt or sudo can never wait for an answer.
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        timeout: 30 * 60_000,
      };
      return spawnSync(cmd!, args, opts).status;
    },
  };
  const code = execute(command, p, io, dryRun ? null : () => gatherFacts());
  if (code === 0 && p.commands.length === 0 && !p.manual) {
    const java = `Java ${facts.java}`;
    const ms = Math.round(performance.now() - t0);
    console.error(
      `set-up: ${command === 'test' ? `${java}, Chromium (${facts.chromiumPath})` : java} ready (${ms} ms)`,
    );
  }
  return code;
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2));
