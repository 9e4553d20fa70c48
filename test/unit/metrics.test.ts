import { describe, expect, it } from 'vitest';
import {
  funnelMetrics,
  METRICS,
  type MetricPoint,
  runMetrics,
  storedTurnMetrics,
} from '../../shared/domain/metrics';
import type { OfferLogEvent } from '../../shared/schemas/contact';

const T0 = '2026-11-23T12:00:00.000Z';
const T1 = '2026-11-23T12:01:00.000Z';

const contact = (over: Record<string, unknown> = {}) => ({
  channel: 'voice',
  callType: 'CLOSE_ACCOUNT',
  accountId: 'A-1',
  stage: 'VERIFY',
  updatedAt: T0,
  route: { queue: 'RETENTION' },
  verification: {},
  history: [{ stage: 'VERIFY', at: T0 }],
  policy: 'LEARNING',
  ...over,
});

const event = (e: OfferLogEvent['event'], offerId?: string, kind = 'RETENTION'): OfferLogEvent =>
  ({
    contactId: 'c',
    seq: 0,
    at: T1,
    event: e,
    accountId: 'A-1',
    callType: 'CLOSE_ACCOUNT',
    channel: 'voice',
    stage: 'OFFER',
    configVersion: 'v1',
    ...(offerId
      ? {
          offerId,
          kind,
          economics: { cost: 200, customerValue: 1500, acceptProbability: 0.4, expectedNetValue: 400 },
        }
      : {}),
  }) as OfferLogEvent;

const names = (ps: MetricPoint[]) => ps.map((p) => `${p.name} ${JSON.stringify(p.dimensions)} ${p.value}`);

describe('the metrics of a stored turn', () => {
  it.each([
    [
      'a start, identified, routed to verification',
      'start' as const,
      contact(),
      [],
      [
        'ContactsStarted {"channel":"voice","identified":"yes","callType":"CLOSE_ACCOUNT"} 1',
        'StageReached {"stage":"VERIFY"} 1',
        'Routes {"queue":"RETENTION"} 1',
      ],
    ],
    [
      'a start from an unknown number, routed to general service at once',
      'start' as const,
      contact({
        accountId: undefined,
        stage: 'ROUTED',
        route: { queue: 'GENERAL_SERVICE' },
        history: [
          { stage: 'VERIFY', at: T0 },
          { stage: 'ROUTED', at: T0 },
        ],
      }),
      [],
      [
        'ContactsStarted {"channel":"voice","identified":"no","callType":"CLOSE_ACCOUNT"} 1',
        'StageReached {"stage":"VERIFY"} 1',
        'StageReached {"stage":"ROUTED"} 1',
        'Routes {"queue":"GENERAL_SERVICE"} 1',
      ],
    ],
    [
      'a wrong guess: judged, no stage entered',
      'verify' as const,
      contact({ updatedAt: T1, verification: { lastResult: 'WRONG_FACTORS' } }),
      [],
      ['Verifications {"result":"WRONG_FACTORS"} 1', 'Routes {"queue":"RETENTION"} 1'],
    ],
    [
      'offers presented (the stage was entered before)',
      'offer' as const,
      contact({ updatedAt: T1, stage: 'OFFER', history: [{ stage: 'OFFER', at: T0 }] }),
      [event('PRESENTED', 'fee-waiver'), event('PRESENTED', 'bonus')],
      [
        'OffersPresented {"offerId":"fee-waiver","policy":"LEARNING"} 1',
        'OffersPresented {"offerId":"bonus","policy":"LEARNING"} 1',
      ],
    ],
    [
      'an accepted retention offer: the answer, its spend, the value kept, the outcome',
      'answer' as const,
      contact({
        updatedAt: T1,
        stage: 'RETAINED',
        outcome: 'SAVED',
        history: [
          { stage: 'OFFER', at: T0 },
          { stage: 'RETAINED', at: T1 },
        ],
      }),
      [event('ACCEPTED', 'fee-waiver')],
      [
        'StageReached {"stage":"RETAINED"} 1',
        'OfferAnswers {"offerId":"fee-waiver","response":"ACCEPTED","policy":"LEARNING"} 1',
        'IncentiveSpend {"policy":"LEARNING"} 200',
        'ValueKept {"policy":"LEARNING"} 1500',
        'Outcomes {"outcome":"SAVED"} 1',
      ],
    ],
    [
      'an accepted cross-sell: spend, but no retention value kept',
      'answer' as const,
      contact({
        updatedAt: T1,
        stage: 'CROSS_SOLD',
        outcome: 'CROSS_SOLD',
        policy: undefined,
        history: [{ stage: 'CROSS_SOLD', at: T1 }],
      }),
      [event('ACCEPTED', 'travel-card', 'CROSS_SELL')],
      [
        'StageReached {"stage":"CROSS_SOLD"} 1',
        'OfferAnswers {"offerId":"travel-card","response":"ACCEPTED","policy":"NONE"} 1',
        'IncentiveSpend {"policy":"NONE"} 200',
        'Outcomes {"outcome":"CROSS_SOLD"} 1',
      ],
    ],
  ])('%s', (_what, path, c, log, expected) => {
    expect(names(storedTurnMetrics(path, c, { log }))).toEqual(expected);
  });

  it('every point names every dimension of every set its metric is published under, and nothing else', () => {
    const points = [
      ...storedTurnMetrics('start', contact(), { log: [] }),
      ...storedTurnMetrics(
        'answer',
        contact({ updatedAt: T1, outcome: 'SAVED', history: [{ stage: 'RETAINED', at: T1 }] }),
        {
          log: [event('ACCEPTED', 'x'), event('PRESENTED', 'y'), event('DECLINED', 'z')],
        },
      ),
      ...runMetrics({ channel: 'agent', action: 'respond', ms: 40, failedAt: 'SaveTurn' }),
      ...funnelMetrics(snapshot),
    ];
    for (const p of points) {
      const wanted = new Set(METRICS[p.name].sets.flat());
      expect(new Set(Object.keys(p.dimensions)), p.name).toEqual(wanted);
    }
  });
});

const snapshot = {
  configVersion: '2026-12-02.1',
  strategies: [
    {
      strategyId: 'at-risk-retention',
      version: 3,
      stages: [
        { stageId: 'WATCH', accounts: 12 },
        { stageId: 'CALL', accounts: 0 },
      ],
    },
    { strategyId: 'vip-service', version: 1, stages: [{ stageId: 'VIP_DESK', accounts: 7 }] },
  ],
  placing: { segments: 4, done: 3, scanned: 901 },
};

describe('the funnels as metrics', () => {
  it('a gauge per stage of each strategy (zeros too), the version on the line and not a dimension; the placement’s progress with no dimension', () => {
    const points = funnelMetrics(snapshot);
    expect(names(points)).toEqual([
      'StrategyStageAccounts {"strategyId":"at-risk-retention","stageId":"WATCH"} 12',
      'StrategyStageAccounts {"strategyId":"at-risk-retention","stageId":"CALL"} 0',
      'StrategyStageAccounts {"strategyId":"vip-service","stageId":"VIP_DESK"} 7',
      'PlacementSegmentsDone {} 3',
      'PlacementAccountsScanned {} 901',
    ]);
    expect(points[0]!.metadata).toEqual({ strategyVersion: 3, configVersion: '2026-12-02.1' });
    expect(points[2]!.metadata).toMatchObject({ strategyVersion: 1 });
    expect(METRICS.StrategyStageAccounts.sets).toEqual([['strategyId', 'stageId']]);
  });
});

describe('the metrics of a run', () => {
  it('a turn and its latency; a fallback names what failed', () => {
    expect(names(runMetrics({ channel: 'voice', action: 'start', ms: 30 }))).toEqual([
      'Turns {"channel":"voice","action":"start"} 1',
      'TurnLatency {"channel":"voice","action":"start"} 30',
    ]);
    expect(
      names(runMetrics({ channel: 'chat', action: 'verify', ms: 9, failedAt: 'DecideTurn' })).at(-1),
    ).toBe('Fallbacks {"channel":"chat","failedAt":"DecideTurn"} 1');
  });
});
