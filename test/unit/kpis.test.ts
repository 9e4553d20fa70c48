import { describe, expect, it } from 'vitest';
import {
  acceptanceLift,
  type KpiCounts,
  kpiDeltas,
  kpiReport,
  netValueLift,
  wilson,
  ZERO_COUNTS,
} from '../../shared/domain/kpis';
import type { OfferLogEvent } from '../../shared/schemas/contact';

const ev = (over: Partial<OfferLogEvent>): OfferLogEvent => ({
  contactId: 'c-1',
  seq: 1,
  at: '2026-12-01T10:00:00.000Z',
  event: 'PRESENTED',
  accountId: 'ACC-000001',
  callType: 'CLOSE_ACCOUNT',
  channel: 'voice',
  stage: 'OFFER',
  configVersion: 'v1',
  closing: true,
  policy: 'LEARNING',
  customerSegment: 'PREMIUM',
  cardSegment: 'TRAVEL',
  ...over,
});
const economics = (cost: number, customerValue: number) => ({
  cost,
  customerValue,
  acceptProbability: 0.5,
  expectedNetValue: 0,
});

describe('what each offer-log event adds', () => {
  it('a contact is counted at its first event; presentations, answers and money at theirs', () => {
    const cells = kpiDeltas([
      ev({ seq: 0, offerId: 'fee-waiver', economics: economics(95, 1200.004) }),
      ev({
        seq: 1,
        event: 'ACCEPTED',
        offerId: 'fee-waiver',
        kind: 'RETENTION',
        economics: economics(95, 1200.004),
      }),
      ev({ seq: 2, event: 'CLOSURE_REQUESTED' }),
      ev({
        seq: 3,
        event: 'ACCEPTED',
        offerId: 'card-x',
        kind: 'CROSS_SELL',
        economics: economics(10.004, 300),
      }),
    ]);
    const byOffer = Object.fromEntries([...cells.values()].map((c) => [c.cell.offer, c.counts]));
    expect(byOffer['-']).toEqual({ ...ZERO_COUNTS, contacts: 1, closingContacts: 1 });
    expect(byOffer['fee-waiver']).toMatchObject({
      presentations: 1,
      closingPresentations: 1,
      accepts: 1,
      saves: 1,
      spendCents: 9500,
      valueKeptCents: 120000,
    });
    // Amounts are rounded to cents once per event, then summed as whole numbers.
    expect(byOffer['card-x']).toMatchObject({ accepts: 1, saves: 0, crossSells: 1, spendCents: 1000 });
  });

  it("the canary's events count nowhere; an accept on a call that is not a closing one is no save", () => {
    expect(
      kpiDeltas([ev({ seq: 0, synthetic: true }), ev({ seq: 1, synthetic: true, offerId: 'x' })]).size,
    ).toBe(0);
    const [c] = [
      ...kpiDeltas([ev({ event: 'ACCEPTED', closing: false, offerId: 'x', kind: 'RETENTION' })]).values(),
    ];
    expect(c!.counts).toMatchObject({ accepts: 1, saves: 0 });
  });
});

describe('intervals', () => {
  it("Wilson's interval matches the published values (Newcombe 1998, table I)", () => {
    const w = wilson(81, 263)!;
    expect(w.low).toBeCloseTo(0.2553, 4);
    expect(w.high).toBeCloseTo(0.3662, 4);
    expect(wilson(0, 10)!.low).toBe(0);
    expect(wilson(0, 0)).toBeNull();
  });

  it("Newcombe's interval for a difference of proportions matches the published example (56/70 − 48/80)", () => {
    const counts = (accepts: number, presentations: number): KpiCounts => ({
      ...ZERO_COUNTS,
      accepts,
      presentations,
    });
    const l = acceptanceLift(counts(56, 70), counts(48, 80));
    expect(l.difference).toBeCloseTo(0.2, 12);
    expect(l.low).toBeCloseTo(0.0524, 4);
    expect(l.high).toBeCloseTo(0.3339, 4);
    expect(acceptanceLift(counts(1, 2), counts(0, 0))).toMatchObject({
      low: null,
      high: null,
      control: null,
    });
  });

  it("Welch's interval from the sums equals the one computed from the contacts' own values", () => {
    // Each contact's net value: the accepted offer's value − cost, 0 for no accept.
    const a = [100, 0, 0, 250.5, 0, 80];
    const b = [0, 0, 40, 0, 0, 0, 10];
    const sums = (xs: number[]): KpiCounts => ({
      ...ZERO_COUNTS,
      contacts: xs.length,
      valueKeptCents: xs.reduce((s, x) => s + Math.round(x * 100), 0),
      netSquares: xs.reduce((s, x) => s + x * x, 0),
    });
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = (xs: number[]) => xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / (xs.length - 1);
    const d = mean(a) - mean(b);
    const se = Math.sqrt(variance(a) / a.length + variance(b) / b.length);
    const l = netValueLift(sums(a), sums(b));
    expect(l.difference).toBeCloseTo(d, 9);
    expect(l.low).toBeCloseTo(d - 1.959963984540054 * se, 9);
    expect(l.high).toBeCloseTo(d + 1.959963984540054 * se, 9);
    expect(netValueLift(sums([5]), sums(b))).toMatchObject({ low: null, high: null });
  });
});

describe('the report', () => {
  it('groups add up to the totals, sorted by their key; rates are null with nothing to divide', () => {
    const events = [
      ev({ contactId: 'a', seq: 0, offerId: 'x' }),
      ev({ contactId: 'a', seq: 1, event: 'DECLINED', offerId: 'x' }),
      ev({ contactId: 'b', seq: 0, offerId: 'x', at: '2026-11-30T23:59:59.999Z', policy: 'CONTROL' }),
      ev({
        contactId: 'b',
        seq: 1,
        event: 'ACCEPTED',
        offerId: 'x',
        kind: 'RETENTION',
        economics: economics(50, 500),
        policy: 'CONTROL',
      }),
    ];
    const cells = [...kpiDeltas(events).values()];
    const r = kpiReport(cells, { from: '2026-11-30', to: '2026-12-01' }, ['day']);
    expect(r.rows.map((x) => x.key.day)).toEqual(['2026-11-30', '2026-12-01']);
    expect(r.totals).toMatchObject({
      contacts: 2,
      presentations: 2,
      accepts: 1,
      declines: 1,
      saves: 1,
      saveRate: 0.5,
      netValue: 450,
    });
    // Each event counts on its own day: b's contact on the 30th, its accept (a save) on the 1st.
    expect(r.rows[0]).toMatchObject({ contacts: 1, presentations: 1, saves: 0 });
    expect(r.rows[1]).toMatchObject({ contacts: 1, presentations: 1, saves: 1, incentiveSpend: 50 });
    expect(r.lift.control).toMatchObject({ contacts: 1, accepts: 1 });
    expect(kpiReport([], { from: 'x', to: 'y' }, []).totals).toMatchObject({
      saveRate: null,
      acceptanceRate: null,
    });
  });
});
