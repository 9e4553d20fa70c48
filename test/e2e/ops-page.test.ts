import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { haveChromium, launchChromium } from '../fakes/browser';
import { localClient, tokenOf } from '../fakes/local-client';

/**
 * The /ops page in headless Chromium against the local stack: the KPI report's figures and the
 * stack's own metrics drawn with the ECharts the server serves, after calls played over the HTTP
 * API with known endings. The charts' data is read back from ECharts (getOption) and compared with
 * the report API's answer and with the calls played. Keeps a screenshot in .artifacts/ops-page.png;
 * with RD_UPDATE_SCREENSHOT=1, the README's test/bench/results/ops-page.png.
 */
/** The committed screenshot is refreshed on request; a plain run leaves the tree clean (.artifacts is ignored). */
const SCREENSHOT = process.env.RD_UPDATE_SCREENSHOT
  ? resolve(import.meta.dirname, '../bench/results/ops-page.png')
  : resolve(import.meta.dirname, '../../.artifacts/ops-page.png');
const CHARTS = [
  'chart-save-rate',
  'chart-acceptance',
  'chart-spend',
  'chart-funnel',
  'chart-lift',
  'chart-latency',
  'chart-strategies',
] as const;

type Json = Record<string, any>;
let stack: LocalStack;
let browser: Browser;
const { http } = localClient(() => stack, '');
beforeAll(async () => {
  if (!haveChromium) return;
  stack = await startLocalStack({ port: 0, accounts: 0 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/** What a page did: every request it made, its console errors and uncaught exceptions. */
async function openOps(token: string | null) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${stack.url}/ops`);
  if (token) {
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Use token' }).click();
  }
  return { page, requests, errors };
}
const settled = (page: Page) =>
  page.waitForFunction(() =>
    ['ready', 'error'].includes((globalThis as any).document.body.dataset.state ?? ''),
  );
/** A chart's option as ECharts holds it (series data, axes), read in the page. */
const optionOf = (page: Page, id: string) =>
  page.evaluate(
    (el) =>
      (globalThis as any).echarts
        .getInstanceByDom((globalThis as any).document.getElementById(el))
        ?.getOption() ?? null,
    id,
  ) as Promise<Json | null>;
const stateOf = (page: Page, id: string) => page.locator(`#${id}`).getAttribute('data-state');
const opsToken = () => tokenOf(stack, ['ops'], 'ops-page-test');

/** Every request of the page went to this server (the page, its script, ECharts, the APIs). */
function expectLoopbackOnly(requests: string[]) {
  expect(requests.length).toBeGreaterThan(3);
  for (const r of requests) expect(r.startsWith(`${stack.url}/`) || r.startsWith('data:'), r).toBe(true);
}

/** The stages the played contacts entered, by their stored histories: what the funnel must show. */
const entered = new Map<string, number>();
/** A contact of the agent desk from start to its ending; returns its final stage. */
async function play(phone: string, answers: 'accept-first' | 'decline-then-accept' | 'decline-all' | 'none') {
  const p = stack.personas.find((x) => x.persona.phone === phone)?.persona;
  const c = await http('POST', '/v1/contacts', {
    channel: 'agent',
    callType: 'CLOSE_ACCOUNT',
    callerPhone: phone,
  });
  expect(c.status, JSON.stringify(c.json)).toBe(201);
  const id = c.json.contactId as string;
  if (p && c.json.stage === 'VERIFY') {
    const v = await http('POST', `/v1/contacts/${id}/verification`, {
      last4: p.last4,
      zip: p.zip,
      dob: p.dob,
    });
    expect(v.status).toBe(200);
  }
  if (answers !== 'none') {
    let offers = await http('GET', `/v1/contacts/${id}/offers`);
    for (let n = 0; offers.status === 200 && offers.json.offers.length > 0 && n < 12; n++) {
      const accept =
        answers === 'accept-first' ? n === 0 : answers === 'decline-then-accept' ? n === 1 : false;
      offers = await http('POST', `/v1/contacts/${id}/responses`, {
        offerId: offers.json.offers[0].offerId,
        response: accept ? 'ACCEPTED' : 'DECLINED',
      });
      expect(offers.status).toBe(200);
      if (accept) break;
    }
  }
  const final = (await http('GET', `/v1/contacts/${id}`)).json;
  for (const h of final.history as { stage: string }[]) entered.set(h.stage, (entered.get(h.stage) ?? 0) + 1);
  return final.stage as string;
}

describe.skipIf(!haveChromium)('the ops page (headless Chromium, local stack)', () => {
  it('asks for a token first, and with one and no contacts yet says so on every chart, with no error', async () => {
    const { page, requests, errors } = await openOps(null);
    await expect(page.getByLabel('Admin token').isVisible()).resolves.toBe(true);
    await expect(page.locator('#status').textContent()).resolves.toMatch(/Paste an admin token/);
    await page.getByLabel('Admin token').fill(await opsToken());
    await page.getByRole('button', { name: 'Use token' }).click();
    await settled(page);
    await expect(page.locator('#status').textContent()).resolves.not.toMatch(/^\d{3} /);
    for (const id of CHARTS) await expect(stateOf(page, id), id).resolves.toBe('empty');
    const empties = await page.locator('.empty:not([hidden])').allTextContents();
    expect(empties.filter((t) => t === 'no contacts in this range yet')).toHaveLength(4);
    expect(empties.filter((t) => t === 'no contacts since the stack started yet')).toHaveLength(2);
    await expect(page.locator('#t-contacts').textContent()).resolves.toBe('0');
    await expect(page.locator('#t-save-rate').textContent()).resolves.toBe('—');
    // The token is kept in the tab, not in a cookie or localStorage.
    await expect(
      page.evaluate(() => [(globalThis as any).document.cookie, localStorage.length]),
    ).resolves.toEqual(['', 0]);
    expect(errors).toEqual([]);
    expectLoopbackOnly(requests);
    await page.close();
  });

  it('a token without the role is refused by the metrics too (403 naming the roles), and the page asks again', async () => {
    const agent = await tokenOf(stack, ['agent'], 'ops-page-agent');
    const r = await fetch(`${stack.url}/ops/metrics.json`, { headers: { authorization: `Bearer ${agent}` } });
    expect(r.status).toBe(403);
    expect(((await r.json()) as Json).requiredRoles).toEqual(['productOwner', 'ops']);
    expect((await fetch(`${stack.url}/ops/metrics.json`)).status).toBe(401);
    const { page } = await openOps(agent);
    await settled(page);
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^403 /);
    await expect(page.getByLabel('Admin token').isVisible()).resolves.toBe(true);
    await page.close();
  });

  it('after scripted calls, every chart shows the report API’s figures and the calls’ stages', async () => {
    const P = (i: number) => stack.personas[i]!.persona.phone;
    const endings = [
      await play(P(0), 'accept-first'),
      await play(P(7), 'decline-then-accept'),
      await play(P(1), 'decline-all'),
      await play(P(4), 'decline-all'),
      await play('+15555550999', 'none'),
    ];
    expect(endings).toEqual(['RETAINED', 'RETAINED', 'CLOSED', 'CLOSED', 'UNIDENTIFIED']);

    // The offer log reaches the report through its stream, as on AWS: wait until it is counted.
    await stack.streams.drain();
    // The portfolio placed by the strategies (as after an activation), so their funnels have accounts.
    const placing = await http('POST', '/v1/admin/strategies/placement', undefined, {
      authorization: `Bearer ${await opsToken()}`,
    });
    expect(placing.status).toBe(202);
    const funnelOf = async (id: string) =>
      (
        await http('GET', `/v1/admin/strategies/${id}/funnel`, undefined, {
          authorization: `Bearer ${await opsToken()}`,
        })
      ).json;
    await expect
      .poll(async () => (await funnelOf('vip-service')).placing.complete, { timeout: 20_000 })
      .toBe(true);
    const { page, requests, errors } = await openOps(await opsToken());
    await settled(page);
    const range = { from: daysAgo(13), to: today() };
    const report = async (groupBy: string) => {
      const r = await http(
        'GET',
        `/v1/admin/reports/kpis?from=${range.from}&to=${range.to}&groupBy=${groupBy}`,
        undefined,
        {
          authorization: `Bearer ${await opsToken()}`,
        },
      );
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return r.json;
    };
    const byDay = await report('day');
    const byOffer = await report('offer');
    // The report counts what was played: the 4 closing contacts that reached offers (the unidentified
    // caller never did), 2 saved, each by one accept.
    expect(byDay.totals).toMatchObject({ contacts: 4, closingContacts: 4, saves: 2, accepts: 2 });
    const currency = byDay.currency ?? 'USD';

    for (const id of CHARTS) await expect(stateOf(page, id), id).resolves.toBe('drawn');
    // The strategies' funnels: every stage's bar is the funnel endpoint's count.
    const strategies = (await optionOf(page, 'chart-strategies'))!;
    const bars = new Map<string, number>(
      (strategies.yAxis[0].data as string[]).map((k, i) => [k, strategies.series[0].data[i].value]),
    );
    let placed = 0;
    for (const id of [
      'at-risk-retention',
      'savings-cross-sell',
      'vip-service',
      'early-collections',
      'travel-card-telemarketing',
    ])
      for (const s of (await funnelOf(id)).stages as Json[]) {
        expect(bars.get(`${id}/${s.stageId}`), `${id}/${s.stageId}`).toBe(s.accounts);
        placed += s.accounts;
      }
    expect(placed).toBeGreaterThan(0);
    const todayRow = byDay.rows.find((r: Json) => r.key.day === today());

    const save = (await optionOf(page, 'chart-save-rate'))!;
    expect(save.xAxis[0].data).toHaveLength(14);
    expect(save.xAxis[0].data.at(-1)).toBe(today());
    const rate = save.series.find((s: Json) => s.name === 'Save rate').data;
    expect(rate.at(-1)).toBeCloseTo(todayRow.saveRate * 100, 6);
    expect(rate.slice(0, -1).every((v: unknown) => v === null)).toBe(true);
    expect(save.series.find((s: Json) => s.name === 'Closing contacts').data.at(-1)).toBe(
      todayRow.closingContacts,
    );
    expect(save.yAxis[0]).toMatchObject({ name: 'Save rate (%)', min: 0, max: 100 });

    const acc = (await optionOf(page, 'chart-acceptance'))!;
    const offered = byOffer.rows.filter((r: Json) => r.presentations > 0);
    const byId = new Map(offered.map((r: Json) => [r.key.offer, r]));
    expect([...acc.yAxis[0].data].sort()).toEqual([...byId.keys()].sort());
    for (const [i, offer] of (acc.yAxis[0].data as string[]).entries())
      expect(acc.series[0].data[i]).toBeCloseTo((byId.get(offer) as Json).acceptanceRate * 100, 6);

    const spend = (await optionOf(page, 'chart-spend'))!;
    const series = (name: string) => spend.series.find((s: Json) => s.name === name).data.at(-1);
    expect(series('Incentive spend')).toBeCloseTo(todayRow.incentiveSpend, 6);
    expect(series('Customer value kept')).toBeCloseTo(todayRow.valueKept, 6);
    expect(spend.yAxis[0].name).toBe(`Amount (${currency})`);
    await expect(page.locator('#t-spend').textContent()).resolves.toBe(
      new Intl.NumberFormat('en-US', {
        style: 'currency',
        currency,
        maximumFractionDigits: 0,
      }).format(byDay.totals.incentiveSpend),
    );

    // The funnel: the stages the five calls entered, from the functions' own metrics.
    const funnel = (await optionOf(page, 'chart-funnel'))!;
    const stage = (s: string) => funnel.series[0].data[funnel.yAxis[0].data.indexOf(s)].value;
    expect([stage('RETAINED'), stage('CLOSED'), stage('UNIDENTIFIED')]).toEqual([2, 2, 1]);
    for (const s of funnel.yAxis[0].data as string[]) expect(stage(s), s).toBe(entered.get(s) ?? 0);
    expect(stack.opsMetrics.snapshot().stages).toMatchObject({ RETAINED: 2, CLOSED: 2, UNIDENTIFIED: 1 });

    const lift = (await optionOf(page, 'chart-lift'))!;
    const pctOrNull = (x: number | null) => (x === null ? null : x * 100);
    expect(lift.series[0].data.map((d: Json) => d.value)).toEqual([
      pctOrNull(byDay.lift.acceptance.learning),
      pctOrNull(byDay.lift.acceptance.control),
    ]);
    expect(lift.series[1].data.map((d: Json) => d.value)).toEqual([
      byDay.lift.netValuePerContact.learning,
      byDay.lift.netValuePerContact.control,
    ]);

    // Latency: one row per channel and action played (agent: start, verify, offers, respond, get).
    const lat = (await optionOf(page, 'chart-latency'))!;
    expect(lat.xAxis[0].data).toEqual(
      expect.arrayContaining(['agent · start', 'agent · verify', 'agent · respond']),
    );
    const metrics = stack.opsMetrics.snapshot();
    const start = metrics.latency.find((r) => r.channel === 'agent' && r.action === 'start')!;
    expect(start.count).toBe(5);
    expect(
      lat.series.find((s: Json) => s.name === 'p99').data[lat.xAxis[0].data.indexOf('agent · start')],
    ).toBe(start.p99);

    expect(errors).toEqual([]);
    expectLoopbackOnly(requests);
    mkdirSync(resolve(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });

  it('a range the report refuses is shown as its 400, naming the field, and the charts stay as they were', async () => {
    const { page, errors } = await openOps(await opsToken());
    await settled(page);
    await page.getByLabel('From').fill(today());
    await page.getByLabel('to', { exact: true }).fill(daysAgo(3));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForFunction(() => (globalThis as any).document.body.dataset.state === 'error');
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^400 .*query\.from: .*after/);
    await expect(page.getByLabel('Admin token').isVisible()).resolves.toBe(false);
    for (const id of CHARTS) await expect(stateOf(page, id), id).resolves.toBe('drawn');
    // The browser logs the refused request itself; nothing else went wrong.
    expect(errors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    await page.close();
  });

  it('strings from the report reach the page as text: a hostile offer id is shown, never run', async () => {
    const row = (over: Json = {}) => ({
      contacts: 1,
      closingContacts: 1,
      saves: 0,
      saveRate: 0,
      presentations: 1,
      accepts: 0,
      declines: 1,
      acceptanceRate: 0,
      incentiveSpend: 0,
      valueKept: 0,
      netValue: 0,
      ...over,
    });
    const hostile = '<img src=x onerror="window.__pwned=1">';
    const { page, errors } = await openOps(null);
    await page.route('**/v1/admin/reports/kpis**', (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          from: daysAgo(13),
          to: today(),
          groupBy: ['offer'],
          currency: 'EUR',
          totals: row(),
          rows: [{ key: { offer: hostile, day: today() }, ...row() }],
          lift: {
            learning: row(),
            control: row({ contacts: 0 }),
            netValuePerContact: {
              learning: 0,
              control: 0,
              difference: null,
              low: null,
              high: null,
              method: 'x',
            },
            acceptance: { learning: 0, control: null, difference: null, low: null, high: null, method: 'x' },
          },
        }),
      }),
    );
    await page.getByLabel('Admin token').fill(await opsToken());
    await page.getByRole('button', { name: 'Use token' }).click();
    await settled(page);
    const acc = (await optionOf(page, 'chart-acceptance'))!;
    expect(acc.yAxis[0].data).toEqual([hostile]);
    // The tooltip is HTML: shown for the hostile row, it holds the id as text.
    await page.evaluate(() =>
      (globalThis as any).echarts
        .getInstanceByDom((globalThis as any).document.getElementById('chart-acceptance'))
        .dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 }),
    );
    await expect.poll(() => page.locator('#chart-acceptance').textContent()).toContain(hostile);
    await expect(page.locator('img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (globalThis as any).__pwned)).resolves.toBeUndefined();
    // Money in the report's currency.
    expect((await optionOf(page, 'chart-spend'))!.yAxis[0].name).toBe('Amount (EUR)');
    expect(errors).toEqual([]);
    await page.close();
  });
});
