/** What a long import has done so far. */
export interface Progress {
  records: number;
  bytesDone: number;
  bytesTotal: number;
  elapsedMs: number;
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const duration = (s: number) =>
  s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : s >= 60
      ? `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`
      : `${Math.ceil(s)}s`;

/**
 * One line of progress: a bar by bytes of the file read, the records sent, the rate, and the time
 * left at that rate: `[#########...........]  45%  21,940 records  1,012/s  ETA 27s`.
 */
export function progressLine(p: Progress, width = 24): string {
  const fraction = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 1;
  const filled = Math.round(fraction * width);
  const secs = p.elapsedMs / 1000;
  const rate = secs > 0 ? p.records / secs : 0;
  const left = fraction > 0 && fraction < 1 ? (secs * (1 - fraction)) / fraction : 0;
  return [
    `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`,
    `${String(Math.floor(fraction * 100)).padStart(3)}%`,
    `${n(p.records)} records`,
    `${n(rate)}/s`,
    ...(fraction < 1 && secs > 0 ? [`ETA ${duration(left)}`] : []),
  ].join('  ');
}

/**
 * Shows progress on stderr: redrawn in place at most 10 times a second on a terminal; on a log or a
 * pipe (CI, cron), one plain line every `everyMs` so the log stays readable.
 */
export function progressReporter(opts: { tty: boolean; write: (s: string) => void; everyMs?: number }) {
  let last = Number.NEGATIVE_INFINITY;
  let shown = '';
  const every = opts.tty ? 100 : (opts.everyMs ?? 10_000);
  return {
    update(p: Progress) {
      if (p.elapsedMs - last < every) return;
      last = p.elapsedMs;
      shown = progressLine(p);
      opts.write(opts.tty ? `\r${shown}\u001b[K` : `${shown}\n`);
    },
    /** The final line; in a log, only if it says something the last line did not. */
    done(p: Progress) {
      const line = progressLine(p);
      if (opts.tty) opts.write(`\r${line}\u001b[K\n`);
      else if (line !== shown) opts.write(`${line}\n`);
    },
  };
}
