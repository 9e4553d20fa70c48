import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execute, type Facts, gatherFacts, type Io, javaMajor, plan } from '../../infra/local/setup';

/** A Debian 12 machine, as root, with Java 17 and Chromium: each row changes what it tests. */
const base: Facts = {
  platform: 'linux',
  os: ['debian'],
  osVersion: 12,
  apt: true,
  root: true,
  sudo: false,
  java: 17,
  chromium: true,
  chromiumPath: '/usr/bin/chromium',
};
const JDK = 'openjdk-17-jre-headless';
const update = ['apt-get', 'update'];
const install = (...pkgs: string[]) => [
  'apt-get',
  'install',
  '-y',
  '-o',
  'Dpkg::Options::=--force-confdef',
  '-o',
  'Dpkg::Options::=--force-confold',
  ...pkgs,
];
const sudo = (argv: string[]) => ['sudo', '-n', ...argv];

describe('set-up decision (prestart/pretest): what is missing → apt-get commands or what to run', () => {
  it.each<[string, 'start' | 'test', Partial<Facts>, string[][], RegExp | null]>([
    ['everything present: nothing to do', 'test', {}, [], null],
    ['start needs no browser', 'start', { chromium: false }, [], null],
    ['root on Debian, no Java', 'start', { java: null }, [update, install(JDK)], null],
    ['Java 11 is too old: installs 17', 'start', { java: 11 }, [update, install(JDK)], null],
    [
      'root on Debian, neither: one update, one install',
      'test',
      { java: null, chromium: false },
      [update, install(JDK, 'chromium')],
      null,
    ],
    ['root on Debian, no Chromium', 'test', { chromium: false }, [update, install('chromium')], null],
    [
      'passwordless sudo: through sudo -n',
      'test',
      { root: false, sudo: true, java: null },
      [sudo(update), sudo(install(JDK))],
      null,
    ],
    [
      'Debian 13 has Java 21, not 17',
      'start',
      { java: null, osVersion: 13 },
      [update, install('openjdk-21-jre-headless')],
      null,
    ],
    [
      'Debian testing (no VERSION_ID): Java 21',
      'start',
      { java: null, osVersion: null },
      [update, install('openjdk-21-jre-headless')],
      null,
    ],
    [
      'Ubuntu 24.04 as root: Java 17 by apt',
      'start',
      { os: ['ubuntu', 'debian'], osVersion: 24, java: null },
      [update, install(JDK)],
      null,
    ],
    [
      'Ubuntu: Java by apt, Chromium only as a snap',
      'test',
      { os: ['ubuntu', 'debian'], osVersion: 24, java: null, chromium: false },
      [update, install(JDK)],
      /Chromium: .*Not found at \/usr\/bin\/chromium[\s\S]*Ubuntu has no Chromium package[\s\S]*snap install chromium[\s\S]*CHROMIUM_PATH=\/snap\/bin\/chromium/,
    ],
    [
      'not root, no sudo: the exact sudo apt-get line',
      'test',
      { root: false, java: null, chromium: false },
      [],
      /Found: none on PATH[\s\S]*not root, and sudo is missing or asks for a password[\s\S]*sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y openjdk-17-jre-headless chromium\nthen `npm test` again/,
    ],
    [
      'not root, Java present: only Chromium asked for',
      'test',
      { root: false, chromium: false },
      [],
      /install -y chromium\n/,
    ],
    [
      'macOS: brew',
      'test',
      { platform: 'darwin', os: [], apt: false, root: false, java: null, chromium: false },
      [],
      /this is macOS[\s\S]*brew install openjdk@17[\s\S]*brew --prefix openjdk@17[\s\S]*brew install --cask chromium[\s\S]*CHROMIUM_PATH=/,
    ],
    [
      'Fedora as root: not Debian, says what to install',
      'start',
      { os: ['fedora'], apt: false, java: null },
      [],
      /`npm start` needs:[\s\S]*Java 17 or newer[\s\S]*not Debian or Ubuntu[\s\S]*dnf install java-17-openjdk-headless/,
    ],
    [
      'Debian without apt-get on PATH: not installable',
      'start',
      { apt: false, java: null },
      [],
      /not Debian or Ubuntu \(no apt-get\)/,
    ],
    [
      'Windows',
      'start',
      { platform: 'win32', os: [], apt: false, root: false, java: null },
      [],
      /winget install/,
    ],
    ['an old Java is named', 'start', { root: false, java: 11 }, [], /Found: Java 11\./],
  ])('%s', (_name, command, change, commands, message) => {
    const p = plan(command, { ...base, ...change });
    expect(p.commands).toEqual(commands);
    if (message) expect(p.manual).toMatch(message);
    else expect(p.manual).toBeNull();
  });

  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_292"', 8],
    ['no version here', 0],
  ])('reads the Java major version of %s', (text, major) => {
    expect(javaMajor(text)).toBe(major);
  });
});

/** Runs nothing: records the commands and answers with the given statuses. */
function fakeIo(statuses: Array<number | null> = []) {
  const said: string[] = [];
  const ran: string[][] = [];
  const io: Io = {
    say: (l) => said.push(l),
    run: (argv) => {
      ran.push(argv);
      const status = statuses.shift();
      return status === undefined ? 0 : status;
    },
  };
  return { io, said, ran, text: () => said.join('\n') };
}

describe('set-up execution (apt replaced by a fake)', () => {
  const missing = plan('test', { ...base, java: null, chromium: false });

  it('announces each package and why, once, runs update then install, and checks again', () => {
    const f = fakeIo();
    expect(execute('test', missing, f.io, () => base)).toBe(0);
    expect(f.ran).toEqual([update, install(JDK, 'chromium')]);
    expect(f.said.filter((l) => l.includes('installing with apt-get'))).toHaveLength(1);
    expect(f.text()).toMatch(/openjdk-17-jre-headless: DynamoDB Local[\s\S]*chromium: the chat page test/);
    expect(f.text()).toMatch(
      /\[1\/2\] apt-get update\n\[2\/2\] DEBIAN_FRONTEND=noninteractive apt-get install -y/,
    );
    expect(f.text()).toMatch(/Set-up done in \d+ s/);
  });

  it('no network: a failing apt-get update stops with the commands to run, exit 1', () => {
    const f = fakeIo([100]);
    expect(execute('test', missing, f.io, () => base)).toBe(1);
    expect(f.ran).toEqual([update]);
    expect(f.text()).toMatch(/apt-get update failed \(exit 100\)[\s\S]*No network[\s\S]*apt-get update && /);
  });

  it('an install that cannot start (timed out, killed) is a failure too', () => {
    const f = fakeIo([0, null]);
    expect(execute('test', missing, f.io, () => base)).toBe(1);
    expect(f.text()).toMatch(/failed \(did not run or timed out\)/);
  });

  it('apt-get succeeded but Java is still not usable: says so, exit 1', () => {
    const f = fakeIo();
    expect(execute('test', missing, f.io, () => ({ ...base, java: 11 }))).toBe(1);
    expect(f.text()).toMatch(/still lacks: openjdk-17-jre-headless/);
  });

  it('dry run: prints the commands, runs nothing', () => {
    const f = fakeIo();
    expect(execute('test', missing, f.io, null)).toBe(0);
    expect(f.ran).toEqual([]);
    expect(f.text()).toMatch(/\(dry run\) apt-get update/);
  });

  it('Ubuntu: installs Java, then says how to get Chromium and exits 1', () => {
    const ubuntu = { ...base, os: ['ubuntu', 'debian'], osVersion: 24 };
    const f = fakeIo();
    const p = plan('test', { ...ubuntu, java: null, chromium: false });
    expect(execute('test', p, f.io, () => ({ ...ubuntu, chromium: false }))).toBe(1);
    expect(f.ran).toEqual([update, install(JDK)]);
    expect(f.text()).toMatch(/snap install chromium/);
  });

  it('present: runs nothing, says nothing', () => {
    const f = fakeIo();
    expect(execute('test', plan('test', base), f.io, () => base)).toBe(0);
    expect(f.ran).toEqual([]);
    expect(f.said).toEqual([]);
  });
});

describe('set-up facts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rd-setup-'));
  afterAll(() => rmSync(dir, { recursive: true }));
  const env = { ...process.env };

  it('reads ID, ID_LIKE and VERSION_ID of os-release when something is missing', () => {
    const osRelease = join(dir, 'os-release');
    writeFileSync(osRelease, 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n');
    process.env.RD_SETUP_JAVA = join(dir, 'no-java');
    try {
      const f = gatherFacts(osRelease);
      expect(f).toMatchObject({ java: null, os: ['ubuntu', 'debian'], osVersion: 24 });
    } finally {
      process.env.RD_SETUP_JAVA = env.RD_SETUP_JAVA;
      if (env.RD_SETUP_JAVA === undefined) delete process.env.RD_SETUP_JAVA;
    }
  });

  it('takes the Java on RD_SETUP_JAVA and its version', () => {
    const java = join(dir, 'java');
    writeFileSync(java, '#!/bin/sh\necho \'openjdk version "21.0.2" 2024-01-16\' >&2\n');
    chmodSync(java, 0o755);
    process.env.RD_SETUP_JAVA = java;
    try {
      expect(gatherFacts(join(dir, 'none')).java).toBe(21);
    } finally {
      delete process.env.RD_SETUP_JAVA;
      if (env.RD_SETUP_JAVA !== undefined) process.env.RD_SETUP_JAVA = env.RD_SETUP_JAVA;
    }
  });
});

describe('node infra/local/setup.ts (the prestart/pretest script itself)', () => {
  const script = resolve(import.meta.dirname, '../../infra/local/setup.ts');
  const node = resolve(import.meta.dirname, '../../node_modules/.bin/node');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(node, [script, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 30_000,
    });

  it('with Java and Chromium present: a check only, exit 0, well under a second of its own', () => {
    const r = run(['test']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/set-up: Java \d+, Chromium \(.*\) ready \((\d+) ms\)/);
    expect(r.stderr).not.toMatch(/apt-get/);
  });

  // The dry run shows apt-get only where it would really run it: root on Debian or Ubuntu.
  const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const rootOnDebian = process.getuid?.() === 0 && /^ID(_LIKE)?="?.*\b(debian|ubuntu)\b/m.test(osRelease);
  it.skipIf(!rootOnDebian)(
    'with Java and Chromium hidden, --dry-run prints the apt-get commands and runs none',
    () => {
      const r = run(['test', '--dry-run'], {
        RD_SETUP_JAVA: '/nonexistent/java',
        CHROMIUM_PATH: '/nonexistent/chromium',
      });
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(
        /\(dry run\) apt-get update\n.*\(dry run\) DEBIAN_FRONTEND=noninteractive apt-get install -y .* chromium/,
      );
    },
  );

  it('without a command: usage, exit 2, no stack trace', () => {
    const r = run([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^usage: node infra\/local\/setup.ts start\|test/);
  });
});
