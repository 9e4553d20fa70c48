import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONAS } from '../../infra/local/personas';
import type { LocalStack } from '../../infra/local/stack';
import { startTestStack } from '../fakes/stack';

/**
 * `npm run call` against the local stack, as a person runs it (scripted with flags, stdin closed):
 * a choice among the offers the desk shows, the chat as Lex holds it, and a wrong flag refused
 * before anything is sent.
 */
const ROOT = resolve(import.meta.dirname, '../..');
let stack: LocalStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

function call(...args: string[]) {
  return new Promise<{ code: number | null; out: string; err: string }>((ok) => {
    const p = spawn(
      process.execPath,
      [resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'infra/local/call.ts', '--url', stack.url, ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => ok({ code, out, err }));
  });
}

// The premium transactor, who is shown several retention offers at once on the desk.
const persona = String(PERSONAS.findIndex((p) => p.expect.customerSegment === 'PREMIUM_TRANSACTOR') + 1);

describe('npm run call', () => {
  it('accepts the offer the agent picks among those shown, not only the first', async () => {
    const token = await stack.issuer.sign({ roles: ['supervisor'], user: 'desk-cli' });
    const r = await call(
      '--token',
      token,
      '--persona',
      persona,
      '--call-type',
      '1',
      '--factors',
      'c',
      '--answers',
      '2',
    );
    expect(r.code, r.err).toBe(0);
    const shown = [
      ...r.out.matchAll(/^ {3}(\d)\. \[RETENTION\] .*\(([a-z0-9-]+)\)(?: {2}needs [a-z]+ authority)?$/gm),
    ].map((m) => m[2]);
    expect(shown.length).toBeGreaterThan(1);
    // The authority an offer needs is said with it (the fee waiver is a specialist's).
    expect(r.out).toMatch(/\(annual-fee-waiver\) {2}needs specialist authority$/m);
    expect(r.out).toContain(`── ACCEPTED ${shown[1]}  HTTP 200`);
    expect(r.out).toMatch(/Call ended: stage RETAINED, outcome SAVED/);
  });

  it('holds the chat as Lex would: a wrong last four, then the right ones, then the offer accepted', async () => {
    const r = await call(
      '--channel',
      'lex',
      '--persona',
      persona,
      '--call-type',
      'CLOSE_ACCOUNT',
      '--factors',
      'w,c',
      '--answers',
      'a',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/That did not match\. 2 attempt\(s\) left/);
    expect(r.out).toMatch(/bot \(ConfirmIntent\): /);
    expect(r.out).toMatch(/customer: “yes”[\s\S]*bot \(Close\): /);
    expect(r.out).toMatch(/Chat ended: Close/);
  });

  it.each(['agent', 'connect', 'lex'])(
    'on %s, "close" at the offer records the closure at once',
    async (channel) => {
      const token = await stack.issuer.sign({ roles: ['agent'], user: 'desk-cli' });
      const r = await call(
        '--token',
        token,
        '--channel',
        channel,
        '--persona',
        String(Number(persona) + 1),
        '--call-type',
        '1',
        '--factors',
        'c',
        '--answers',
        'close',
      );
      expect(r.code, r.err).toBe(0);
      if (channel === 'agent') {
        expect(r.out).toContain('── The customer insists: closure requested  HTTP 200');
        expect(r.out).toMatch(/Call ended: stage CLOSED, outcome CLOSURE_REQUESTED/);
      } else if (channel === 'connect') expect(r.out).toMatch(/\$\.External\.outcome = CLOSURE_REQUESTED/);
      else expect(r.out).toMatch(/customer: “Just close it”\s+bot \(Close\): We are sorry to see you go/);
    },
  );

  it('refuses a mistyped call type before calling anyone, naming the choices', async () => {
    const r = await call('--persona', persona, '--call-type', 'CLOSE_ACOUNT');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--call-type: "CLOSE_ACOUNT" is not a call type: one of CLOSE_ACCOUNT, FEE_COMPLAINT,/,
    );
    expect(r.out).toBe('');
  });
});
