import { type AdminDeps, applyAccountEvents, dryRunAccount, tagAccounts } from '../application/admin';
import { eraseAccount } from '../application/erasure';
import {
  activateNow,
  approveVersion,
  cancelActivation,
  createVersion,
  rollback,
  scheduleActivation,
  startPlacement,
} from '../application/governance';
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
import { ActivationBodySchema, AuditQuerySchema, type PendingActivation } from '../schemas/governance';
import { EventBatchSchema, ImportBatchSchema } from '../schemas/import';
import { authorize } from './authz';
import { type HttpRequest, type HttpResponse, invalid, json, parseBody, problemResponse } from './http';

const notFound = (what: string) => problemResponse(404, 'not-found', 'Not found', what);
const notApproved = (version: string) =>
  problemResponse(
    409,
    'not-approved',
    'Version not approved',
    `Four eyes: version ${version} is not approved; a product owner other than its author approves it first (POST /v1/admin/config/versions/${version}/approval).`,
  );
const alreadyActive = (version: string) =>
  problemResponse(
    409,
    'already-active',
    'Version already active',
    `Version ${version} is the active version.`,
  );
const pendingProblem = (pending: PendingActivation, detail: string) =>
  problemResponse(409, 'activation-pending', 'An activation is pending', detail, {
    pendingActivation: pending,
  });
const concurrent = () =>
  problemResponse(
    409,
    'concurrent-update',
    'Concurrent change',
    'Another change won; read the state and retry.',
  );
/** A bodyless request: no body, or only white space (`{}` is parsed, anything else refused by name). */
const emptyBody = (req: HttpRequest) => (req.body ?? '').trim() === '';

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
      const [versions, active, pending] = await Promise.all([
        deps.configs.list(),
        deps.configs.active(),
        deps.configs.pending(),
      ]);
      return json(200, {
        active: active?.version ?? null,
        // The rollback stack, newest (the active version) last: a rollback makes the one before it active.
        history: active?.history ?? [],
        pendingActivation: pending ?? null,
        versions: versions.map((v) =>
          pending?.version === v.version ? { ...v, pendingActivation: pending } : v,
        ),
      });
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
      const r = await createVersion(deps.configs, b.value, by, now);
      if (r === 'exists')
        return problemResponse(
          409,
          'version-exists',
          'Version exists',
          `Version ${b.value.version} exists; versions never change: give a new version.`,
        );
      return json(
        201,
        { version: b.value.version, createdAt: now, createdBy: by, approved: false },
        { location: `/v1/admin/config/versions/${b.value.version}` },
      );
    }
    case 'approve': {
      if (!emptyBody(req)) {
        const b = parseBody(req, EmptyBodySchema);
        if (!b.ok) return b.response;
      }
      const r = await approveVersion(deps.configs, version!, by, now);
      switch (r.kind) {
        case 'missing':
          return notFound(`No configuration version ${version}.`);
        case 'own-version':
          return problemResponse(
            403,
            'own-version',
            'Not your own version',
            `Four eyes: version ${version} was created by ${r.createdBy?.username ?? 'you'}; another product owner approves it.`,
            r.createdBy ? { createdBy: r.createdBy } : {},
          );
        case 'already-approved':
          return problemResponse(
            409,
            'already-approved',
            'Version already approved',
            `Version ${version} was approved${r.approvedBy ? ` by ${r.approvedBy.username}` : ''} at ${r.approvedAt}.`,
            { approvedAt: r.approvedAt, ...(r.approvedBy ? { approvedBy: r.approvedBy } : {}) },
          );
        case 'approved': {
          const { kind: _k, ...body } = r;
          return json(200, body);
        }
      }
      break;
    }
    case 'activate': {
      let at: string | undefined;
      if (!emptyBody(req)) {
        const b = parseBody(req, ActivationBodySchema);
        if (!b.ok) return b.response;
        at = b.value.at;
      }
      if (at !== undefined) {
        const r = await scheduleActivation(deps.configs, version!, at, by, now);
        switch (r.kind) {
          case 'bad-time':
            return invalid([{ path: 'at', message: r.message }]);
          case 'missing':
            return notFound(`No configuration version ${version}.`);
          case 'unapproved':
            return notApproved(version!);
          case 'already-active':
            return alreadyActive(version!);
          case 'exists':
            return pendingProblem(
              r.pending,
              `Version ${r.pending.version} is already scheduled for ${r.pending.at}; one activation is pending at a time: cancel it first (DELETE /v1/admin/config/versions/${r.pending.version}/activation).`,
            );
          case 'scheduled':
            return json(202, { version, pendingActivation: r.pending });
        }
      }
      const r = await activateNow(deps.configs, version!, by, now);
      switch (r.kind) {
        case 'missing':
          return notFound(`No configuration version ${version}.`);
        case 'unapproved':
          return notApproved(version!);
        case 'already-active':
          return alreadyActive(version!);
        case 'pending':
          return pendingProblem(
            r.pending,
            `Version ${version} is scheduled for ${r.pending.at}: let it happen then, or cancel it first (DELETE /v1/admin/config/versions/${version}/activation).`,
          );
        case 'conflict':
        case 'not-pending':
          return concurrent();
        case 'activated':
          // The version's strategies place the whole portfolio (the backfill); the funnel tells how far.
          return json(200, {
            active: version,
            ...(r.previousVersion ? { previousVersion: r.previousVersion } : {}),
            activatedAt: now,
            activatedBy: by,
            placement: await startPlacement(deps.placement, 'ACTIVATION'),
          });
      }
      break;
    }
    case 'cancelActivation': {
      const r = await cancelActivation(deps.configs, version!, by, now);
      if (r.kind === 'none') return notFound(`No pending activation of version ${version}.`);
      return json(200, { version, cancelled: r.pending, cancelledAt: now, cancelledBy: by });
    }
    case 'rollback': {
      if (!emptyBody(req)) {
        const b = parseBody(req, EmptyBodySchema);
        if (!b.ok) return b.response;
      }
      const r = await rollback(deps.configs, by, now);
      switch (r.kind) {
        case 'no-config':
          return notFound('No configuration is active yet.');
        case 'nothing':
          return problemResponse(
            409,
            'nothing-to-roll-back',
            'Nothing to roll back to',
            'The active version is the oldest activation kept: no version was active before it.',
          );
        case 'conflict':
          return concurrent();
        case 'missing':
          return notFound(`The version to roll back to, ${r.version}, is not stored.`);
        case 'rolled-back':
          return json(200, {
            active: r.version,
            previousVersion: r.previousVersion,
            activatedAt: now,
            activatedBy: by,
            history: r.history,
            placement: await startPlacement(deps.placement, 'ACTIVATION'),
          });
      }
      break;
    }
    case 'auditLog': {
      const q = AuditQuerySchema.safeParse(req.queryStringParameters ?? {});
      if (!q.success) return invalid(zodErrors(q.error, ''));
      if (!deps.auditTrail)
        return problemResponse(503, 'unavailable', 'Audit log unavailable', 'No audit reader configured.');
      const month = q.data.month ?? now.slice(0, 7);
      const entries = await deps.auditTrail.month(month);
      return json(200, {
        month,
        entries: q.data.subject === undefined ? entries : entries.filter((e) => e.subject === q.data.subject),
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
      if (!emptyBody(req)) {
        const b = parseBody(req, EmptyBodySchema);
        if (!b.ok) return b.response;
      }
      const placement = await startPlacement(deps.placement, 'ACTIVATION');
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
      if (!emptyBody(req)) {
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
      const r = await dryRunAccount(deps, b.value.accountId, b.value.callType, now, b.value.channel);
      if (r.kind === 'no-account') return notFound(`No account ${b.value.accountId}.`);
      if (r.kind === 'no-config') return notFound('No configuration is active yet.');
      return json(200, r.result);
    }
  }
}
