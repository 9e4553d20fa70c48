import { describe, expect, it } from 'vitest';
import { progressLine, progressReporter } from '../../infra/local/progress';

describe('import progress', () => {
  it('draws the bar by bytes read, with records, rate and time left', () => {
    expect(progressLine({ records: 21_940, bytesDone: 45, bytesTotal: 100, elapsedMs: 20_000 }, 20)).toBe(
      '[#########...........]   45%  21,940 records  1,097/s  ETA 25s',
    );
    expect(progressLine({ records: 10, bytesDone: 1, bytesTotal: 1000, elapsedMs: 60_000 }, 10)).toBe(
      '[..........]    0%  10 records  0/s  ETA 16h39m',
    );
  });
  it('a finished or empty file is 100 % with no time left', () => {
    expect(progressLine({ records: 5, bytesDone: 10, bytesTotal: 10, elapsedMs: 1000 }, 4)).toBe(
      '[####]  100%  5 records  5/s',
    );
    expect(progressLine({ records: 0, bytesDone: 0, bytesTotal: 0, elapsedMs: 0 }, 4)).toBe(
      '[####]  100%  0 records  0/s',
    );
  });
  it('redraws in place on a terminal, at most 10 times a second', () => {
    const out: string[] = [];
    const r = progressReporter({ tty: true, write: (s) => out.push(s) });
    for (let ms = 0; ms <= 1000; ms += 10)
      r.update({ records: ms, bytesDone: ms, bytesTotal: 2000, elapsedMs: ms });
    expect(out.length).toBe(11);
    expect(out.every((s) => s.startsWith('\r') && !s.endsWith('\n'))).toBe(true);
    r.done({ records: 2000, bytesDone: 2000, bytesTotal: 2000, elapsedMs: 2000 });
    expect(out.at(-1)).toMatch(/^\r\[#+\] {2}100%.*\n$/);
  });
  it('writes plain lines every 10 s to a log or a pipe, no carriage returns', () => {
    const out: string[] = [];
    const r = progressReporter({ tty: false, write: (s) => out.push(s) });
    for (let ms = 0; ms <= 60_000; ms += 100)
      r.update({ records: ms, bytesDone: ms, bytesTotal: 120_000, elapsedMs: ms });
    expect(out.length).toBe(7);
    expect(out.every((s) => !s.includes('\r') && s.endsWith('\n'))).toBe(true);
    r.done({ records: 60_000, bytesDone: 60_000, bytesTotal: 120_000, elapsedMs: 60_000 });
    expect(out.length).toBe(7);
    r.done({ records: 120_000, bytesDone: 120_000, bytesTotal: 120_000, elapsedMs: 61_000 });
    expect(out.at(-1)).toMatch(/^\[#+\] {2}100% {2}120,000 records/);
  });
});
