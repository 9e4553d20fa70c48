// The local /ops page (served as /ops/ops.js): the KPI report (GET /v1/admin/reports/kpis) and this process's metrics
// (GET /ops/metrics.json) drawn with ECharts, served by the local server itself. Every string from a
// response reaches the DOM as text (textContent) or through esc() in a tooltip: offer ids come from
// configuration. Chart text is drawn on a canvas.
/* global echarts */

const TOKEN_KEY = 'retention-desk-ops-token';
const STAGES = [
  ['VERIFY', 'Verify caller'],
  ['OFFER', 'Hear offers'],
  ['CROSS_SELL', 'Cross-sell'],
  ['RETAINED', 'Retained (kept)'],
  ['RESOLVED', 'Resolved (kept)'],
  ['CROSS_SOLD', 'Cross-sold (kept)'],
  ['CLOSED', 'Closed'],
  ['ROUTED', 'Routed away'],
  ['UNIDENTIFIED', 'Unidentified'],
  ['LOCKED', 'Locked out'],
];
const KEPT = new Set(['RETAINED', 'RESOLVED', 'CROSS_SOLD']);
const COLORS = {
  blue: '#1f6feb',
  teal: '#0f9d8a',
  orange: '#e8710a',
  gray: '#9aa5b1',
  green: '#2e9d4f',
  red: '#c5362c',
  purple: '#7b4fd6',
};
const EMPTY_RANGE = 'no contacts in this range yet';
const EMPTY_SINCE = 'no contacts since the stack started yet';

const $ = (id) => document.getElementById(id);
const esc = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const pct = (x, digits = 1) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)} %`);
const count = new Intl.NumberFormat('en-US');
let currency = 'USD';
let moneyFmt = money('USD');
function money(code, compact = false) {
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency: code,
    maximumFractionDigits: compact ? 1 : 0,
    ...(compact ? { notation: 'compact' } : {}),
  });
}

const charts = {};
function chart(id) {
  charts[id] ??= echarts.init($(id), null, { renderer: 'canvas' });
  return charts[id];
}
/** Shows the chart, or the empty state over it (the chart is cleared, not left with old data). */
function draw(id, option, emptyText) {
  const el = $(id);
  const empty = el.nextElementSibling;
  const c = chart(id);
  if (emptyText) {
    c.clear();
    empty.textContent = emptyText;
    empty.hidden = false;
    el.dataset.state = 'empty';
    return;
  }
  empty.hidden = true;
  // No animation: the page is read, not watched, and a screenshot shows the figures as they are.
  c.setOption({ animation: false, ...option }, { notMerge: true });
  el.dataset.state = 'drawn';
}
window.addEventListener('resize', () => {
  for (const c of Object.values(charts)) c.resize();
});

// Shared look: the legend above the plot (never over it), axis labels and names kept inside the box.
const GRID = { left: 8, right: 16, top: 44, bottom: 8, outerBoundsMode: 'same', outerBoundsContain: 'all' };
const LEGEND = { top: 0, left: 'center', itemGap: 18 };
const AXIS_NAME = { nameLocation: 'middle', nameTextStyle: { color: '#5b6876' } };
const tooltipLines = (title, lines) =>
  `<b>${esc(title)}</b><br>${lines.map(([k, v]) => `${esc(k)}: <b>${esc(v)}</b>`).join('<br>')}`;

function setStatus(text, error = false) {
  const s = $('status');
  s.textContent = text;
  s.className = error ? 'error' : '';
}

function days(from, to) {
  const out = [];
  for (
    let d = new Date(`${from}T00:00:00Z`);
    d <= new Date(`${to}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1)
  )
    out.push(d.toISOString().slice(0, 10));
  return out;
}

class HttpProblem extends Error {
  constructor(status, body) {
    const fields = Array.isArray(body?.errors)
      ? body.errors.map((e) => `${e.path}: ${e.message}`).join('; ')
      : '';
    super(
      `${status} ${body?.title ?? 'error'}${body?.detail ? `: ${body.detail}` : ''}${fields ? ` (${fields})` : ''}`,
    );
    this.status = status;
  }
}

async function getJson(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const r = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new HttpProblem(r.status, body);
  return body;
}

function tiles(report) {
  const t = report.totals;
  const none = t.contacts === 0;
  $('t-contacts').textContent = count.format(t.contacts);
  $('t-contacts-sub').textContent = none ? EMPTY_RANGE : `${count.format(t.closingContacts)} asked to close`;
  $('t-save-rate').textContent = pct(t.saveRate);
  $('t-save-rate-sub').textContent = `${count.format(t.saves)} saved of ${count.format(t.closingContacts)}`;
  $('t-acceptance').textContent = pct(t.acceptanceRate);
  $('t-acceptance-sub').textContent = `${count.format(t.accepts)} of ${count.format(t.presentations)} offers`;
  $('t-spend').textContent = moneyFmt.format(t.incentiveSpend);
  $('t-kept').textContent = moneyFmt.format(t.valueKept);
  $('t-net').textContent = moneyFmt.format(t.netValue);
}

function saveRateChart(byDay, range) {
  const rows = new Map(byDay.rows.map((r) => [r.key.day, r]));
  const ds = days(range.from, range.to);
  const rate = ds.map((d) => {
    const r = rows.get(d);
    return r && r.saveRate !== null ? r.saveRate * 100 : null;
  });
  draw(
    'chart-save-rate',
    {
      grid: GRID,
      legend: { ...LEGEND, data: ['Save rate', 'Closing contacts'] },
      tooltip: {
        trigger: 'axis',
        formatter: (ps) => {
          const r = rows.get(ps[0].name);
          return tooltipLines(ps[0].name, [
            ['Save rate', r ? pct(r.saveRate) : '—'],
            ['Saved', r ? count.format(r.saves) : '0'],
            ['Closing contacts', r ? count.format(r.closingContacts) : '0'],
          ]);
        },
      },
      xAxis: {
        type: 'category',
        data: ds,
        name: 'Day (UTC)',
        nameGap: 26,
        ...AXIS_NAME,
        axisLabel: { formatter: (d) => d.slice(5) },
      },
      yAxis: [
        {
          type: 'value',
          min: 0,
          max: 100,
          interval: 25,
          name: 'Save rate (%)',
          nameGap: 42,
          ...AXIS_NAME,
          axisLabel: { formatter: '{value} %' },
        },
        {
          type: 'value',
          min: 0,
          minInterval: 1,
          name: 'Closing contacts',
          nameGap: 30,
          ...AXIS_NAME,
          splitLine: { show: false },
        },
      ],
      series: [
        {
          name: 'Closing contacts',
          type: 'bar',
          yAxisIndex: 1,
          data: ds.map((d) => rows.get(d)?.closingContacts ?? 0),
          itemStyle: { color: '#d5dce4' },
          barMaxWidth: 18,
          z: 1,
        },
        {
          name: 'Save rate',
          type: 'line',
          data: rate,
          itemStyle: { color: COLORS.blue },
          lineStyle: { width: 2.5 },
          symbolSize: 8,
          connectNulls: false,
          // Each day's rate is written by its point: a few points are read at a glance.
          label: {
            show: true,
            position: 'top',
            formatter: (p) => `${Math.round(p.value)} %`,
            color: COLORS.blue,
            fontWeight: 'bold',
          },
          z: 3,
        },
      ],
    },
    byDay.totals.closingContacts === 0 ? EMPTY_RANGE : undefined,
  );
}

function acceptanceChart(byOffer) {
  const rows = byOffer.rows
    .filter((r) => r.presentations > 0)
    .sort(
      (a, b) => b.presentations - a.presentations || String(a.key.offer).localeCompare(String(b.key.offer)),
    );
  // Most presented at the top: a category y axis draws its first value at the bottom.
  const shown = rows.slice().reverse();
  draw(
    'chart-acceptance',
    {
      grid: { ...GRID, top: 16, right: 72 },
      tooltip: {
        trigger: 'item',
        formatter: (p) => {
          const r = shown[p.dataIndex];
          return tooltipLines(r.key.offer, [
            ['Acceptance', pct(r.acceptanceRate)],
            ['Accepted', count.format(r.accepts)],
            ['Declined', count.format(r.declines)],
            ['Presented', count.format(r.presentations)],
          ]);
        },
      },
      xAxis: {
        type: 'value',
        min: 0,
        max: 100,
        interval: 25,
        name: 'Accepted (% of presentations)',
        nameGap: 26,
        ...AXIS_NAME,
        axisLabel: { formatter: '{value} %' },
      },
      yAxis: {
        type: 'category',
        data: shown.map((r) => r.key.offer),
        axisLabel: { width: 170, overflow: 'truncate' },
      },
      series: [
        {
          name: 'Acceptance',
          type: 'bar',
          data: shown.map((r) => (r.acceptanceRate === null ? null : r.acceptanceRate * 100)),
          itemStyle: { color: COLORS.teal },
          barMaxWidth: 22,
          label: {
            show: true,
            position: 'right',
            formatter: (p) =>
              `${pct(shown[p.dataIndex].acceptanceRate, 0)} (${shown[p.dataIndex].accepts}/${shown[p.dataIndex].presentations})`,
            color: '#1d2733',
          },
        },
      ],
    },
    rows.length === 0 ? EMPTY_RANGE : undefined,
  );
}

function spendChart(byDay, range) {
  const rows = new Map(byDay.rows.map((r) => [r.key.day, r]));
  const ds = days(range.from, range.to);
  const compact = money(currency, true);
  draw(
    'chart-spend',
    {
      grid: GRID,
      legend: { ...LEGEND, data: ['Incentive spend', 'Customer value kept'] },
      tooltip: {
        trigger: 'axis',
        formatter: (ps) => {
          const r = rows.get(ps[0].name);
          return tooltipLines(ps[0].name, [
            ['Incentive spend', moneyFmt.format(r?.incentiveSpend ?? 0)],
            ['Customer value kept', moneyFmt.format(r?.valueKept ?? 0)],
            ['Net value kept', moneyFmt.format(r?.netValue ?? 0)],
          ]);
        },
      },
      xAxis: {
        type: 'category',
        data: ds,
        name: 'Day (UTC)',
        nameGap: 26,
        ...AXIS_NAME,
        axisLabel: { formatter: (d) => d.slice(5) },
      },
      yAxis: {
        type: 'value',
        min: 0,
        name: `Amount (${currency})`,
        nameGap: 48,
        ...AXIS_NAME,
        axisLabel: { formatter: (v) => compact.format(v) },
      },
      series: [
        {
          name: 'Incentive spend',
          type: 'bar',
          data: ds.map((d) => rows.get(d)?.incentiveSpend ?? 0),
          itemStyle: { color: COLORS.orange },
          barMaxWidth: 16,
        },
        {
          name: 'Customer value kept',
          type: 'bar',
          data: ds.map((d) => rows.get(d)?.valueKept ?? 0),
          itemStyle: { color: COLORS.green },
          barMaxWidth: 16,
        },
      ],
    },
    byDay.totals.contacts === 0 ? EMPTY_RANGE : undefined,
  );
}

function funnelChart(metrics) {
  const known = new Set(STAGES.map(([s]) => s));
  const stages = [
    ...STAGES,
    ...Object.keys(metrics.stages)
      .filter((s) => !known.has(s))
      .map((s) => [s, s]),
  ];
  // The call's first stage at the top.
  const shown = stages.slice().reverse();
  const total = Object.values(metrics.stages).reduce((a, b) => a + b, 0);
  draw(
    'chart-funnel',
    {
      grid: { ...GRID, top: 16, right: 40 },
      tooltip: {
        trigger: 'item',
        formatter: (p) => tooltipLines(shown[p.dataIndex][1], [['Contacts entering', count.format(p.value)]]),
      },
      xAxis: {
        type: 'value',
        min: 0,
        minInterval: 1,
        name: 'Contacts entering the stage',
        nameGap: 26,
        ...AXIS_NAME,
      },
      yAxis: {
        type: 'category',
        data: shown.map(([s]) => s),
        axisLabel: { formatter: (s) => stages.find(([k]) => k === s)?.[1] ?? s },
      },
      series: [
        {
          name: 'Contacts',
          type: 'bar',
          barMaxWidth: 18,
          data: shown.map(([s]) => ({
            value: metrics.stages[s] ?? 0,
            itemStyle: { color: KEPT.has(s) ? COLORS.green : s === 'CLOSED' ? COLORS.red : COLORS.blue },
          })),
          label: { show: true, position: 'right', color: '#1d2733' },
        },
      ],
    },
    total === 0 ? EMPTY_SINCE : undefined,
  );
}

function liftChart(report) {
  const lift = report.lift;
  const L = lift.learning;
  const C = lift.control;
  const a = lift.acceptance;
  const n = lift.netValuePerContact;
  // The report's intervals are 95 %; with too few contacts in a group it gives none.
  const none =
    L.contacts === 0 || C.contacts === 0
      ? `no ${L.contacts === 0 ? 'learning' : 'control'} contacts yet`
      : 'too few answers to say';
  const interval = (d, lo, hi, f) =>
    d === null ? none : `${f(d)} (95 % interval ${lo === null ? 'not known yet' : `${f(lo)} to ${f(hi)}`})`;
  const pts = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;
  const signedMoney = (x) => `${x >= 0 ? '+' : '−'}${moneyFmt.format(Math.abs(x))}`;
  $('lift-caption').textContent =
    `Learning − control. Acceptance: ${interval(a.difference, a.low, a.high, pts)}. Net value per contact: ${interval(n.difference, n.low, n.high, signedMoney)}.`;
  const compact = money(currency, true);
  // Each group's size on its axis: a missing bar reads as "no contacts", not as zero.
  const contacts = (n) => `${count.format(n)} contact${n === 1 ? '' : 's'}`;
  const policies = [`Learning\n${contacts(L.contacts)}`, `Control\n${contacts(C.contacts)}`];
  const colors = [COLORS.purple, COLORS.gray];
  const bar = (values, xAxisIndex, yAxisIndex, fmt) => ({
    type: 'bar',
    xAxisIndex,
    yAxisIndex,
    barMaxWidth: 46,
    data: values.map((v, i) => ({ value: v, itemStyle: { color: colors[i] } })),
    label: {
      show: true,
      position: 'top',
      formatter: (p) => (p.value === null ? '—' : fmt(p.value)),
      color: '#1d2733',
    },
  });
  draw(
    'chart-lift',
    {
      grid: [
        { ...GRID, top: 28, right: '54%' },
        { ...GRID, top: 28, left: '54%' },
      ],
      title: [
        {
          text: 'Offer acceptance',
          left: '22%',
          top: 0,
          textAlign: 'center',
          textStyle: { fontSize: 13, fontWeight: 'normal' },
        },
        {
          text: 'Net value per contact',
          left: '77%',
          top: 0,
          textAlign: 'center',
          textStyle: { fontSize: 13, fontWeight: 'normal' },
        },
      ],
      tooltip: { trigger: 'item' },
      xAxis: [
        { type: 'category', gridIndex: 0, data: policies, axisLabel: { lineHeight: 16, interval: 0 } },
        { type: 'category', gridIndex: 1, data: policies, axisLabel: { lineHeight: 16, interval: 0 } },
      ],
      yAxis: [
        {
          type: 'value',
          gridIndex: 0,
          min: 0,
          max: 100,
          interval: 25,
          name: 'Accepted (%)',
          nameGap: 40,
          ...AXIS_NAME,
          axisLabel: { formatter: '{value} %' },
        },
        {
          type: 'value',
          gridIndex: 1,
          name: `Per contact (${currency})`,
          nameGap: 48,
          ...AXIS_NAME,
          axisLabel: { formatter: (v) => compact.format(v) },
        },
      ],
      series: [
        bar(
          [a.learning, a.control].map((x) => (x === null ? null : x * 100)),
          0,
          0,
          (v) => `${v.toFixed(1)} %`,
        ),
        bar([n.learning, n.control], 1, 1, (v) => moneyFmt.format(v)),
      ],
    },
    L.contacts + C.contacts === 0 ? EMPTY_RANGE : undefined,
  );
}

function latencyChart(metrics) {
  const rows = metrics.latency.filter((r) => r.count > 0);
  const cats = rows.map((r) => `${r.channel} · ${r.action}`);
  const series = [
    ['p50', 'p50', COLORS.teal],
    ['p95', 'p95', COLORS.orange],
    ['p99', 'p99', COLORS.red],
  ].map(([name, key, color]) => ({
    name,
    type: 'bar',
    data: rows.map((r) => r[key]),
    itemStyle: { color },
    barMaxWidth: 16,
  }));
  draw(
    'chart-latency',
    {
      grid: GRID,
      legend: { ...LEGEND, data: ['p50', 'p95', 'p99'] },
      tooltip: {
        trigger: 'axis',
        formatter: (ps) => {
          const r = rows[ps[0].dataIndex];
          return tooltipLines(cats[ps[0].dataIndex], [
            ['Turns', count.format(r.count)],
            ['p50', `${r.p50} ms`],
            ['p95', `${r.p95} ms`],
            ['p99', `${r.p99} ms`],
            ['max', `${r.max} ms`],
          ]);
        },
      },
      xAxis: { type: 'category', data: cats, name: 'Channel · action', nameGap: 26, ...AXIS_NAME },
      yAxis: {
        type: 'value',
        min: 0,
        name: 'Turn latency (ms)',
        nameGap: 40,
        ...AXIS_NAME,
        axisLabel: { formatter: '{value} ms' },
      },
      series,
    },
    rows.length === 0 ? EMPTY_SINCE : undefined,
  );
}

/** Every active strategy's funnel, one bar per stage, grouped by strategy (first stage on top). */
function strategiesChart(funnels) {
  const rows = funnels.flatMap((f) =>
    f.stages.map((s) => ({
      strategy: f.name,
      label: `${f.strategyId} · ${s.stageId}`,
      title: `${f.name}: ${s.name}`,
      key: `${f.strategyId}/${s.stageId}`,
      accounts: s.accounts,
    })),
  );
  const shown = rows.slice().reverse();
  const palette = [COLORS.blue, COLORS.teal, COLORS.orange, COLORS.purple, COLORS.green];
  const colorOf = new Map(funnels.map((f, i) => [f.name, palette[i % palette.length]]));
  const total = rows.reduce((n, r) => n + r.accounts, 0);
  const placing = funnels.filter((f) => f.placing && !f.placing.complete).length;
  $('strategies-caption').textContent = placing
    ? `Placing the portfolio (${placing} strategies not complete): the counts grow until it is done.`
    : 'Accounts placed at each stage now, per active strategy (exact: counted with each placement).';
  draw(
    'chart-strategies',
    {
      grid: { ...GRID, top: 16, right: 48, left: 8 },
      tooltip: {
        trigger: 'item',
        formatter: (p) => tooltipLines(shown[p.dataIndex].title, [['Accounts', count.format(p.value)]]),
      },
      xAxis: {
        type: 'value',
        min: 0,
        minInterval: 1,
        name: 'Accounts at the stage',
        nameGap: 26,
        ...AXIS_NAME,
      },
      yAxis: {
        type: 'category',
        data: shown.map((r) => r.key),
        axisLabel: {
          formatter: (k) => rows.find((r) => r.key === k)?.label ?? k,
          width: 260,
          overflow: 'truncate',
        },
      },
      series: [
        {
          name: 'Accounts',
          type: 'bar',
          barMaxWidth: 14,
          data: shown.map((r) => ({ value: r.accounts, itemStyle: { color: colorOf.get(r.strategy) } })),
          label: { show: true, position: 'right', color: '#1d2733' },
        },
      ],
    },
    total === 0 ? 'No account is placed in a strategy yet.' : undefined,
  );
}

async function strategyFunnels() {
  const list = await getJson('/v1/admin/strategies');
  const active = list.strategies.filter((s) => s.active);
  return Promise.all(
    active.map(async (s) => ({
      ...(await getJson(`/v1/admin/strategies/${encodeURIComponent(s.strategyId)}/funnel`)),
      name: s.name,
    })),
  );
}

async function refresh() {
  const range = { from: $('from').value, to: $('to').value };
  if (!sessionStorage.getItem(TOKEN_KEY)) {
    $('token-form').hidden = false;
    setStatus('Paste an admin token to see the report.');
    return;
  }
  setStatus('Loading…');
  document.body.dataset.state = 'loading';
  const q = (groupBy) =>
    `/v1/admin/reports/kpis?from=${encodeURIComponent(range.from)}&to=${encodeURIComponent(range.to)}&groupBy=${groupBy}`;
  try {
    const [byDay, byOffer, metrics, funnels] = await Promise.all([
      getJson(q('day')),
      getJson(q('offer')),
      getJson('/ops/metrics.json'),
      strategyFunnels(),
    ]);
    currency = /^[A-Z]{3}$/.test(byDay.currency) ? byDay.currency : 'USD';
    moneyFmt = money(currency);
    $('since').textContent = `since ${String(metrics.since).slice(0, 16).replace('T', ' ')} UTC`;
    tiles(byDay);
    saveRateChart(byDay, range);
    acceptanceChart(byOffer);
    spendChart(byDay, range);
    funnelChart(metrics);
    liftChart(byDay);
    latencyChart(metrics);
    strategiesChart(funnels);
    $('token-form').hidden = true;
    setStatus(
      `${byDay.from} to ${byDay.to}, amounts in ${currency}. Updated ${new Date().toISOString().slice(11, 19)} UTC.`,
    );
    document.body.dataset.state = 'ready';
  } catch (e) {
    if (e instanceof HttpProblem && (e.status === 401 || e.status === 403)) {
      sessionStorage.removeItem(TOKEN_KEY);
      $('token-form').hidden = false;
    }
    setStatus(e instanceof Error ? e.message : String(e), true);
    document.body.dataset.state = 'error';
  }
}

function init() {
  const today = new Date().toISOString().slice(0, 10);
  const start = new Date();
  start.setUTCDate(start.getUTCDate() - 13);
  $('from').value = start.toISOString().slice(0, 10);
  $('to').value = today;
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('token').value.trim();
    $('token').value = '';
    if (t) sessionStorage.setItem(TOKEN_KEY, t);
    refresh();
  });
  $('range-form').addEventListener('submit', (e) => {
    e.preventDefault();
    refresh();
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $('token-form').hidden = false;
    setStatus('Token forgotten.');
  });
  refresh();
}
init();
