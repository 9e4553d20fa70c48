// What the desk achieved, from the offer log (the source of truth): daily aggregates kept as the log
// is written, and the report made of them. Pure: the store and the stream are in the adapters.

import type { OfferLogEvent } from '../schemas/contact';

/** What a report may group by: a cell of the daily aggregates has one value of each. */
export const KPI_GROUP_KEYS = [
  'day',
  'offer',
  'customerSegment',
  'cardSegment',
  'callType',
  'channel',
  'policy',
] as const;
export type KpiGroupKey = (typeof KPI_GROUP_KEYS)[number];

/** One cell of the daily aggregates: a UTC day and one value of each other dimension. */
export type KpiCell = Record<KpiGroupKey, string>;

/** The value of a dimension the event does not have (a contact-level count has no offer). */
export const NONE = '-';

/**
 * What a cell counts: every figure a sum, so that cells add up to any grouping, and a redelivered
 * event is caught before it is added (the store's checkpoint), never after. Money in whole cents
 * (each event's amount rounded once), so that sums are exact whatever the order they are added in.
 */
export interface KpiCounts {
  /** Contacts decided (their first offer-log event: every contact that reaches the offer stage has one). */
  contacts: number;
  /** Of those, contacts of a closing call type (the customer asked to close). */
  closingContacts: number;
  presentations: number;
  /** Presentations on closing contacts (an offer's save rate is counted against them). */
  closingPresentations: number;
  accepts: number;
  declines: number;
  /** Retention offers accepted on a closing contact: the customer stayed. */
  saves: number;
  /** Cross-sell offers accepted. */
  crossSells: number;
  /** The cost of every accepted offer. */
  spendCents: number;
  /** The customer value kept by accepted retention offers. */
  valueKeptCents: number;
  /** The value of the products sold by accepted cross-sell offers. */
  crossSellValueCents: number;
  /**
   * Sum of squares of each accept's net value (value − cost, in currency units): with the sum, the
   * variance of the net value per contact (a contact accepts at most one offer). For intervals only.
   */
  netSquares: number;
}

export const ZERO_COUNTS: Readonly<KpiCounts> = Object.freeze({
  contacts: 0,
  closingContacts: 0,
  presentations: 0,
  closingPresentations: 0,
  accepts: 0,
  declines: 0,
  saves: 0,
  crossSells: 0,
  spendCents: 0,
  valueKeptCents: 0,
  crossSellValueCents: 0,
  netSquares: 0,
});

export const COUNT_FIELDS = Object.keys(ZERO_COUNTS) as (keyof KpiCounts)[];

const cents = (amount: number) => Math.round(amount * 100);

/** The cell an event counts in: contact-level events (the first one) have no offer. */
function cellOf(e: OfferLogEvent, offer: string): KpiCell {
  return {
    day: e.at.slice(0, 10),
    offer,
    customerSegment: e.customerSegment ?? NONE,
    cardSegment: e.cardSegment ?? NONE,
    callType: e.callType,
    channel: e.channel,
    policy: e.policy ?? NONE,
  };
}

/** A cell's key: its values in KPI_GROUP_KEYS order, as a JSON array (any value, no separator to escape). */
export const cellKey = (c: KpiCell): string => JSON.stringify(KPI_GROUP_KEYS.map((k) => c[k]));

export const cellOfKey = (key: string): KpiCell => {
  const values = JSON.parse(key) as string[];
  return Object.fromEntries(KPI_GROUP_KEYS.map((k, i) => [k, values[i] ?? NONE])) as KpiCell;
};

/**
 * What each event adds to its cells, summed per cell, in the order the cells were first met. A
 * synthetic contact's events (the canary's) add nothing. Events are counted as they are: the caller
 * hands each one over once (the store's checkpoint sees to it).
 */
export function kpiDeltas(
  events: readonly OfferLogEvent[],
): Map<string, { cell: KpiCell; counts: KpiCounts }> {
  const out = new Map<string, { cell: KpiCell; counts: KpiCounts }>();
  const add = (cell: KpiCell, delta: Partial<KpiCounts>) => {
    const key = cellKey(cell);
    let entry = out.get(key);
    if (!entry) {
      entry = { cell, counts: { ...ZERO_COUNTS } };
      out.set(key, entry);
    }
    for (const [k, v] of Object.entries(delta) as [keyof KpiCounts, number][]) entry.counts[k] += v;
  };
  for (const e of events) {
    if (e.synthetic) continue;
    const closing = e.closing === true;
    if (e.seq === 0) add(cellOf(e, NONE), { contacts: 1, closingContacts: closing ? 1 : 0 });
    if (!e.offerId) continue;
    const cell = cellOf(e, e.offerId);
    if (e.event === 'PRESENTED') add(cell, { presentations: 1, closingPresentations: closing ? 1 : 0 });
    else if (e.event === 'DECLINED') add(cell, { declines: 1 });
    else if (e.event === 'ACCEPTED') {
      const cost = e.economics?.cost ?? 0;
      const value = e.economics?.customerValue ?? 0;
      const retention = e.kind !== 'CROSS_SELL';
      add(cell, {
        accepts: 1,
        saves: retention && closing ? 1 : 0,
        crossSells: retention ? 0 : 1,
        spendCents: cents(cost),
        ...(retention ? { valueKeptCents: cents(value) } : { crossSellValueCents: cents(value) }),
        netSquares: ((cents(value) - cents(cost)) / 100) ** 2,
      });
    }
  }
  return out;
}

export const addCounts = (a: KpiCounts, b: Readonly<KpiCounts>): KpiCounts => {
  for (const k of COUNT_FIELDS) a[k] += b[k];
  return a;
};

/** A report's row: the counts as a retention manager reads them. */
export interface KpiRow {
  contacts: number;
  closingContacts: number;
  saves: number;
  /** saves / closing contacts (for an offer's row: / closing contacts presented it); null when none. */
  saveRate: number | null;
  presentations: number;
  accepts: number;
  declines: number;
  /** accepts / presentations; null when nothing was presented. */
  acceptanceRate: number | null;
  crossSells: number;
  incentiveSpend: number;
  valueKept: number;
  crossSellValue: number;
  /** valueKept + crossSellValue − incentiveSpend. */
  netValue: number;
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

/**
 * A row from summed counts. `byOffer`: the row is one offer's, whose contacts are those it was
 * presented to (an offer is presented at most once per contact).
 */
export function kpiRow(c: Readonly<KpiCounts>, byOffer = false): KpiRow {
  const contacts = byOffer ? c.presentations : c.contacts;
  const closingContacts = byOffer ? c.closingPresentations : c.closingContacts;
  const spend = c.spendCents;
  return {
    contacts,
    closingContacts,
    saves: c.saves,
    saveRate: ratio(c.saves, closingContacts),
    presentations: c.presentations,
    accepts: c.accepts,
    declines: c.declines,
    acceptanceRate: ratio(c.accepts, c.presentations),
    crossSells: c.crossSells,
    incentiveSpend: spend / 100,
    valueKept: c.valueKeptCents / 100,
    crossSellValue: c.crossSellValueCents / 100,
    netValue: (c.valueKeptCents + c.crossSellValueCents - spend) / 100,
  };
}

/** z for a two-sided 95 % interval. */
const Z = 1.959963984540054;

/** Wilson's score interval for a proportion k/n (95 %). */
export function wilson(k: number, n: number): { low: number; high: number } | null {
  if (n <= 0) return null;
  const p = k / n;
  const z2 = Z * Z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export interface Lift {
  learning: number | null;
  control: number | null;
  /** learning − control. */
  difference: number | null;
  /** The 95 % interval of the difference; null when either group is too small to say. */
  low: number | null;
  high: number | null;
  method: string;
}

export const ACCEPTANCE_METHOD =
  "Newcombe's hybrid score interval (Wilson intervals of each group's accepts/presentations combined), 95 %";
export const NET_VALUE_METHOD =
  "Welch's interval for a difference of means (normal approximation), 95 %; each contact's net value is that of the offer it accepted, 0 if none";

/** The learning group's acceptance against the control group's: the difference and its interval. */
export function acceptanceLift(l: Readonly<KpiCounts>, c: Readonly<KpiCounts>): Lift {
  const p1 = ratio(l.accepts, l.presentations);
  const p2 = ratio(c.accepts, c.presentations);
  const w1 = wilson(l.accepts, l.presentations);
  const w2 = wilson(c.accepts, c.presentations);
  if (p1 === null || p2 === null || !w1 || !w2)
    return {
      learning: p1,
      control: p2,
      difference: p1 !== null && p2 !== null ? p1 - p2 : null,
      low: null,
      high: null,
      method: ACCEPTANCE_METHOD,
    };
  const d = p1 - p2;
  return {
    learning: p1,
    control: p2,
    difference: d,
    low: d - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2),
    high: d + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2),
    method: ACCEPTANCE_METHOD,
  };
}

/** Mean and variance of the net value per contact of a group, from its sums. */
function netPerContact(c: Readonly<KpiCounts>): { n: number; mean: number; variance: number } | null {
  const n = c.contacts;
  if (n <= 0) return null;
  const sum = (c.valueKeptCents + c.crossSellValueCents - c.spendCents) / 100;
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (c.netSquares - n * mean * mean) / (n - 1)) : Number.NaN;
  return { n, mean, variance };
}

/** The learning group's net value per contact against the control group's. */
export function netValueLift(l: Readonly<KpiCounts>, c: Readonly<KpiCounts>): Lift {
  const a = netPerContact(l);
  const b = netPerContact(c);
  const difference = a && b ? a.mean - b.mean : null;
  const base = { learning: a?.mean ?? null, control: b?.mean ?? null, difference, method: NET_VALUE_METHOD };
  if (!a || !b || a.n < 2 || b.n < 2) return { ...base, low: null, high: null };
  const se = Math.sqrt(a.variance / a.n + b.variance / b.n);
  return { ...base, low: difference! - Z * se, high: difference! + Z * se };
}

export interface KpiReport {
  from: string;
  to: string;
  groupBy: KpiGroupKey[];
  source: string;
  totals: KpiRow;
  rows: ({ key: Partial<Record<KpiGroupKey, string>> } & KpiRow)[];
  lift: {
    learning: KpiRow;
    control: KpiRow;
    netValuePerContact: Lift;
    acceptance: Lift;
  };
}

/**
 * The report over the cells of a range: totals, one row per value of the grouping (sorted by it),
 * and the learning policy against its control group. Contact-level counts sit in cells with no
 * offer: grouped by offer, that row (`offer: "-"`) holds the contacts and no presentation.
 */
export function kpiReport(
  cells: Iterable<{ cell: KpiCell; counts: Readonly<KpiCounts> }>,
  range: { from: string; to: string },
  groupBy: readonly KpiGroupKey[],
): KpiReport {
  const totals = { ...ZERO_COUNTS };
  const learning = { ...ZERO_COUNTS };
  const control = { ...ZERO_COUNTS };
  const groups = new Map<string, { key: Partial<KpiCell>; counts: KpiCounts }>();
  for (const { cell, counts } of cells) {
    addCounts(totals, counts);
    if (cell.policy === 'LEARNING') addCounts(learning, counts);
    if (cell.policy === 'CONTROL') addCounts(control, counts);
    if (groupBy.length === 0) continue;
    const key = Object.fromEntries(groupBy.map((g) => [g, cell[g]])) as Partial<KpiCell>;
    const id = JSON.stringify(groupBy.map((g) => cell[g]));
    const g = groups.get(id) ?? { key, counts: { ...ZERO_COUNTS } };
    addCounts(g.counts, counts);
    groups.set(id, g);
  }
  const byOffer = groupBy.includes('offer');
  const rows = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => {
      const row = kpiRow(g.counts, byOffer && g.key.offer !== NONE);
      // Grouped by offer, the contacts' own row has no save of its own: the offers' rows hold them.
      return { key: g.key, ...row, ...(byOffer && g.key.offer === NONE ? { saveRate: null } : {}) };
    });
  return {
    from: range.from,
    to: range.to,
    groupBy: [...groupBy],
    source: 'offer-log daily aggregates',
    totals: kpiRow(totals),
    rows,
    lift: {
      learning: kpiRow(learning),
      control: kpiRow(control),
      netValuePerContact: netValueLift(learning, control),
      acceptance: acceptanceLift(learning, control),
    },
  };
}
