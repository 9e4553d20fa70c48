import { afterEach, describe, expect, it, vi } from 'vitest';
import { measuredRunner, onMetricPoints, publishMetrics } from '../../shared/adapters/metrics';
import type { MetricPoint } from '../../shared/domain/metrics';
import type { TurnRunner } from '../../shared/ports';
import { captureLogs } from '../fakes/logs';

/** The in-process subscribers of the metric points (what the local stack's /ops page counts). */
const stage = (s: string): MetricPoint => ({ name: 'StageReached', value: 1, dimensions: { stage: s } });
const unsubscribes: Array<() => void> = [];
const listen = (fn: (points: readonly MetricPoint[]) => void) => unsubscribes.push(onMetricPoints(fn));
const disabled = process.env.POWERTOOLS_METRICS_DISABLED;
afterEach(() => {
  for (const u of unsubscribes.splice(0)) u();
  process.env.POWERTOOLS_METRICS_DISABLED = disabled;
});

describe('onMetricPoints', () => {
  it('tells a listener every batch published, with Powertools metrics disabled (as in tests and locally)', () => {
    expect(process.env.POWERTOOLS_METRICS_DISABLED).toBe('true');
    const seen: MetricPoint[][] = [];
    listen((ps) => seen.push([...ps]));
    publishMetrics([stage('VERIFY'), stage('OFFER')]);
    publishMetrics([stage('RETAINED')]);
    expect(seen).toEqual([[stage('VERIFY'), stage('OFFER')], [stage('RETAINED')]]);
  });

  it('stops telling a listener once it unsubscribes; the others still hear', () => {
    const a: string[] = [];
    const b: string[] = [];
    const offA = onMetricPoints((ps) => a.push(...ps.map((p) => p.dimensions.stage!)));
    listen((ps) => b.push(...ps.map((p) => p.dimensions.stage!)));
    publishMetrics([stage('VERIFY')]);
    offA();
    publishMetrics([stage('OFFER')]);
    expect(a).toEqual(['VERIFY']);
    expect(b).toEqual(['VERIFY', 'OFFER']);
  });

  it('a listener that throws or rejects fails nothing: publishMetrics returns, later listeners hear', async () => {
    const heard: number[] = [];
    listen(() => {
      throw new Error('listener bug');
    });
    listen((async () => {
      throw new Error('async listener bug');
    }) as never);
    listen((ps) => heard.push(ps.length));
    expect(() => publishMetrics([stage('VERIFY')])).not.toThrow();
    // An unhandled rejection would fail the run: give it a tick to surface.
    await new Promise((ok) => setTimeout(ok, 10));
    expect(heard).toEqual([1]);
  });

  it('the EMF line is still written, as before, when metrics are on and a listener throws', async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    // A fresh module: the process's one Metrics reads the switch when first made.
    vi.resetModules();
    const fresh = (await import(
      '../../shared/adapters/metrics'
    )) as typeof import('../../shared/adapters/metrics');
    unsubscribes.push(
      fresh.onMetricPoints(() => {
        throw new Error('listener bug');
      }),
    );
    const logs = captureLogs();
    try {
      fresh.publishMetrics([stage('CLOSED')]);
    } finally {
      logs.restore();
    }
    const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.StageReached !== undefined);
    expect(line).toMatchObject({ StageReached: 1, stage: 'CLOSED' });
  });

  it("a channel's run reaches the listener: its Turns and TurnLatency with channel and action", async () => {
    const seen: MetricPoint[] = [];
    listen((ps) => seen.push(...ps));
    const runner: TurnRunner = {
      run: async () => ({ outcome: 'ok' }) as never,
    };
    await measuredRunner(runner, 'agent').run({ action: 'verify' } as never);
    expect(seen.map((p) => [p.name, p.dimensions])).toEqual([
      ['Turns', { channel: 'agent', action: 'verify' }],
      ['TurnLatency', { channel: 'agent', action: 'verify' }],
    ]);
    expect(seen[1]!.value).toBeGreaterThanOrEqual(0);
  });
});
