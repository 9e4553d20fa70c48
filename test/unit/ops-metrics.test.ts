import { describe, expect, it } from 'vitest';
import { LatencyHistogram, MAX_KEYS, MAX_SERIES, OpsMetrics } from '../../infra/local/ops-metrics';
import type { MetricPoint } from '../../shared/domain/metrics';

/** The local collector behind /ops/metrics.json: exact counts, percentiles within 5 %, bounded memory. */
const point = (name: MetricPoint['name'], dimensions: Record<string, string>, value = 1): MetricPoint => ({
  name,
  value,
  dimensions,
});
const latency = (ms: number, channel = 'agent', action = 'verify') =>
  point('TurnLatency', { channel, action }, ms);

describe('LatencyHistogram', () => {
  it.each([
    [0.5, 500],
    [0.95, 950],
    [0.99, 990],
  ])('the %s quantile of 1..1000 ms is at most 5 percent above the exact %s ms', (q, exact) => {
    const h = new LatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.add(ms);
    const v = h.quantile(q)!;
    expect(v).toBeGreaterThanOrEqual(exact);
    expect(v).toBeLessThanOrEqual(exact * 1.05);
  });

  it('a constant latency reads back exactly (never above the largest value seen)', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 50; i++) h.add(7.3);
    expect([h.quantile(0.5), h.quantile(0.99), h.max, h.count]).toEqual([7.3, 7.3, 7.3, 50]);
  });

  it('empty: no percentile, not zero; NaN, infinite and negative values are not counted', () => {
    const h = new LatencyHistogram();
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1]) h.add(bad);
    expect([h.count, h.quantile(0.5), h.mean]).toEqual([0, null, null]);
  });

  it('values past the top bucket (two minutes) still count, and p99 reports the largest seen', () => {
    const h = new LatencyHistogram();
    h.add(1);
    h.add(500_000);
    expect([h.count, h.quantile(0.99)]).toEqual([2, 500_000]);
  });
});

describe('OpsMetrics', () => {
  const at = new Date('2026-12-02T10:00:00.000Z');

  it('counts stages, outcomes, verifications, started contacts, turns and fallbacks from the points', () => {
    const m = new OpsMetrics(() => at);
    m.add([
      point('ContactsStarted', { channel: 'agent', identified: 'yes', callType: 'CLOSE_ACCOUNT' }),
      point('StageReached', { stage: 'VERIFY' }),
      point('Routes', { queue: 'RETENTION' }),
      point('Turns', { channel: 'agent', action: 'start' }),
      latency(12, 'agent', 'start'),
    ]);
    m.add([
      point('Verifications', { result: 'VERIFIED' }),
      point('StageReached', { stage: 'OFFER' }),
      point('StageReached', { stage: 'RETAINED' }),
      point('Outcomes', { outcome: 'SAVED' }),
      point('IncentiveSpend', { policy: 'LEARNING' }, 120),
      point('Fallbacks', { channel: 'agent', failedAt: 'SaveTurn' }),
    ]);
    const s = m.snapshot();
    expect(s).toMatchObject({
      since: at.toISOString(),
      at: at.toISOString(),
      stages: { VERIFY: 1, OFFER: 1, RETAINED: 1 },
      outcomes: { SAVED: 1 },
      verifications: { VERIFIED: 1 },
      contactsStarted: 1,
      turns: 1,
      fallbacks: 1,
      latency: [{ channel: 'agent', action: 'start', count: 1, p50: 12, p95: 12, p99: 12, max: 12 }],
    });
  });

  it('latency rows per channel and action, sorted', () => {
    const m = new OpsMetrics(() => at);
    m.add([latency(5, 'voice', 'start'), latency(9, 'agent', 'respond'), latency(3, 'agent', 'offers')]);
    expect(m.snapshot().latency.map((r) => `${r.channel}/${r.action}`)).toEqual([
      'agent/offers',
      'agent/respond',
      'voice/start',
    ]);
  });

  it('the strategies’ gauges keep their latest value (a level, not a sum), with when; the placement’s progress likewise', () => {
    const m = new OpsMetrics(() => at);
    expect(m.snapshot()).toMatchObject({ strategyStages: {}, strategyStagesAt: null, placing: null });
    const stage = (stageId: string, n: number) =>
      point('StrategyStageAccounts', { strategyId: 'at-risk-retention', stageId }, n);
    m.add([stage('WATCH', 5), stage('CALL', 0), point('PlacementSegmentsDone', {}, 2)]);
    m.add([stage('WATCH', 4), stage('CALL', 1), point('PlacementAccountsScanned', {}, 300)]);
    expect(m.snapshot()).toMatchObject({
      strategyStages: { 'at-risk-retention/WATCH': 4, 'at-risk-retention/CALL': 1 },
      strategyStagesAt: at.toISOString(),
      placing: { segmentsDone: 2, accountsScanned: 300 },
    });
    for (let i = 0; i < 1000; i++) m.add([stage(`S${i}`, i)]);
    expect(Object.keys(m.snapshot().strategyStages)).toHaveLength(MAX_KEYS);
  });

  it('memory stays bounded under unbounded dimension values: at most MAX_KEYS counters, MAX_SERIES histograms, nothing lost', () => {
    const m = new OpsMetrics(() => at);
    for (let i = 0; i < 10_000; i++)
      m.add([point('StageReached', { stage: `S${i}` }), latency(1, `ch${i}`, 'start')]);
    const s = m.snapshot();
    expect(Object.keys(s.stages).length).toBe(MAX_KEYS);
    expect(Object.values(s.stages).reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(s.latency.length).toBe(MAX_SERIES);
    expect(s.latency.reduce((a, r) => a + r.count, 0)).toBe(10_000);
    expect(s.latency.find((r) => r.channel === 'other')?.count).toBe(10_000 - (MAX_SERIES - 1));
  });
});
