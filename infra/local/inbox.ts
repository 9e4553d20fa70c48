import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Context } from 'aws-lambda';
import { INCOMING_PREFIX, REPORTS_PREFIX } from '../../shared/application/feed';
import { s3Event } from './folder-bucket';

/** The local import bucket's name, as the notifications carry it. */
export const LOCAL_BUCKET = 'local-import-bucket';

type ImportHandler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * The import bucket on one machine: a folder whose `incoming/` is watched. A file that has stopped
 * growing is handed to the real ImportAccounts handler as S3 would notify it, and its report lands
 * in `reports/`. Polled (once a second), so it works on every file system.
 */
export function startInbox(opts: {
  dir: string;
  handler: ImportHandler;
  context: () => Context;
  onImported?: (key: string, outcome: unknown) => void;
  onError?: (key: string, error: unknown) => void;
  pollMs?: number;
}): { close(): Promise<void> } {
  const incoming = join(opts.dir, INCOMING_PREFIX);
  mkdirSync(incoming, { recursive: true });
  mkdirSync(join(opts.dir, REPORTS_PREFIX), { recursive: true });
  /** Files seen, by key: their size and time at the last poll, and whether they were imported. */
  const seen = new Map<string, { size: number; mtimeMs: number; done: boolean }>();
  let running: Promise<void> = Promise.resolve();
  let closed = false;

  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(join(dir, e.name))
        : e.isFile() && !e.name.startsWith('.')
          ? [join(dir, e.name)]
          : [],
    );

  const poll = async () => {
    for (const file of walk(incoming)) {
      const key = relative(opts.dir, file).split('\\').join('/');
      const { size, mtimeMs } = statSync(file);
      const before = seen.get(key);
      // Imported once per version of the file: a file written again is imported again.
      if (before?.done && before.size === size && before.mtimeMs === mtimeMs) continue;
      const stable = before !== undefined && before.size === size && before.mtimeMs === mtimeMs;
      seen.set(key, { size, mtimeMs, done: false });
      if (!stable) continue; // still being written, perhaps: next poll
      try {
        opts.onImported?.(key, await opts.handler(s3Event(LOCAL_BUCKET, key), opts.context()));
      } catch (e) {
        opts.onError?.(key, e);
      }
      seen.set(key, { size, mtimeMs, done: true });
    }
  };
  let busy = false;
  const timer = setInterval(() => {
    if (closed || busy) return;
    busy = true;
    running = poll()
      .catch((e: unknown) => opts.onError?.('(inbox)', e))
      .finally(() => {
        busy = false;
      });
  }, opts.pollMs ?? 1000);
  return {
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
