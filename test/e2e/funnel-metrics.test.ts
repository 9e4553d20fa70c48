import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { METRICS_NAMESPACE } from '../../shared/domain/metrics';
import type { Account } from '../../shared/schemas/account';
import { localClient } from '../fakes/local-client';
import { captureLogs } from '../fakes/logs';
import { putPremiumAccount } from '../fakes/stack';

/**
 * PublishFunnels against the local stack (DynamoDB Local, the real handler and funnel counters): after
 * the portfolio is placed, the metrics it publishes are the funnel endpoint's counts, number for
 * number, and follow the counters when an account moves.
 */
let stack: LocalStack;
type Json = Record<string, any>;
const { http } = localClient(() => stack, '');
const ops = localClient(() => stack, '', { roles: ['ops'] }).http;
let logs: ReturnType<typeof captureLogs> | undefined;

beforeAll(async () => {
  // The metric lines are what is checked: on (the suites' default is off).
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  logs = captureLogs();
  // No timer: the test publishes when it has placed.
  stack = await startLocalStack({ port: 0, accounts: 0, funnelsEveryMs: 0 });
});
afterAll(async () => {
  logs?.restore();
  await stack?.stop();
});

/** Spend that fell to almost nothing in the last quarter, on a profitable account: at risk. */
const falling = Array(9).fill(5000).concat([200, 100, 50]);
const put = (id: string, over: Partial<Account> = {}) =>
  putPremiumAccount(stack, id, '+1555557', { ...over });

/** Every active strategy's funnel as the admin API answers it: `strategyId/stageId` → accounts. */
async function endpointCounts() {
  const list = (await http('GET', '/v1/admin/strategies')).json.strategies as Json[];
  const out: Record<string, number> = {};
  const versions: Record<string, number> = {};
  let placing: Json = {};
  for (const s of list.filter((x) => x.active)) {
    const f = await http('GET', `/v1/admin/strategies/${s.strategyId}/funnel`);
    expect(f.status, JSON.stringify(f.json)).toBe(200);
    versions[s.strategyId] = f.json.version;
    placing = f.json.placing;
    for (const st of f.json.stages as Json[]) out[`${s.strategyId}/${st.stageId}`] = st.accounts;
  }
  return { counts: out, versions, placing };
}

/** The EMF lines one publication wrote (those logged after `from`), by metric. */
function published(from: number) {
  const lines = (logs?.lines ?? [])
    .slice(from)
    .filter((l) => l.startsWith('{"_aws"'))
    .map((l) => JSON.parse(l) as Json);
  const directive = (l: Json) => l._aws.CloudWatchMetrics[0] as Json;
  const of = (name: string) => lines.filter((l) => directive(l).Metrics.some((m: Json) => m.Name === name));
  return { lines, directive, of };
}

async function publish() {
  const from = logs?.lines.length ?? 0;
  const snapshot = await stack.funnels.publish();
  return { snapshot, ...published(from) };
}

const waitPlaced = async () => {
  for (let i = 0; i < 200; i++) {
    const r = await http('GET', '/v1/admin/strategies/at-risk-retention/funnel');
    if (r.json.placing?.complete) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('placement did not finish');
};

describe('the funnels as CloudWatch metrics (PublishFunnels)', () => {
  it('after the portfolio is placed, StrategyStageAccounts per strategy and stage equals the funnel endpoint, number for number', async () => {
    const ids = Array.from({ length: 36 }, (_, i) => `FUNM-${String(i).padStart(4, '0')}`);
    await Promise.all(ids.map((id, i) => put(id, i % 3 === 0 ? { monthlySpend: falling } : {})));
    expect((await ops('POST', '/v1/admin/strategies/placement')).status).toBe(202);
    await waitPlaced();
    const { counts, versions, placing } = await endpointCounts();

    const { of, directive, snapshot } = await publish();
    const lines = of('StrategyStageAccounts');
    const values: Record<string, number> = {};
    for (const l of lines) {
      expect(directive(l).Namespace).toBe(METRICS_NAMESPACE);
      // Under strategy × stage only: the version rides on the line, it is no dimension.
      expect(directive(l).Dimensions).toEqual([['strategyId', 'stageId']]);
      expect(l.strategyVersion).toBe(String(versions[l.strategyId]));
      values[`${l.strategyId}/${l.stageId}`] = l.StrategyStageAccounts;
    }
    // One line per stage of every active strategy, zeros included, and the same numbers.
    expect(lines).toHaveLength(Object.keys(counts).length);
    expect(values).toEqual(counts);
    // Not zeros equal to zeros: the placement put accounts in stages.
    expect(Object.values(values).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(ids.length / 2);
    expect(values['savings-cross-sell/OFFER_ON_CONTACT']).toBeGreaterThanOrEqual(20);
    // The handler answers what it published.
    expect(
      Object.fromEntries(
        snapshot.strategies.flatMap((s) =>
          s.stages.map((st) => [`${s.strategyId}/${st.stageId}`, st.accounts]),
        ),
      ),
    ).toEqual(counts);

    // The placement's progress: complete, and as many accounts reached as the endpoint says.
    const [segments] = of('PlacementSegmentsDone');
    expect(directive(segments!).Dimensions).toEqual([[]]);
    expect(segments!.PlacementSegmentsDone).toBe(placing.segments);
    expect(segments!.PlacementSegmentsDone).toBe(4);
    expect(of('PlacementAccountsScanned')[0]!.PlacementAccountsScanned).toBe(placing.scanned);
    expect(placing.scanned).toBeGreaterThanOrEqual(ids.length);

    // The points reached the local stand-in of CloudWatch: /ops/metrics.json has the same gauges.
    const m = await ops('GET', '/ops/metrics.json');
    expect(m.status).toBe(200);
    expect(m.json.strategyStages).toEqual(counts);
    expect(m.json.placing).toEqual({ segmentsDone: 4, accountsScanned: placing.scanned });
  }, 60_000);

  it('an account moved by an event moves the next publication with the counters', async () => {
    const before = (await endpointCounts()).counts;
    // A fresh falling-spend account and a usage drop: it enters the at-risk strategy.
    await put('FUNM-9001', { monthlySpend: falling });
    const r = await ops('POST', '/v1/admin/accounts/events', {
      events: [{ type: 'USAGE_DROP', accountId: 'FUNM-9001', asOf: '2026-12-01T09:00:00.000Z' }],
    });
    expect(r.json.results).toEqual([{ index: 0, result: 'applied' }]);
    const after = (await endpointCounts()).counts;
    expect(after['at-risk-retention/WATCH']).toBe(before['at-risk-retention/WATCH']! + 1);

    const { of } = await publish();
    const values = Object.fromEntries(
      of('StrategyStageAccounts').map((l) => [`${l.strategyId}/${l.stageId}`, l.StrategyStageAccounts]),
    );
    expect(values).toEqual(after);
    expect((await ops('GET', '/ops/metrics.json')).json.strategyStages).toEqual(after);
  }, 30_000);
});
