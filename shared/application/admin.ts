import { actedBy } from '../domain/authority';
import { compile } from '../domain/compiled';
import { computeFacts, customerValue } from '../domain/facts';
import { routeContact } from '../domain/routing';
import type { AccountImportStore, AccountStore, AccountTagger, AuditLog, ConfigAdmin } from '../ports';
import { AccountIdSchema } from '../schemas/account';
import {
  ADMIN_ROUTES,
  DryRunBodySchema,
  ErasureBodySchema,
  MAX_ADMIN_BODY_BYTES,
  TagBodySchema,
  VersionParamSchema,
} from '../schemas/admin';
import { DecisionConfigSchema } from '../schemas/config';
import { EventBatchSchema, ImportBatchSchema } from '../schemas/import';
import { authorize } from './authz';
import { type ErasureDeps, eraseAccount } from './erasure';
import {
  type HttpRequest,
  type HttpResponse,
  invalid,
  json,
  parseBody,
  problemResponse,
  zodErrors,
} from './http';
import { applyAccountEvent, importBatch } from './import';

export interface AdminDeps {
  configs: ConfigAdmin;
  accounts: AccountStore;
  tagger: AccountTagger;
  /** Who changed what: one entry per tag request (configuration versions carry their own author). */
  audit: AuditLog;
  /** Account import (optional in tests that do not import). */
  importer?: {
    store: AccountImportStore;
    salt: () => string;
    /** The factor pepper, read once (Secrets Manager on AWS, a file locally). */
    pepper: () => Promise<string>;
  };
  /** Erasure on a customer's request (optional in tests that do not erase). */
  erasure?: ErasureDeps;
}

const notFound = (what: string) => problemResponse(404, 'not-found', 'Not found', what);

/**
 * The admin API: configuration versions (validated on write, immutable, activated in one write) and
 * a dry-run of the decision for an account ("why this offer"). Bad input is a 4xx naming the field;
 * an invalid configuration changes nothing.
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
      return r === 'missing'
        ? notFound(`No configuration version ${version}.`)
        : json(200, { active: version, activatedAt: now, activatedBy: by });
    }
    case 'tag': {
      const b = parseBody(req, TagBodySchema, MAX_ADMIN_BODY_BYTES);
      if (!b.ok) return b.response;
      const { tag, accountIds, remove } = b.value;
      const unknown: string[] = [];
      let done = 0;
      // A few updates in flight at a time; each is idempotent, so a retried request changes nothing more.
      for (let i = 0; i < accountIds.length; i += 10) {
        const rs = await Promise.all(
          accountIds.slice(i, i + 10).map((id) => deps.tagger.setTag(id, tag, !remove)),
        );
        for (const [k, r] of rs.entries()) {
          if (r === 'done') done++;
          else unknown.push(accountIds[i + k]!);
        }
      }
      // A request that named no known account changed nothing: nothing to audit either.
      const known = accountIds.filter((id) => !unknown.includes(id));
      if (known.length > 0)
        await deps.audit.record({
          at: now,
          by,
          action: remove ? 'untag' : 'tag',
          subject: tag,
          accountIds: known,
        });
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
      return json(200, await importBatch(b.value.records, b.value.firstLine ?? 1, { store, salt, pepper }));
    }
    case 'accountEvents': {
      const b = parseBody(req, EventBatchSchema, MAX_ADMIN_BODY_BYTES);
      if (!b.ok) return b.response;
      if (!deps.importer)
        return problemResponse(503, 'unavailable', 'Events unavailable', 'No importer configured.');
      const results: Array<{
        index: number;
        result: string;
        errors?: Array<{ path: string; message: string }>;
      }> = [];
      // In order, one at a time: events of one account apply in the order they were sent.
      for (const [index, raw] of b.value.events.entries()) {
        results.push({ index, ...(await applyAccountEvent(raw, deps.importer.store)) });
      }
      return json(200, { results });
    }
    case 'eraseAccount': {
      const id = AccountIdSchema.safeParse(req.pathParameters?.accountId);
      if (!id.success) return invalid(zodErrors(id.error, 'accountId'));
      if ((req.body ?? '').trim() !== '') {
        const b = parseBody(req, ErasureBodySchema);
        if (!b.ok) return b.response;
      }
      if (!deps.erasure)
        return problemResponse(503, 'unavailable', 'Erasure unavailable', 'No erasure store configured.');
      const r = await eraseAccount(id.data, by, now, deps.erasure);
      // Unknown, or never held here: nothing was changed and nothing is recorded.
      return r.kind === 'unknown-account' ? notFound(`No account ${id.data}.`) : json(200, r.body);
    }
    case 'dryRun': {
      const b = parseBody(req, DryRunBodySchema);
      if (!b.ok) return b.response;
      const [account, active] = await Promise.all([
        deps.accounts.get(b.value.accountId),
        deps.configs.active(),
      ]);
      if (!account) return notFound(`No account ${b.value.accountId}.`);
      if (!active) return notFound('No configuration is active yet.');
      return json(200, dryRun(account, b.value.callType, active.config, now));
    }
  }
}

/** The whole decision for one account and call type, with every offer's verdict: no contact, no write. */
export function dryRun(
  account: Parameters<typeof computeFacts>[0],
  callType: Parameters<typeof routeContact>[1]['callType'],
  config: Parameters<typeof compile>[0],
  now: string,
) {
  const c = compile(config);
  const facts = computeFacts(account, now, config.value);
  const customer = c.customerSegments.classify(facts);
  const card = c.cardSegments.classify(facts);
  const ctx = { facts, customerSegment: customer.segment, cardSegment: card.segment, callType, today: now };
  const route = routeContact(config.routing, {
    identified: true,
    verification: 'VERIFIED',
    callType,
    customerSegment: customer.segment,
    flags: account.flags,
    annualProfit: facts.annualProfit,
  });
  return {
    configVersion: config.version,
    accountId: account.accountId,
    callType,
    value: customerValue(account, config.value, {
      spendTrend: facts.spendTrend,
      tenureMonths: facts.tenureMonths,
      contactsLast12m: facts.contactsLast12m,
    }),
    facts,
    segment: {
      customer: customer.segment,
      card: card.segment,
      reasons: [...customer.reasons, ...card.reasons],
    },
    routeIfVerified: { ...route.route, disposition: route.disposition },
    offers: { retention: c.catalog.trace('RETENTION', ctx), crossSell: c.catalog.trace('CROSS_SELL', ctx) },
  };
}
