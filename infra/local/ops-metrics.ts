import type { MetricPoint } from '../../shared/domain/metrics';

/**
 * The local stand-in for CloudWatch's metrics, for the /ops page: what the functions of this process
 * published since the stack started (shared/adapters/metrics.ts `onMetricPoints`), as counts by
 * stage, outcome and verification result, and turn latency per channel and action as a fixed
 * histogram. Memory is bounded whatever the traffic: a counter per dimension value and a histogram
 * per series, with at most MAX_KEYS values per counter and MAX_SERIES latency series (the catalog's
 * vocabularies are far smaller; anything past the cap is counted under "other").
 */

/** Bucket upper bounds grow by 5 %: a percentile read from the histogram is within 5 % of the true one. */
const GROWTH = 1.05;
const MIN_MS = 0.1;
const MAX_MS = 120_000;
const BUCKETS = Math.ceil(Math.log(MAX_MS / MIN_MS) / Math.log(GROWTH)) + 1;
export const MAX_KEYS = 64;
export const MAX_SERIES = 64;
const OTHER = 'other';

/** The bucket of a value: 0 holds everything up to MIN_MS, the last everything above MAX_MS. */
const bucketOf = (ms: number) =>
  ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / Math.log(GROWTH)));
const upperBound = (bucket: number) => MIN_MS * GROWTH ** bucket;

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;
  private sum = 0;

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.counts[bucketOf(ms)]!++;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  get mean(): number | null {
    return this.count ? this.sum / this.count : null;
  }

  /** The q-quantile (0..1): the upper bound of the bucket holding it, never above the largest value seen. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < BUCKETS; b++) {
      seen += this.counts[b]!;
      // The last bucket has no upper bound: what is in it is above MAX_MS, and the largest is known.
      if (seen >= rank) return b === BUCKETS - 1 ? this.max : Math.min(upperBound(b), this.max);
    }
    return this.max;
  }
}

export interface LatencyRow {
  channel: string;
  action: string;
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number;
}

/** GET /ops/metrics.json. */
export interface OpsMetricsSnapshot {
  /** When this stack started collecting (the figures are since then, in this process only). */
  since: string;
  at: string;
  /** StageReached: contacts entering each stage (the funnel of the call). */
  stages: Record<string, number>;
  contactsStarted: number;
  outcomes: Record<string, number>;
  verifications: Record<string, number>;
  turns: number;
  fallbacks: number;
  /** TurnLatency per channel and action, ms; percentiles within 5 % (histogram buckets). */
  latency: LatencyRow[];
  latencyPrecision: string;
  /**
   * StrategyStageAccounts as last published (PublishFunnels' timer): accounts per `strategyId/stageId`
   * (a gauge: the latest value, not a sum), and when; empty before its first run.
   */
  strategyStages: Record<string, number>;
  strategyStagesAt: string | null;
  /** PlacementSegmentsDone and PlacementAccountsScanned as last published; null before the first run. */
  placing: { segmentsDone: number; accountsScanned: number } | null;
}

/** Counts by key, at most MAX_KEYS keys (the rest under "other"). */
class Counter {
  readonly values = new Map<string, number>();
  add(key: string, n: number) {
    const k = this.values.has(key) || this.values.size < MAX_KEYS - 1 ? key : OTHER;
    this.values.set(k, (this.values.get(k) ?? 0) + n);
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.values);
  }
}

export class OpsMetrics {
  /** Latest values by key, at most MAX_KEYS (a gauge past the cap is dropped: there is no "other" of a level). */
  private readonly strategyStages = new Map<string, number>();
  private strategyStagesAt: string | null = null;
  private placing: { segmentsDone: number; accountsScanned: number } | null = null;
  private readonly stages = new Counter();
  private readonly outcomes = new Counter();
  private readonly verifications = new Counter();
  private readonly latency = new Map<string, { channel: string; action: string; h: LatencyHistogram }>();
  private contactsStarted = 0;
  private turns = 0;
  private fallbacks = 0;

  constructor(
    private readonly now: () => Date = () => new Date(),
    readonly since: string = now().toISOString(),
  ) {}

  /** The listener for onMetricPoints: counts only (it runs inside the turn). */
  readonly add = (points: readonly MetricPoint[]): void => {
    for (const p of points) {
      const d = p.dimensions;
      switch (p.name) {
        case 'StageReached':
          this.stages.add(d.stage ?? 'NONE', p.value);
          break;
        case 'Outcomes':
          this.outcomes.add(d.outcome ?? 'NONE', p.value);
          break;
        case 'Verifications':
          this.verifications.add(d.result ?? 'NONE', p.value);
          break;
        case 'ContactsStarted':
          this.contactsStarted += p.value;
          break;
        case 'Turns':
          this.turns += p.value;
          break;
        case 'Fallbacks':
          this.fallbacks += p.value;
          break;
        case 'TurnLatency':
          this.series(d.channel ?? 'NONE', d.action ?? 'NONE').add(p.value);
          break;
        case 'StrategyStageAccounts': {
          const key = `${d.strategyId ?? 'NONE'}/${d.stageId ?? 'NONE'}`;
          if (this.strategyStages.has(key) || this.strategyStages.size < MAX_KEYS)
            this.strategyStages.set(key, p.value);
          this.strategyStagesAt = this.now().toISOString();
          break;
        }
        case 'PlacementSegmentsDone':
          this.placing = { segmentsDone: p.value, accountsScanned: this.placing?.accountsScanned ?? 0 };
          break;
        case 'PlacementAccountsScanned':
          this.placing = { segmentsDone: this.placing?.segmentsDone ?? 0, accountsScanned: p.value };
          break;
      }
    }
  };

  private series(channel: string, action: string): LatencyHistogram {
    let key = `${channel}\u0000${action}`;
    if (!this.latency.has(key) && this.latency.size >= MAX_SERIES - 1) {
      key = OTHER;
      [channel, action] = [OTHER, OTHER];
    }
    let s = this.latency.get(key);
    if (!s) {
      s = { channel, action, h: new LatencyHistogram() };
      this.latency.set(key, s);
    }
    return s.h;
  }

  snapshot(): OpsMetricsSnapshot {
    const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);
    return {
      since: this.since,
      at: this.now().toISOString(),
      stages: this.stages.toJSON(),
      contactsStarted: this.contactsStarted,
      outcomes: this.outcomes.toJSON(),
      verifications: this.verifications.toJSON(),
      turns: this.turns,
      fallbacks: this.fallbacks,
      latency: [...this.latency.values()]
        .map(({ channel, action, h }) => ({
          channel,
          action,
          count: h.count,
          p50: round(h.quantile(0.5)),
          p95: round(h.quantile(0.95)),
          p99: round(h.quantile(0.99)),
          max: round(h.max)!,
        }))
        .sort((a, b) => a.channel.localeCompare(b.channel) || a.action.localeCompare(b.action)),
      latencyPrecision: `percentiles from a histogram: within ${Math.round((GROWTH - 1) * 100)} %`,
      strategyStages: Object.fromEntries(this.strategyStages),
      strategyStagesAt: this.strategyStagesAt,
      placing: this.placing,
    };
  }
}
