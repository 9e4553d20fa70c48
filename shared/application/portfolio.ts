// The whole portfolio placed by the active strategies: after an activation (the backfill), and on a
// schedule (conditions on time: days in a stage, days since the last contact).

import type { Move } from '../domain/strategies';
import type { PlacementProgress, SegmentProgress } from '../ports';
import type { Account } from '../schemas/account';
import type { DecisionConfig } from '../schemas/config';
import { type Placer, placerOf, watchedPlacer } from './strategies';

/** The portfolio is placed in this many segments of a parallel scan, each its own invocation. */
export const PORTFOLIO_SEGMENTS = 4;

export interface PortfolioStore {
  scanAccounts(
    segment: number,
    totalSegments: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ accounts: Account[]; next?: Record<string, unknown> }>;
  /** 'scored': only the churn score was written (no stage moved). */
  placeAccount(
    held: Account,
    placer: Placer,
    cause: string,
  ): Promise<'moved' | 'scored' | 'unchanged' | 'changed'>;
  get(accountId: string): Promise<Account | undefined>;
}

/**
 * Places every account of one segment with the configuration's strategies, judged now (a record's
 * `asOf` is when the issuer saw it, not when the time conditions are read). An account that moved
 * while it was being placed is read again and placed again, so every account ends where its latest
 * state puts it, and every move is counted with its write. Progress is recorded every few pages.
 */
export async function placeSegment(
  deps: {
    store: PortfolioStore;
    progress: PlacementProgress;
    clock?: () => string;
    /** Told of each account's moves once they are written (the stage log). */
    onMoves?: (moves: Move[], at: string) => void;
  },
  config: DecisionConfig,
  run: { segment: number; totalSegments: number; cause: string },
): Promise<SegmentProgress> {
  const clock = deps.clock ?? (() => new Date().toISOString());
  const startedAt = clock();
  const p: SegmentProgress = { ...run, startedAt, updatedAt: startedAt, scanned: 0, moved: 0, done: false };
  // Time conditions are read at the run's time, whatever the record's asOf.
  const watched = watchedPlacer(placerOf(config, clock));
  const placer = watched.placer;
  await deps.progress.record(config.version, p);
  let start: Record<string, unknown> | undefined;
  let pages = 0;
  do {
    const page = await deps.store.scanAccounts(run.segment, run.totalSegments, start);
    for (const a of page.accounts) {
      let held: Account | undefined = a;
      for (let attempt = 0; held && attempt < 6; attempt++) {
        const r = await deps.store.placeAccount(held, placer, run.cause);
        if (r === 'moved') {
          p.moved++;
          deps.onMoves?.(watched.lastMoves(), clock());
        }
        if (r !== 'changed') break;
        held = await deps.store.get(a.accountId);
      }
      p.scanned++;
    }
    start = page.next;
    if (++pages % 10 === 0) await deps.progress.record(config.version, { ...p, updatedAt: clock() });
  } while (start);
  const done = { ...p, updatedAt: clock(), done: true };
  await deps.progress.record(config.version, done);
  return done;
}
