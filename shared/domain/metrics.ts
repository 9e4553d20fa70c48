import type { TurnPath, TurnWrites } from './turn';

/**
 * What every turn tells CloudWatch: one namespace, a closed list of metrics, and for each the exact
 * dimension sets it is published under. Dimensions are bounded vocabularies (channel, action, call
 * type, stage, queue, outcome, offer id, customer segment, policy, the task that failed): never an
 * account, a contact or a person. Each (metric, dimension set, values) is one CloudWatch stream at
 * about $0.30 a month, so the sets are chosen, never crossed freely (offer × response, not offer ×
 * segment × channel). The dashboard and the alarms read this list; a test checks that everything
 * they name is emitted by the functions during the end-to-end suite.
 */
export const METRICS_NAMESPACE = 'RetentionDesk';

type Unit = 'Count' | 'Milliseconds' | 'None';
interface MetricSpec {
  unit: Unit;
  /**
   * Every dimension set the metric is published under: each a list of dimension names, or the empty
   * list for a figure of the whole stack (one stream, no dimension).
   */
  sets: readonly (readonly string[])[];
  /**
   * Who emits it: the channel function (per request), SaveTurn (per stored turn), the canary (per
   * call) or PublishFunnels (every 5 minutes, a gauge read from the funnel counters).
   */
  by: 'channel' | 'save-turn' | 'canary' | 'publish-funnels';
  what: string;
}

export const METRICS = {
  // Per request, by the channel function (http-api, connect-adapter, lex-adapter).
  Turns: {
    unit: 'Count',
    sets: [['channel', 'action'], ['channel']],
    by: 'channel',
    what: 'turns answered',
  },
  TurnLatency: {
    unit: 'Milliseconds',
    sets: [['channel', 'action'], ['channel']],
    by: 'channel',
    what: 'one synchronous run of the state machine, as the channel function waited for it',
  },
  AdapterLatency: {
    unit: 'Milliseconds',
    sets: [['channel']],
    by: 'channel',
    what: 'the channel function from event to answer (Connect waits 8 s at most)',
  },
  Fallbacks: {
    unit: 'Count',
    sets: [['channel'], ['failedAt']],
    by: 'channel',
    what: 'turns answered with the safe route because a task, the run or the adapter failed',
  },
  // Per stored turn, by SaveTurn: counted once however often the turn is retried or repeated.
  ContactsStarted: {
    unit: 'Count',
    sets: [['channel', 'identified'], ['callType']],
    by: 'save-turn',
    what: 'new contacts, identified (an account found by id or number) or not',
  },
  Verifications: { unit: 'Count', sets: [['result']], by: 'save-turn', what: 'judged verification attempts' },
  Routes: {
    unit: 'Count',
    sets: [['queue']],
    by: 'save-turn',
    what: 'contacts routed (or routed again) to a queue',
  },
  StageReached: {
    unit: 'Count',
    sets: [['stage']],
    by: 'save-turn',
    what: 'contacts entering a stage: the funnel of the call',
  },
  OffersPresented: {
    unit: 'Count',
    sets: [['offerId'], ['policy']],
    by: 'save-turn',
    what: 'offers presented',
  },
  OfferAnswers: {
    unit: 'Count',
    sets: [
      ['offerId', 'response'],
      ['policy', 'response'],
    ],
    by: 'save-turn',
    what: 'answers to offers (ACCEPTED, DECLINED)',
  },
  Outcomes: { unit: 'Count', sets: [['outcome']], by: 'save-turn', what: 'contacts ended, by outcome' },
  IncentiveSpend: {
    unit: 'None',
    sets: [['policy']],
    by: 'save-turn',
    what: 'the cost of accepted offers (currency units)',
  },
  ValueKept: {
    unit: 'None',
    sets: [['policy']],
    by: 'save-turn',
    what: 'customer value kept by accepted retention offers (currency units)',
  },
  BudgetCapsReached: {
    unit: 'Count',
    sets: [['offerId'], ['channel']],
    by: 'save-turn',
    what: 'accepts refused because the offer’s budget for the period is spent',
  },
  InitDuration: {
    unit: 'Milliseconds',
    sets: [['function']],
    by: 'channel',
    what: 'a new container’s start: process start to the end of the function module’s init (once per container)',
  },
  // Per synthetic call, by the canary (functions/canary.ts); its turns count in no metric above.
  CanaryCalls: {
    unit: 'Count',
    sets: [['result']],
    by: 'canary',
    what: 'canary calls (start, verify, offers, answer) that passed or failed',
  },
  CanaryLatency: {
    unit: 'Milliseconds',
    sets: [['result']],
    by: 'canary',
    what: 'one whole canary call, its four turns end to end',
  },
  // Every 5 minutes, by PublishFunnels (functions/publish-funnels.ts): gauges read from the funnel
  // counters, never a count of events. The strategy's version is a property of the line (Logs
  // Insights reads it), not a dimension: a new version continues the same series instead of opening
  // new streams, and only the active version of each active strategy is published, so the streams are
  // bounded by the configuration (its active strategies' stages), not by its history.
  StrategyStageAccounts: {
    unit: 'Count',
    sets: [['strategyId', 'stageId']],
    by: 'publish-funnels',
    what: 'accounts at a stage of an active strategy now (its active version; the funnel endpoint’s count)',
  },
  PlacementSegmentsDone: {
    unit: 'Count',
    sets: [[]],
    by: 'publish-funnels',
    what: 'segments of the whole-portfolio placement by the active configuration that are done (4 of 4: the funnels are complete)',
  },
  PlacementAccountsScanned: {
    unit: 'Count',
    sets: [[]],
    by: 'publish-funnels',
    what: 'accounts the whole-portfolio placement by the active configuration has reached so far',
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

/** One value of one metric, with the values of its dimensions (every name of every set it has). */
export interface MetricPoint {
  name: MetricName;
  value: number;
  dimensions: Record<string, string>;
  /** Written on the metric's line but not a dimension (no stream of its own): Logs Insights reads it. */
  metadata?: Record<string, string | number>;
}

/** The contact as a stored turn leaves it: only what the metrics read. */
interface TurnContact {
  channel: string;
  callType: string;
  accountId?: string | undefined;
  stage: string;
  updatedAt: string;
  route: { queue: string };
  verification: { lastResult?: string | undefined };
  outcome?: string | undefined;
  history: readonly { stage: string; at: string }[];
  policy?: string | undefined;
  /** The canary's contact: no business metric (the canary publishes its own). */
  synthetic?: true | undefined;
}

/**
 * The business metrics of one stored turn: what it started, judged, routed, presented, recorded and
 * ended. Read from the plan that was stored (the new contact and its typed writes), so a repeat, a
 * refused write or a retried task counts nothing more.
 */
export function storedTurnMetrics(path: TurnPath, contact: TurnContact, writes: TurnWrites): MetricPoint[] {
  const points: MetricPoint[] = [];
  if (contact.synthetic) return points;
  const add = (name: MetricName, dimensions: Record<string, string>, value = 1) =>
    points.push({ name, value, dimensions });
  const policy = contact.policy ?? 'NONE';
  const now = contact.updatedAt;
  if (path === 'start') {
    add('ContactsStarted', {
      channel: contact.channel,
      identified: contact.accountId ? 'yes' : 'no',
      callType: contact.callType,
    });
  }
  if (path === 'verify' && contact.verification.lastResult)
    add('Verifications', { result: contact.verification.lastResult });
  // Stages entered by this turn: the history entries stamped with its time.
  const entered = contact.history.filter((h) => h.at === now).map((h) => h.stage);
  for (const stage of entered) add('StageReached', { stage });
  if (path === 'start' || path === 'verify') add('Routes', { queue: contact.route.queue });
  for (const e of writes.log) {
    if (e.event === 'PRESENTED' && e.offerId) add('OffersPresented', { offerId: e.offerId, policy });
    if ((e.event === 'ACCEPTED' || e.event === 'DECLINED') && e.offerId)
      add('OfferAnswers', { offerId: e.offerId, response: e.event, policy });
    if (e.event === 'ACCEPTED' && e.economics) {
      add('IncentiveSpend', { policy }, e.economics.cost);
      if (e.kind === 'RETENTION') add('ValueKept', { policy }, e.economics.customerValue);
    }
  }
  if (contact.outcome && entered.length > 0) add('Outcomes', { outcome: contact.outcome });
  return points;
}

/** The canary's own metrics: one call, passed or failed, and how long it took. */
export const canaryMetrics = (passed: boolean, ms: number): MetricPoint[] => [
  { name: 'CanaryCalls', value: 1, dimensions: { result: passed ? 'passed' : 'failed' } },
  { name: 'CanaryLatency', value: ms, dimensions: { result: passed ? 'passed' : 'failed' } },
];

/** The business metric of a write refused by its budget cap. */
export const budgetCapMetrics = (offerId: string, channel: string): MetricPoint[] => [
  { name: 'BudgetCapsReached', value: 1, dimensions: { offerId, channel } },
];

/** The operational metrics of one run of the state machine, as the channel function waited for it. */
export function runMetrics(r: {
  channel: string;
  action: string;
  ms: number;
  /** The task or part that failed when the answer is the safe route. */
  failedAt?: string;
}): MetricPoint[] {
  const points: MetricPoint[] = [
    { name: 'Turns', value: 1, dimensions: { channel: r.channel, action: r.action } },
    { name: 'TurnLatency', value: r.ms, dimensions: { channel: r.channel, action: r.action } },
  ];
  if (r.failedAt)
    points.push({ name: 'Fallbacks', value: 1, dimensions: { channel: r.channel, failedAt: r.failedAt } });
  return points;
}

/** The funnels of the active configuration's strategies as the counters hold them now. */
export interface FunnelSnapshot {
  configVersion: string;
  /** Every active strategy, its active version, and the accounts at each of its stages (in order). */
  strategies: readonly {
    strategyId: string;
    version: number;
    stages: readonly { stageId: string; accounts: number }[];
  }[];
  /** The whole-portfolio placement by this configuration version: segments done of all, accounts reached. */
  placing: { segments: number; done: number; scanned: number };
}

/**
 * The funnel as metrics: one gauge per stage of each active strategy (the version on the line, not
 * as a dimension), and how far the portfolio's placement by the active configuration has got.
 */
export function funnelMetrics(s: FunnelSnapshot): MetricPoint[] {
  return [
    ...s.strategies.flatMap((f) =>
      f.stages.map(
        (st): MetricPoint => ({
          name: 'StrategyStageAccounts',
          value: st.accounts,
          dimensions: { strategyId: f.strategyId, stageId: st.stageId },
          metadata: { strategyVersion: f.version, configVersion: s.configVersion },
        }),
      ),
    ),
    {
      name: 'PlacementSegmentsDone',
      value: s.placing.done,
      dimensions: {},
      metadata: { configVersion: s.configVersion, segments: s.placing.segments },
    },
    {
      name: 'PlacementAccountsScanned',
      value: s.placing.scanned,
      dimensions: {},
      metadata: { configVersion: s.configVersion },
    },
  ];
}
