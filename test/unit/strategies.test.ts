import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import DEFAULT from '../../data/default-config.json' with { type: 'json' };
import { stageLogLines } from '../../shared/application/strategies';
import { computeFacts } from '../../shared/domain/facts';
import {
  applyScenarioOffers,
  compileStrategies,
  funnelDeltas,
  inboundScenario,
  type Placements,
  place,
  type StrategyContext,
} from '../../shared/domain/strategies';
import { DecisionConfigSchema } from '../../shared/schemas/config';
import type { Strategy } from '../../shared/schemas/strategy';
import { config, makeAccount } from '../fakes/accounts';

const strategy = (over: Partial<Strategy> = {}): Strategy => ({
  strategyId: 'quiet-cards',
  version: 1,
  kind: 'RETENTION_AT_RISK',
  name: 'Quiet cards',
  active: true,
  segment: { expression: 'spendTrend < 0.5' },
  stages: [
    {
      stageId: 'WATCH',
      name: 'watch',
      launch: 'true',
      scenario: { offers: { first: ['dormant-spend-credit'] } },
    },
    {
      stageId: 'CALL',
      name: 'call',
      launch: 'daysInStage >= 14 || lastEvent == "USAGE_DROP"',
      scenario: { outbound: { channel: 'VOICE', purpose: 'retention' } },
    },
  ],
  ...over,
});

const quiet = makeAccount({ monthlySpend: [900, 900, 900, 900, 900, 900, 900, 900, 900, 10, 10, 10] });
const busy = makeAccount({ monthlySpend: Array(12).fill(900) });
const ctx = (
  a = quiet,
  now = '2026-12-01T10:00:00.000Z',
  lastEvent?: { type: string; at: string },
): StrategyContext => ({
  facts: computeFacts(a, now, config.value),
  account: { ...a, ...(lastEvent ? { lastEvent } : {}) },
  now,
});

describe('placement', () => {
  const compiled = compileStrategies([strategy()]);

  it('an account entering the segment is placed at the first stage; outside it, nowhere', () => {
    const r = place(compiled, ctx(), undefined, 'IMPORT');
    expect(r.placements).toEqual({
      'quiet-cards': { version: 1, stageId: 'WATCH', since: '2026-12-01T10:00:00.000Z', cause: 'IMPORT' },
    });
    expect(r.moves).toEqual([{ strategyId: 'quiet-cards', to: { version: 1, stageId: 'WATCH' } }]);
    expect(place(compiled, ctx(busy), undefined, 'IMPORT')).toEqual({ placements: {}, moves: [] });
  });

  it('moves one stage on when the next launch condition holds: time in stage, or an event', () => {
    const at = place(compiled, ctx(), undefined, 'IMPORT').placements;
    expect(place(compiled, ctx(quiet, '2026-12-10T10:00:00.000Z'), at, 'SCHEDULE').moves).toEqual([]);
    const later = place(compiled, ctx(quiet, '2026-12-15T10:00:00.000Z'), at, 'SCHEDULE');
    expect(later.moves).toEqual([
      {
        strategyId: 'quiet-cards',
        from: { version: 1, stageId: 'WATCH', since: '2026-12-01T10:00:00.000Z' },
        to: { version: 1, stageId: 'CALL' },
      },
    ]);
    const evt = place(
      compiled,
      ctx(quiet, '2026-12-02T10:00:00.000Z', { type: 'USAGE_DROP', at: '2026-12-02T09:00:00.000Z' }),
      at,
      'USAGE_DROP',
    );
    expect(evt.placements['quiet-cards']).toMatchObject({ stageId: 'CALL', cause: 'USAGE_DROP' });
    // At the last stage it stays, unchanged (same since, same cause): no write.
    const stay = place(compiled, ctx(quiet, '2027-03-01T10:00:00.000Z'), later.placements, 'SCHEDULE');
    expect(stay).toEqual({ placements: later.placements, moves: [] });
  });

  it('leaves when it leaves the segment, when the strategy is deactivated, and is placed afresh by a new version', () => {
    const at = place(compiled, ctx(), undefined, 'IMPORT').placements;
    expect(place(compiled, ctx(busy), at, 'IMPORT').moves).toEqual([
      {
        strategyId: 'quiet-cards',
        from: { version: 1, stageId: 'WATCH', since: '2026-12-01T10:00:00.000Z' },
      },
    ]);
    expect(place(compileStrategies([strategy({ active: false })]), ctx(), at, 'BACKFILL').moves).toEqual([
      {
        strategyId: 'quiet-cards',
        from: { version: 1, stageId: 'WATCH', since: '2026-12-01T10:00:00.000Z' },
      },
    ]);
    const v2 = place(compileStrategies([strategy({ version: 2 })]), ctx(), at, 'BACKFILL');
    expect(v2.moves).toEqual([
      {
        strategyId: 'quiet-cards',
        from: { version: 1, stageId: 'WATCH', since: '2026-12-01T10:00:00.000Z' },
        to: { version: 2, stageId: 'WATCH' },
      },
    ]);
  });

  it('a tag segment needs the tag; both given, both must hold', () => {
    const c = compileStrategies([strategy({ segment: { tag: 'WINBACK', expression: 'spendTrend < 0.5' } })]);
    expect(place(c, ctx(), undefined, 'IMPORT').moves).toEqual([]);
    expect(place(c, ctx({ ...quiet, tags: ['WINBACK'] }), undefined, 'TAG').moves).toHaveLength(1);
    expect(place(c, ctx({ ...busy, tags: ['WINBACK'] }), undefined, 'TAG').moves).toEqual([]);
  });

  it('funnel counts never drift: random interleavings of events, imports and contacts, redelivered, equal a recount', () => {
    const strategies = [
      strategy(),
      strategy({ strategyId: 'all-cards', segment: { expression: 'true' } }),
      // Conditions on the contact history: a contact moves the account on.
      strategy({
        strategyId: 'contacted',
        segment: { expression: 'true' },
        stages: [
          {
            stageId: 'QUIET',
            name: 'quiet',
            launch: 'true',
            scenario: { offers: { first: ['fee-waiver'] } },
          },
          {
            stageId: 'CALLED',
            name: 'called',
            launch: 'daysSinceLastContact < 1 || contactsLast90Days >= 2',
            scenario: { offers: { first: ['fee-waiver'] } },
          },
        ],
      }),
    ];
    const accounts = [quiet, busy, { ...quiet, tags: ['X'] }];
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            who: fc.nat(5),
            account: fc.nat(accounts.length - 1),
            day: fc.nat(60),
            event: fc.constantFrom(undefined, 'USAGE_DROP', 'PAYMENT_MISSED'),
            version: fc.constantFrom(1, 1, 1, 2),
            active: fc.constantFrom(true, true, true, false),
            kind: fc.constantFrom('change', 'contact'),
            redelivered: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        (steps) => {
          const held = new Map<number, Placements>();
          const contacts = new Map<number, string[]>();
          const counts = new Map<string, number>();
          for (const s of steps) {
            const now = new Date(Date.parse('2026-12-01T00:00:00.000Z') + s.day * 86_400_000).toISOString();
            const compiledNow = compileStrategies(
              strategies.map((x) => ({ ...x, version: s.version, active: s.active })),
            );
            // A contact is dated on its account before it is placed (the start's write); a change is
            // an event or an import. Redelivered: the same step applied again, on what the first left.
            if (s.kind === 'contact') contacts.set(s.who, [...(contacts.get(s.who) ?? []), now]);
            const account = { ...accounts[s.account]!, recentContacts: contacts.get(s.who) ?? [] };
            for (let n = 0; n < (s.redelivered ? 2 : 1); n++) {
              const r = place(
                compiledNow,
                ctx(account, now, s.event ? { type: s.event, at: now } : undefined),
                held.get(s.who),
                s.kind === 'contact' ? 'CONTACT' : (s.event ?? 'IMPORT'),
              );
              held.set(s.who, r.placements);
              for (const d of funnelDeltas(r.moves)) {
                const k = `${d.strategyId}|${d.version}|${d.stageId}`;
                counts.set(k, (counts.get(k) ?? 0) + d.delta);
              }
            }
          }
          const recount = new Map<string, number>();
          for (const p of held.values())
            for (const [id, x] of Object.entries(p)) {
              const k = `${id}|${x.version}|${x.stageId}`;
              recount.set(k, (recount.get(k) ?? 0) + 1);
            }
          const nonZero = (m: Map<string, number>) => [...m].filter(([, n]) => n !== 0).sort();
          expect(nonZero(counts)).toEqual(nonZero(recount));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the scenario an inbound contact gets', () => {
  it('offers restricted by every `only`, put first in strategy order, the first route', () => {
    const a = strategy({
      strategyId: 'a',
      stages: [
        {
          stageId: 'S',
          name: 's',
          launch: 'true',
          scenario: { offers: { only: ['x', 'y', 'z'], first: ['y'] } },
        },
      ],
    });
    const b = strategy({
      strategyId: 'b',
      stages: [
        {
          stageId: 'S',
          name: 's',
          launch: 'true',
          scenario: { offers: { only: ['y', 'z'] }, route: { queue: 'VIP_RETENTION' } },
        },
      ],
    });
    const p = { version: 1, stageId: 'S', since: '2026-12-01T00:00:00.000Z', cause: 'IMPORT' };
    const r = inboundScenario([a, b], { a: p, b: p });
    expect([...r.only!].sort()).toEqual(['y', 'z']);
    expect(r.first).toEqual(['y']);
    expect(r.route).toEqual({ queue: 'VIP_RETENTION', strategyId: 'b' });
    // A placement by another version counts for nothing.
    expect(inboundScenario([a], { a: { ...p, version: 9 } })).toEqual({ stages: [], first: [] });
  });
});

describe('the stage log', () => {
  it('an exit says how long the account spent at the stage; no account is named', () => {
    const lines = stageLogLines(
      [
        {
          strategyId: 's',
          from: { version: 1, stageId: 'A', since: '2026-12-01T00:00:00.000Z' },
          to: { version: 1, stageId: 'B' },
        },
      ],
      '2026-12-15T12:00:00.000Z',
      'SCHEDULE',
    );
    expect(lines).toEqual([
      {
        event: 'STAGE_EXIT',
        strategyId: 's',
        version: 1,
        stageId: 'A',
        at: '2026-12-15T12:00:00.000Z',
        cause: 'SCHEDULE',
        daysInStage: 14.5,
      },
      {
        event: 'STAGE_ENTRY',
        strategyId: 's',
        version: 1,
        stageId: 'B',
        at: '2026-12-15T12:00:00.000Z',
        cause: 'SCHEDULE',
      },
    ]);
  });
});

describe("a contact's offers under its scenario", () => {
  const ranked = ['a', 'b', 'c', 'd'].map((offerId) => ({ offer: { offerId } }));
  const ids = (xs: readonly { offer: { offerId: string } }[]) => xs.map((x) => x.offer.offerId);
  it('only restricts, first puts first in its order, the ranking stands for the rest', () => {
    const stages = [{ strategyId: 's', stageId: 'S' }];
    expect(ids(applyScenarioOffers(ranked, { stages, first: ['c', 'x', 'b'] }))).toEqual([
      'c',
      'b',
      'a',
      'd',
    ]);
    expect(ids(applyScenarioOffers(ranked, { stages, only: ['d', 'b'] }))).toEqual(['b', 'd']);
    expect(ids(applyScenarioOffers(ranked, { stages, only: ['d', 'b'], first: ['d'] }))).toEqual(['d', 'b']);
    expect(ids(applyScenarioOffers(ranked, undefined))).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('strategies as configuration', () => {
  it('the default configuration ships one active strategy of each kind', () => {
    const c = DecisionConfigSchema.parse(DEFAULT);
    expect(new Set(c.strategies?.map((s) => s.kind))).toEqual(
      new Set(['RETENTION_AT_RISK', 'CROSS_SELL', 'VIP_SERVICE', 'COLLECTIONS', 'TELEMARKETING']),
    );
    expect(c.strategies?.every((s) => s.active)).toBe(true);
  });

  it('a strategy naming an offer the configuration lacks, or an id twice, is refused naming it', () => {
    const s0 = DEFAULT.strategies[0]!;
    const r = DecisionConfigSchema.safeParse({
      ...DEFAULT,
      strategies: [
        s0,
        { ...s0, stages: [{ ...s0.stages[0]!, scenario: { offers: { first: ['no-such-offer'] } } }] },
      ],
    });
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      `strategies.1.strategyId: duplicate strategyId ${s0.strategyId}`,
      'strategies.1.stages.0.scenario.offers.first.0: no offer no-such-offer in this configuration',
    ]);
  });

  it('a bad strategy is refused with every failing path', () => {
    const bad = {
      ...DEFAULT,
      strategies: [
        {
          ...DEFAULT.strategies[0],
          stages: [
            { ...DEFAULT.strategies[0]!.stages[0], launch: 'spendTrend <' },
            DEFAULT.strategies[0]!.stages[0],
          ],
        },
        { ...DEFAULT.strategies[1], strategyId: DEFAULT.strategies[0]!.strategyId, segment: {} },
        {
          ...DEFAULT.strategies[2],
          stages: [
            { stageId: 'X', name: 'x', launch: 'true', scenario: { offers: { only: ['no-such-offer'] } } },
          ],
        },
        {
          ...DEFAULT.strategies[3],
          stages: [{ stageId: 'X', name: 'x', launch: 'daysInStage', scenario: {} }],
        },
      ],
    };
    const r = DecisionConfigSchema.safeParse(bad);
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^strategies\.0\.stages\.0\.launch: invalid CEL/),
        expect.stringMatching(/^strategies\.0\.stages\.1\.stageId: duplicate stageId WATCH/),
        expect.stringMatching(/^strategies\.1\.segment: give expression or tag/),
        expect.stringMatching(/^strategies\.3\.stages\.0\.launch: invalid CEL: must be a condition \(bool\)/),
        expect.stringMatching(/^strategies\.3\.stages\.0\.scenario: a scenario does something/),
      ]),
    );
  });
});
