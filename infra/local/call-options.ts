import { parseArgs } from 'node:util';
import { CALL_TYPES, type CallType } from '../../shared/schemas/config';
import { type Role, RoleSchema } from '../../shared/schemas/identity';
import { parseRoles, TOKEN_HELP } from './authorizer';

/**
 * `npm run call`'s options, checked before anything is sent: a wrong value is an error that names
 * the choices (a mistyped call type used to become CLOSE_ACCOUNT without a word).
 */

export const CHANNELS = ['agent', 'connect', 'lex'] as const;
export type CallChannel = (typeof CHANNELS)[number];

/**
 * One answer to the offers shown: accept or decline the n-th of them (1: the first), or CLOSE: the
 * customer insists on closing now (no further offer).
 */
export interface Answer {
  response: 'ACCEPTED' | 'DECLINED' | 'CLOSE';
  offer: number;
}

/** One verification attempt: the factors given right, or the card's last four given wrong. */
export type Factors = 'correct' | 'wrong';

export interface CallOptions {
  url: string;
  persona?: number;
  callType?: CallType;
  /** Per attempt, in order; the last is repeated while the contact still verifies. */
  factors: Factors[];
  /** In order; when they run out the call asks (a terminal) or ends with what it has (piped). */
  answers: Answer[];
  channel: CallChannel;
  token?: string;
  roles: Role[];
  user: string;
  help: boolean;
}

/** Text wrapped at `width`, every line indented by `indent`. */
function wrap(text: string, indent: number, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l) => ' '.repeat(indent) + l).join('\n');
}

export const CALL_USAGE = `npm run call -- [options]   (every option is optional: what is not given is asked)

  --persona N       the caller, 1–PERSONAS (the list is printed first)
  --call-type T     why they call: a name or its number, one of
${wrap(CALL_TYPES.map((t, i) => `${i + 1} ${t}`).join(', '), 20, 100)}
  --factors F,…     per verification attempt: c (correct) or w (wrong: the card's last four are off),
                    e.g. w,c; the last one repeats
  --answers A,…     per offer decision, in order:
                      a, accept      accept the first offer shown     d, decline   decline the first
                      N, accept:N    accept the N-th offer shown      decline:N    decline the N-th
                      close          "just close it": the closure is recorded now, no more offers
                    (the agent desk shows several offers at once; Connect and Lex put one at a time,
                    so there only the first can be answered)
  --channel C       ${CHANNELS.join(' | ')} (default agent): the REST API as the agent desk uses it, the
                    connect-adapter as Amazon Connect invokes it, the lex-adapter as Lex V2 does
  --role R[,R…]     the roles of the token it mints (default agent: an offer of specialist or
                    supervisor authority is then refused with 403, try --role supervisor); one of
                    ${RoleSchema.options.join(', ')}
  --user NAME       the username of the token it mints (default desk-agent)
  --url URL         the local stack (default env RD_URL, else http://127.0.0.1:3000)
  -h, --help        this text
${TOKEN_HELP}`;

/** "accept:2" → accept the second offer shown. */
export function parseAnswer(text: string): Answer {
  const t = text.trim().toLowerCase();
  if (t === 'close') return { response: 'CLOSE', offer: 1 };
  if (/^\d+$/.test(t)) return { response: 'ACCEPTED', offer: offerNumber(t, text) };
  const m = /^(a|accept|d|decline)(?::(\d+))?$/.exec(t);
  if (!m)
    throw new Error(
      `"${text}" is not an answer: a, accept, accept:N, N, d, decline, decline:N (N: 1, 2, …) or close`,
    );
  return {
    response: m[1]!.startsWith('a') ? 'ACCEPTED' : 'DECLINED',
    offer: m[2] === undefined ? 1 : offerNumber(m[2], text),
  };
}

function offerNumber(digits: string, text: string): number {
  const n = Number(digits);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`"${text}": offers are numbered from 1`);
  return n;
}

export function parseFactors(text: string): Factors {
  const t = text.trim().toLowerCase();
  if (t === 'c' || t === 'correct' || t === 'right') return 'correct';
  if (t === 'w' || t === 'wrong') return 'wrong';
  throw new Error(`"${text}" is not a verification answer: c (correct) or w (wrong)`);
}

/** A call type by name (any case) or by its number in CALL_TYPES. */
export function parseCallType(text: string): CallType {
  const t = text.trim();
  const byName = CALL_TYPES.find((c) => c === t.toUpperCase());
  if (byName) return byName;
  if (/^\d+$/.test(t) && CALL_TYPES[Number(t) - 1]) return CALL_TYPES[Number(t) - 1]!;
  throw new Error(
    `"${text}" is not a call type: one of ${CALL_TYPES.join(', ')}, or its number 1–${CALL_TYPES.length}`,
  );
}

export function parsePersona(text: string, count: number): number {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < 1 || n > count) throw new Error(`"${text}" is not a persona: 1–${count}`);
  return n;
}

/** The options of `npm run call`, or the first problem, named by its flag. */
export function parseCallOptions(
  argv: readonly string[],
  personas: number,
  env: Record<string, string | undefined> = process.env,
): CallOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        persona: { type: 'string' },
        'call-type': { type: 'string' },
        factors: { type: 'string' },
        answers: { type: 'string' },
        channel: { type: 'string' },
        token: { type: 'string' },
        role: { type: 'string' },
        user: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new Error((e as Error).message.split('\n')[0]);
  }
  const flag = <T>(name: string, parse: () => T): T => {
    try {
      return parse();
    } catch (e) {
      const m = (e as Error).message;
      throw new Error(m.startsWith(`--${name}`) ? m : `--${name}: ${m}`);
    }
  };
  const str = (name: string) => values[name] as string | undefined;
  const list = (name: string) =>
    (str(name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const url = flag('url', () => {
    const u = str('url') ?? env.RD_URL ?? 'http://127.0.0.1:3000';
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new Error(`"${u}" is not a URL (e.g. http://127.0.0.1:3000)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new Error(`"${u}" is not an http or https URL`);
    return u.replace(/\/+$/, '');
  });
  const channel = flag('channel', () => {
    const c = (str('channel') ?? 'agent').trim().toLowerCase();
    if (!(CHANNELS as readonly string[]).includes(c))
      throw new Error(`"${str('channel')}" is not a channel: one of ${CHANNELS.join(', ')}`);
    return c as CallChannel;
  });
  const answers = flag('answers', () => list('answers').map(parseAnswer));
  if (channel !== 'agent') {
    const later = answers.find((a) => a.offer > 1);
    if (later)
      throw new Error(
        `--answers: ${channel} puts one offer at a time, so only the first can be answered (not offer ${later.offer})`,
      );
  }
  const user = flag('user', () => {
    const u = (str('user') ?? 'desk-agent').trim();
    if (!/^[\w.@-]{1,64}$/.test(u))
      throw new Error(`"${u}" is not a username: 1–64 letters, digits, . _ @ -`);
    return u;
  });
  return {
    url,
    ...(str('persona') !== undefined
      ? { persona: flag('persona', () => parsePersona(str('persona')!, personas)) }
      : {}),
    ...(str('call-type') !== undefined
      ? { callType: flag('call-type', () => parseCallType(str('call-type')!)) }
      : {}),
    factors: flag('factors', () => list('factors').map(parseFactors)),
    answers,
    channel,
    ...(str('token') !== undefined ? { token: str('token') } : {}),
    roles: flag('role', () => parseRoles(str('role') ?? 'agent')),
    user,
    help: values.help === true,
  };
}
