import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS, METRICS_NAMESPACE, type MetricPoint, runMetrics } from '../domain/metrics';
import type { TurnRunner } from '../ports';

/**
 * CloudWatch metrics as embedded-metric (EMF) log lines, through Powertools Metrics: one line per
 * point, under every dimension set the catalog gives its metric (`shared/domain/metrics.ts`), in one
 * namespace, with no default dimension (Powertools would add `service` to every set). CloudWatch
 * Logs turns the lines into metrics: nothing is called, so a metric costs no request and cannot
 * fail a turn.
 */
/**
 * Powertools' own warnings: a dimension shared by two sets of one metric (OfferAnswers' `response`)
 * is by design, with one value, and is not worth a log line a turn. Its errors still reach the log.
 */
const QUIET = { debug: () => {}, info: () => {}, warn: () => {}, error: console.error };

/**
 * The one Metrics of the process, made on first use: a single-metric instance publishes each value as
 * it is added, then clears its dimensions, so it serves every point in turn (publishing is
 * synchronous: two points never interleave). Its default dimension is cleared once: Powertools adds
 * `service` to every new instance, which would put it in every dimension set. One instance, not one
 * per point: making one (and its Console) cost about 40 µs, six times a turn.
 */
let metrics: Metrics | undefined;
function single(): Metrics {
  if (!metrics) {
    metrics = new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: 'retention-desk',
      singleMetric: true,
      logger: QUIET,
    });
    metrics.clearDefaultDimensions();
  }
  return metrics;
}

const UNITS = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds, None: MetricUnit.NoUnit };

/** Told of every batch of points published in this process (the local stack's ops page collects them). */
export type MetricListener = (points: readonly MetricPoint[]) => void;
const listeners = new Set<MetricListener>();

/**
 * Subscribes to every point this process publishes, whether or not Powertools metrics are disabled
 * (POWERTOOLS_METRICS_DISABLED only silences the EMF lines). Returns the unsubscribe. A listener
 * runs synchronously inside the turn: it should only count. What it throws (or an async listener
 * rejects with) is swallowed, never a failed turn.
 */
export function onMetricPoints(listener: MetricListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

function tell(points: readonly MetricPoint[]): void {
  for (const listener of listeners) {
    try {
      const r: unknown = listener(points);
      if (r instanceof Promise) r.catch(() => undefined);
    } catch {
      // A listener is never worth a failed turn either.
    }
  }
}

/** Publishes each point at once (a line of its own); a point that cannot be published is dropped, never thrown. */
export function publishMetrics(points: readonly MetricPoint[]): void {
  // No listener (Lambda): one size check, nothing else.
  if (listeners.size > 0) tell(points);
  for (const p of points) {
    try {
      const spec = METRICS[p.name];
      const m = single();
      for (const set of spec.sets)
        m.addDimensions(Object.fromEntries(set.map((d) => [d, p.dimensions[d] ?? 'NONE'])));
      for (const [k, v] of Object.entries(p.metadata ?? {})) m.addMetadata(k, String(v));
      m.addMetric(p.name, UNITS[spec.unit], p.value);
    } catch {
      // A metric is never worth a failed turn.
    }
  }
}

/**
 * The runner of a channel function, with each run's count and latency published, and a fallback
 * under the part that failed (a task, or the run itself when it could not be started or answered).
 */
export function measuredRunner(runner: TurnRunner, channel: string): TurnRunner {
  return {
    async run(input) {
      const t0 = performance.now();
      const done = (failedAt?: string) =>
        publishMetrics(
          runMetrics({
            channel,
            action: input.action,
            ms: performance.now() - t0,
            ...(failedAt ? { failedAt } : {}),
          }),
        );
      let out: Awaited<ReturnType<TurnRunner['run']>>;
      try {
        out = await runner.run(input);
      } catch (e) {
        done('RetentionCall');
        throw e;
      }
      done(out.outcome === 'fallback' ? out.failedAt : undefined);
      return out;
    },
  };
}

/** The channel function's own time, event to answer (Connect waits 8 s at most). */
export const publishAdapterLatency = (channel: string, ms: number): void =>
  publishMetrics([{ name: 'AdapterLatency', value: ms, dimensions: { channel } }]);
