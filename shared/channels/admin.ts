import { type AdminDeps, applyAccountEvents, dryRunAccount, tagAccounts } from '../application/admin';
import { eraseAccount } from '../application/erasure';
import { importBatch } from '../application/import';
import { KILL_SWITCH_EFFECT_SECONDS, setKillSwitch } from '../application/kill-switch';
import { kpiReportFrom, readKpiQuery } from '../application/kpis';
import { PORTFOLIO_SEGMENTS } from '../application/portfolio';
import { placerOf, simulateStrategies } from '../application/strategies';
import { zodErrors } from '../application/validation';
import { actedBy } from '../domain/authority';
import type { Account } from '../schemas/account';
import { AccountIdSchema } from '../schemas/account';
import {
  ADMIN_ROUTES,
  DryRunBodySchema,
  EmptyBodySchema,
  KillSwitchBodySchema,
  MAX_ADMIN_BODY_BYTES,
  SimulationBodySchema,
  StrategyIdParamSchema,
  TagBodySchema,
  VersionParamSchema,
} from '../schemas/admin';
import { DecisionConfigSchema } from '../schemas/config';
import { EventBatchSchema, ImportBatchSchema } from '../schemas/import';
import { authorize } from './authz';
import { type HttpRequest, type HttpResponse, invalid, json, parseBody, problemResponse } from './http';

const notFound = (what: string) => problemResponse(404, 'not-found', 'Not found', what);

/** Starts the portfolio's placement; a failure to start is reported, never fails what came before. */
async function startPlacement(deps: AdminDeps, cause: string): Promise<'started' | 'not started'> {
  if (!deps.placement) return 'not started';
  try {
    await deps.placement.start(cause);
    return 'started';
  } catch {
    return 'not started';
  }
}

/**
 * The admin API over HTTP: configuration versions (validated on write, immutable, activated in one
 * write), a dry-run of the decision for an account ("why this offer"), tags, imports, events and
 * erasure. Who may is checked first; bad input is a 4xx naming the field; an invalid configuration
 * changes nothing. The use cases are in shared/application (admin, import, erasure).
 */
export async function handleAdmin(req: HttpRequest, deps: AdminDeps, now: string): Promise<HttpResponse> {
  const route = ADMIN_ROUTES.find(
    (r) => r.resource === req.resource && r.method === req.httpMethod.toUpperCase(),
  );
  if (!route)
    return problemResponse(
      405,
      'method-not-allowed',
      'Method not allowed',
      `${req.httpMethod} is not served on ${req.resource}.`,
    );
  const auth = authorize(req, route.action);
  if (!auth.ok) return auth.response;
  const by = actedBy(auth.actor);
  let version: string | undefined;
  if (route.resource.includes('{version}')) {
    const v = VersionParamSchema.safeParse(req.pathParameters?.version);
    if (!v.success) return invalid(zodErrors(v.error, 'version'));
    version = v.data;
  }
  switch (route.action) {
    case 'getActive': {
      const a = await deps.configs.active();
      return a ? json(200, a) : notFound('No configuration is active yet.');
    }
    case 'listVersions': {
      const [versions, active] = await Promise.all([deps.configs.list(), deps.configs.active()]);
      return json(200, { active: active?.version ?? null, versions });
    }
    case 'getVersion': {
      const v = await deps.configs.get(version!);
      return v ? json(200, v) : notFound(`No configuration version ${version}.`);
    }
    case 'validate': {
      const b = parseBody(req, DecisionConfigSchema, MAX_ADMIN_BODY_BYTES);
      if (!b.ok) return b.response;
      return json(200, { valid: true, version: b.value.version, offers: b.value.offers.length });
    }
    case 'createVersion': {
      const b = parseBody(req, DecisionConfigSchema, MAX_ADMIN_BODY_BYTES);
      if (!b.ok) return b.response;
      const r = await deps.configs.create(b.value, now, by);
      if (r === 'exists')
        return problemResponse(
          409,
          'version-exists',
          'Version exists',
          `Version ${b.value.version} exists; versions never change: give a new version.`,
        );
      return json(
        201,
        { version: b.value.version, createdAt: now, createdBy: by },
        { location: `/v1/admin/config/versions/${b.value.version}` },
      );
    }
    case 'activate': {
      const r = await deps.configs.activate(version!, now, by);
      if (r === 'missing') return notFound(`No configuration version ${version}.`);
      // The version's strategies place the whole portfolio (the backfill); the funnel tells how far.
      return json(200, {
        active: version,
        activatedAt: now,
        activatedBy: by,
        placement: await startPlacement(deps, 'ACTIVATION'),
      });
    }
    case 'simulateStrategies': {
      const b = parseBody(req, SimulationBodySchema, MAX_ADMIN_BODY_BYTES);
      if (!b.ok) return b.response;
      const config = b.value.config ?? (await deps.configs.get(b.value.version!))?.config;
      if (!config) return notFound(`No configuration version ${b.value.version}.`);
      if (!deps.portfolio)
        return problemResponse(
          503,
          'unavailable',
          'Simulation unavailable',
          'No portfolio store configured.',
        );
      const want = b.value.sample ?? 5000;
      const accounts: Account[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await deps.portfolio.scanAccounts(0, 1, start);
        accounts.push(...page.accounts.slice(0, want - accounts.length));
        start = page.next;
      } while (start && accounts.length < want);
      return json(200, simulateStrategies(accounts, config, now, b.value.days ?? 30));
    }
    case 'placePortfolio': {
      if ((req.body ?? '').trim() !== '') {
        const b = parseBody(req, EmptyBodySchema);
        if (!b.ok) return b.response;
      }
      const placement = await startPlacement(deps, 'ACTIVATION');
      return json(placement === 'started' ? 202 : 503, { placement });
    }
    case 'tag': {
      const b = parseBody(req, TagBodySchema, MAX_ADMIN_BODY_BYTES);
      if (!b.ok) return b.response;
      const { tag, remove } = b.value;
      const { done, unknown } = await tagAccounts(deps, b.value, by, now);
      return json(200, {
        tag,
        [remove ? 'untagged' : 'tagged']: done,
        unknownAccounts: unknown,
        changedBy: by,
      });
    }
    case 'importAccounts': {
      const b = parseBody(req, ImportBatchSchema, MAX_ADMIN_BODY_BYTES);
      if (!b.ok) return b.response;
      if (!deps.importer)
        return problemResponse(503, 'unavailable', 'Import unavailable', 'No importer configured.');
      const { store, salt } = deps.importer;
      const pepper = await deps.importer.pepper();
      const active = await deps.configs.active();
      return json(
        200,
        await importBatch(b.value.records, b.value.firstLine ?? 1, {
          store,
          salt,
          pepper,
          ...(active ? { placer: placerOf(active.config) } : {}),
        }),
      );
    }
    case 'accountEvents': {
      const b = parseBody(req, EventBatchSchema, MAX_ADMIN_BODY_BYTES);
      if (!b.ok) return b.response;
      if (!deps.importer)
        return problemResponse(503, 'unavailable', 'Events unavailable', 'No importer configured.');
      const active = await deps.configs.active();
      const results = await applyAccountEvents(
        b.value.events,
        deps.importer.store,
        active ? placerOf(active.config) : undefined,
        deps.stageLog,
      );
      return json(200, { results });
    }
    case 'eraseAccount': {
      const id = AccountIdSchema.safeParse(req.pathParameters?.accountId);
      if (!id.success) return invalid(zodErrors(id.error, 'accountId'));
      if ((req.body ?? '').trim() !== '') {
        const b = parseBody(req, EmptyBodySchema);
        if (!b.ok) return b.response;
      }
      if (!deps.erasure)
        return problemResponse(503, 'unavailable', 'Erasure unavailable', 'No erasure store configured.');
      const r = await eraseAccount(id.data, by, now, deps.erasure);
      // Unknown, or never held here: nothing was changed and nothing is recorded.
      return r.kind === 'unknown-account' ? notFound(`No account ${id.data}.`) : json(200, r.body);
    }
    case 'getKillSwitch': {
      const a = await deps.configs.active();
      if (!a) return notFound('No configuration is active yet.');
      const ks = a.config.killSwitch;
      return json(200, { on: ks !== undefined, version: a.version, ...(ks ? { killSwitch: ks } : {}) });
    }
    case 'setKillSwitch': {
      const b = parseBody(req, KillSwitchBodySchema);
      if (!b.ok) return b.response;
      const r = await setKillSwitch(deps, b.value, by, now);
      if (r.kind === 'no-config') return notFound('No configuration is active yet.');
      if (r.kind === 'conflict')
        return problemResponse(
          409,
          'concurrent-update',
          'Concurrent change',
          'Another change won; read the state and retry.',
        );
      const { kind, ...body } = r;
      return json(200, {
        ...body,
        changed: kind === 'switched',
        effectiveWithinSeconds: KILL_SWITCH_EFFECT_SECONDS,
      });
    }
    case 'kpiReport': {
      const q = readKpiQuery(req.queryStringParameters, req.multiValueQueryStringParameters, now);
      if (!q.ok) return invalid(q.errors);
      if (!deps.kpis)
        return problemResponse(503, 'unavailable', 'Reports unavailable', 'No KPI store configured.');
      return json(200, await kpiReportFrom(deps.kpis, q));
    }
    case 'listStrategies': {
      const a = await deps.configs.active();
      if (!a) return notFound('No configuration is active yet.');
      return json(200, {
        configVersion: a.version,
        strategies: (a.config.strategies ?? []).map((s) => ({
          strategyId: s.strategyId,
          version: s.version,
          kind: s.kind,
          name: s.name,
          active: s.active,
          stages: s.stages.map((st) => ({ stageId: st.stageId, name: st.name })),
        })),
      });
    }
    case 'strategyFunnel': {
      const id = StrategyIdParamSchema.safeParse(req.pathParameters?.strategyId);
      if (!id.success) return invalid(zodErrors(id.error, 'strategyId'));
      const a = await deps.configs.active();
      const s = a?.config.strategies?.find((x) => x.strategyId === id.data);
      if (!a || !s) return notFound(`No strategy ${id.data} in the active configuration.`);
      if (!deps.funnels)
        return problemResponse(503, 'unavailable', 'Funnels unavailable', 'No funnel store configured.');
      const [counts, progress] = await Promise.all([
        deps.funnels.counts(s.strategyId, s.version),
        deps.funnels.progress(a.version, PORTFOLIO_SEGMENTS),
      ]);
      const done = progress.filter((p) => p.done).length;
      return json(200, {
        strategyId: s.strategyId,
        version: s.version,
        active: s.active,
        asOf: now,
        // The last placement of the whole portfolio by this configuration version: until every
        // segment is done, accounts not yet reached are missing from the stages.
        placing: {
          configVersion: a.version,
          segments: PORTFOLIO_SEGMENTS,
          done,
          scanned: progress.reduce((n, p) => n + p.scanned, 0),
          complete: done === PORTFOLIO_SEGMENTS,
          ...(progress.length
            ? {
                updatedAt: progress
                  .map((p) => p.updatedAt)
                  .sort()
                  .at(-1),
              }
            : {}),
        },
        stages: s.stages.map((st) => ({
          stageId: st.stageId,
          name: st.name,
          accounts: counts[st.stageId] ?? 0,
        })),
      });
    }
    case 'dryRun': {
      const b = parseBody(req, DryRunBodySchema);
      if (!b.ok) return b.response;
      const r = await dryRunAccount(deps, b.value.accountId, b.value.callType, now);
      if (r.kind === 'no-account') return notFound(`No account ${b.value.accountId}.`);
      if (r.kind === 'no-config') return notFound('No configuration is active yet.');
      return json(200, r.result);
    }
  }
}
