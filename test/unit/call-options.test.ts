import { describe, expect, it } from 'vitest';
import {
  CALL_USAGE,
  parseAnswer,
  parseCallOptions,
  parseCallType,
  parseFactors,
} from '../../infra/local/call-options';
import { CALL_TYPES } from '../../shared/schemas/config';

const parse = (...argv: string[]) => parseCallOptions(argv, 12, {});
const refusal = (...argv: string[]) => {
  try {
    parse(...argv);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
};

describe('npm run call: options', () => {
  it('defaults to the agent desk on the local stack, asking what is not given', () => {
    expect(parse()).toEqual({
      url: 'http://127.0.0.1:3000',
      factors: [],
      answers: [],
      channel: 'agent',
      roles: ['agent'],
      user: 'desk-agent',
      help: false,
    });
    expect(parseCallOptions([], 12, { RD_URL: 'http://127.0.0.1:4000/' }).url).toBe('http://127.0.0.1:4000');
  });

  it('reads every choice: persona, call type by name or number, factors per attempt, answers among the offers', () => {
    const o = parse(
      '--persona',
      '3',
      '--call-type',
      'fee_complaint',
      '--factors',
      'w,c',
      '--answers',
      'd,2,accept:3,decline:2,a',
      '--channel',
      'agent',
      '--role',
      'supervisor',
    );
    expect(o).toMatchObject({
      persona: 3,
      callType: 'FEE_COMPLAINT',
      factors: ['wrong', 'correct'],
      answers: [
        { response: 'DECLINED', offer: 1 },
        { response: 'ACCEPTED', offer: 2 },
        { response: 'ACCEPTED', offer: 3 },
        { response: 'DECLINED', offer: 2 },
        { response: 'ACCEPTED', offer: 1 },
      ],
      roles: ['supervisor'],
    });
    expect(parseCallType('7')).toBe(CALL_TYPES[6]);
    expect(parse('--channel', 'lex', '--answers', 'a,d').channel).toBe('lex');
  });

  it('refuses a wrong value, naming the flag and the choices (a mistyped call type is no CLOSE_ACCOUNT)', () => {
    expect(refusal('--call-type', 'CLOSE_ACOUNT')).toBe(
      `--call-type: "CLOSE_ACOUNT" is not a call type: one of ${CALL_TYPES.join(', ')}, or its number 1–9`,
    );
    expect(refusal('--call-type', '0')).toMatch(/^--call-type: "0" is not a call type/);
    expect(refusal('--persona', '13')).toBe('--persona: "13" is not a persona: 1–12');
    expect(refusal('--persona', '1.5')).toMatch(/^--persona: /);
    expect(refusal('--channel', 'phone')).toBe(
      '--channel: "phone" is not a channel: one of agent, connect, lex',
    );
    expect(refusal('--factors', 'c,maybe')).toBe(
      '--factors: "maybe" is not a verification answer: c (correct) or w (wrong)',
    );
    expect(refusal('--answers', 'a,yes')).toMatch(
      /^--answers: "yes" is not an answer: a, accept, accept:N, N, d/,
    );
    expect(refusal('--answers', '0')).toBe('--answers: "0": offers are numbered from 1');
    expect(refusal('--channel', 'connect', '--answers', 'd,accept:2')).toBe(
      '--answers: connect puts one offer at a time, so only the first can be answered (not offer 2)',
    );
    expect(refusal('--role', 'boss')).toMatch(/^--role: unknown role "boss": one of agent, /);
    expect(refusal('--url', 'ftp://x')).toBe('--url: "ftp://x" is not an http or https URL');
    expect(refusal('--url', 'not a url')).toMatch(/^--url: "not a url" is not a URL/);
    expect(refusal('--user', 'a b')).toMatch(/^--user: "a b" is not a username/);
    expect(refusal('--bogus')).toMatch(/^Unknown option '--bogus'/);
    expect(refusal('extra')).toMatch(/positional/i);
  });

  it('parses single answers and factors as the prompts take them', () => {
    expect(parseAnswer(' Accept ')).toEqual({ response: 'ACCEPTED', offer: 1 });
    expect(parseAnswer('decline:4')).toEqual({ response: 'DECLINED', offer: 4 });
    expect(parseAnswer('Close')).toEqual({ response: 'CLOSE', offer: 1 });
    expect(parseFactors('W')).toBe('wrong');
    expect(() => parseAnswer('')).toThrow(/is not an answer/);
  });

  it('documents every flag it reads', () => {
    for (const flag of [
      '--persona',
      '--call-type',
      '--factors',
      '--answers',
      '--channel',
      '--role',
      '--user',
      '--url',
      '--token',
      '--help',
    ])
      expect(CALL_USAGE, flag).toContain(flag);
    for (const t of CALL_TYPES) expect(CALL_USAGE).toContain(t);
  });
});
