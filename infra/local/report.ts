import { parseArgs } from 'node:util';
import { type KpiReport, type KpiRow, type Lift, NONE } from '../../shared/domain/kpis';
import { TOKEN_HELP, tokenFor } from './authorizer';

/**
 * `npm run report -- [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--group-by offer,channel] [--json]`:
 * the KPI report (GET /v1/admin/reports/kpis) as a table. The API checks the parameters: a bad one
 * is printed as the API names it, and the command exits 1.
 */
const USAGE = `usage: npm run report -- [--from DAY] [--to DAY] [--group-by KEYS] [--json] [--url URL] [--token JWT]

  --from, --to    UTC days, inclusive (default: the 30 days to today; at most 366 days)
  --group-by K    up to 3 of day, offer, customerSegment, cardSegment, callType, channel, policy,
                  comma-separated (default: totals only)
  --json          print the API's answer as it is
  --url URL       the API (default: env RD_URL, else http://127.0.0.1:3000)
${TOKEN_HELP}
                  A token it mints is an ops person's.`;

const money = (x: number) =>
  x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);
const int = (x: number) => x.toLocaleString('en-US');

const COLUMNS: [string, (r: KpiRow) => string][] = [
  ['contacts', (r) => int(r.contacts)],
  ['closing', (r) => int(r.closingContacts)],
  ['saves', (r) => int(r.saves)],
  ['save rate', (r) => pct(r.saveRate)],
  ['presented', (r) => int(r.presentations)],
  ['accepted', (r) => int(r.accepts)],
  ['acceptance', (r) => pct(r.acceptanceRate)],
  ['spend', (r) => money(r.incentiveSpend)],
  ['value kept', (r) => money(r.valueKept)],
  ['cross-sold', (r) => money(r.crossSellValue)],
  ['net value', (r) => money(r.netValue)],
];

/** A group's value as read: `-` is no value (the contacts' own row, when grouped by offer). */
const label = (key: string, v: string | undefined) =>
  v === undefined ? '' : v === NONE ? (key === 'offer' ? '(contacts)' : '(none)') : v;

/** The report as a plain-text table: one row per group, then the totals, then learning against control. */
export function formatKpiReport(r: KpiReport): string {
  const keys = r.groupBy;
  // The label columns: the grouping's keys, or one for the totals' label.
  const labels: string[] = keys.length ? [...keys] : [''];
  const head = [...labels, ...COLUMNS.map(([h]) => h)];
  const body = [
    ...r.rows.map((row) => [...keys.map((k) => label(k, row.key[k])), ...COLUMNS.map(([, f]) => f(row))]),
    [...labels.map((_, i) => (i === 0 ? 'total' : '')), ...COLUMNS.map(([, f]) => f(r.totals))],
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < labels.length ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  /** A lift line: the groups' levels in `level`, the difference and its interval in `diff`. */
  const lift = (name: string, l: Lift, level: (x: number) => string, diff: (x: number) => string) =>
    `  ${name}: learning ${l.learning === null ? '–' : level(l.learning)}, control ${l.control === null ? '–' : level(l.control)}, ` +
    (l.difference === null
      ? 'difference –'
      : `difference ${diff(l.difference)}${l.low === null || l.high === null ? ' (too few to give an interval)' : ` (95 % interval ${diff(l.low)} to ${diff(l.high)})`}`);
  const points = (x: number) => `${(x * 100).toFixed(1)} pt`;
  return [
    `KPI report ${r.from} to ${r.to} (UTC days), from the ${r.source}${keys.length ? `, by ${keys.join(', ')}` : ''}`,
    '',
    line(head),
    rule,
    ...body.slice(0, -1).map(line),
    ...(r.rows.length ? [rule] : []),
    line(body[body.length - 1]!),
    '',
    `Learning policy against its control group (${int(r.lift.learning.contacts)} and ${int(r.lift.control.contacts)} contacts):`,
    lift('net value per contact', r.lift.netValuePerContact, money, money),
    lift('acceptance', r.lift.acceptance, pct, points),
    `  methods: ${r.lift.netValuePerContact.method}; ${r.lift.acceptance.method}.`,
  ].join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      'group-by': { type: 'string' },
      json: { type: 'boolean', default: false },
      url: { type: 'string', default: process.env.RD_URL ?? 'http://127.0.0.1:3000' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const token = await tokenFor({ url: values.url, token: values.token, roles: ['ops'] });
  const q = new URLSearchParams();
  if (values.from) q.set('from', values.from);
  if (values.to) q.set('to', values.to);
  if (values['group-by']) q.set('groupBy', values['group-by']);
  const res = await fetch(`${values.url.replace(/\/$/, '')}/v1/admin/reports/kpis?${q}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) {
    const errors = (body.errors as { path: string; message: string }[] | undefined) ?? [];
    throw new Error(
      [
        `${res.status} ${String(body.title)}: ${String(body.detail ?? '')}`,
        ...errors.map((e) => `  ${e.path}: ${e.message}`),
      ].join('\n'),
    );
  }
  console.log(values.json ? JSON.stringify(body, null, 2) : formatKpiReport(body as unknown as KpiReport));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!))
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 1;
  });
