import { compile } from '../domain/compiled';
import { computeFacts, customerValue } from '../domain/facts';
import { modelView, type PropensityState, propensityStateProblem } from '../domain/propensity';
import { routeContact } from '../domain/routing';
import type {
  AccountImportStore,
  AccountStore,
  AccountTagger,
  AuditLog,
  AuditReader,
  ConfigAdmin,
  KpiStore,
  PlacementProgress,
  PortfolioPlacement,
} from '../ports';
import type { CallType } from '../schemas/config';
import type { Channel } from '../schemas/contact';
import type { ActedBy } from '../schemas/identity';
import type { ErasureDeps } from './erasure';
import { applyAccountEvent, type EventOutcome } from './import';
import type { PortfolioStore } from './portfolio';
import { type Placer, stageLogLines, watchedPlacer } from './strategies';

export interface AdminDeps {
  configs: ConfigAdmin;
  accounts: AccountStore;
  tagger: AccountTagger;
  /** Who changed what: one entry per tag request (configuration versions carry their own author). */
  audit: AuditLog;
  /** The audit log read back (`GET /v1/admin/audit`; optional in tests that read none). */
  auditTrail?: AuditReader;
  /** Account import (optional in tests that do not import). */
  importer?: {
    store: AccountImportStore;
    salt: () => string;
    /** The factor pepper, read once (Secrets Manager on AWS, a file locally). */
    pepper: () => Promise<string>;
  };
  /** The strategies' funnels (accounts per stage of a strategy version), and the placements' progress. */
  funnels?: { counts(strategyId: string, version: number): Promise<Record<string, number>> } & Pick<
    PlacementProgress,
    'progress'
  >;
  /** A sample of the portfolio, for the strategies' dry run. */
  portfolio?: Pick<PortfolioStore, 'scanAccounts'>;
  /** Where stage entries and exits are logged (the function's logger). */
  stageLog?: (line: Record<string, unknown>) => void;
  /** Starts placing the whole portfolio (after an activation: the backfill). */
  placement?: PortfolioPlacement;
  /** The KPI report's daily aggregates (optional in tests that report nothing). */
  kpis?: Pick<KpiStore, 'cells'>;
  /** Erasure on a customer's request (optional in tests that do not erase). */
  erasure?: ErasureDeps;
  /** The propensity model state as stored, for the dry-run's view of each offer (absent: none shown). */
  propensity?: () => Promise<unknown>;
}

/**
 * Marks accounts with a segment tag (or removes it), a few at a time; each update is idempotent, so a
 * retried request changes nothing more. One audit entry names the known accounts; a request that named
 * no known account changed nothing and records nothing.
 */
export async function tagAccounts(
  deps: Pick<AdminDeps, 'tagger' | 'audit'>,
  request: { tag: string; accountIds: readonly string[]; remove?: boolean | undefined },
  by: ActedBy,
  now: string,
): Promise<{ done: number; unknown: string[] }> {
  const { tag, accountIds, remove } = request;
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
  return { done, unknown };
}

/** Account change events in the order they were sent, one at a time: events of one account apply in order. */
export async function applyAccountEvents(
  events: readonly unknown[],
  store: AccountImportStore,
  placer?: Placer,
  /** Told of the stage entries and exits each applied event wrote (the stage log). */
  stageLog?: (line: Record<string, unknown>) => void,
): Promise<Array<{ index: number } & EventOutcome>> {
  const results: Array<{ index: number } & EventOutcome> = [];
  const watched = placer ? watchedPlacer(placer) : undefined;
  for (const [index, raw] of events.entries()) {
    const outcome = await applyAccountEvent(raw, store, watched?.placer);
    results.push({ index, ...outcome });
    if (outcome.result === 'applied' && watched && stageLog) {
      const e = raw as { asOf?: unknown; type?: unknown };
      for (const line of stageLogLines(watched.lastMoves(), String(e.asOf), String(e.type))) stageLog(line);
    }
  }
  return results;
}

/** The dry-run of one account against the active configuration, or what is missing for it. */
export async function dryRunAccount(
  deps: Pick<AdminDeps, 'accounts' | 'configs' | 'propensity'>,
  accountId: string,
  callType: CallType,
  now: string,
  channel?: Channel,
): Promise<
  { kind: 'no-account' } | { kind: 'no-config' } | { kind: 'ok'; result: ReturnType<typeof dryRun> }
> {
  const [account, active, state] = await Promise.all([
    deps.accounts.get(accountId),
    deps.configs.active(),
    deps.propensity?.(),
  ]);
  if (!account) return { kind: 'no-account' };
  if (!active) return { kind: 'no-config' };
  return {
    kind: 'ok',
    result: dryRun(account, callType, active.config, now, deps.propensity ? { state, channel } : undefined),
  };
}

/** The whole decision for one account and call type, with every offer's verdict: no contact, no write. */
export function dryRun(
  account: Parameters<typeof computeFacts>[0],
  callType: Parameters<typeof routeContact>[1]['callType'],
  config: Parameters<typeof compile>[0],
  now: string,
  /** The propensity model state as stored (and the channel it is asked for): each offer's view. */
  learned?: { state: unknown; channel?: Channel | undefined },
) {
  const c = compile(config);
  const facts = computeFacts(account, now, config.value, c.churn);
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
      ...(c.churn
        ? {
            churn: {
              score: facts.churnRisk,
              windowMonths: c.churn.labelWindowMonths,
              modelId: c.churn.modelId,
            },
          }
        : {}),
    }),
    facts,
    segment: {
      customer: customer.segment,
      card: card.segment,
      reasons: [...customer.reasons, ...card.reasons],
    },
    routeIfVerified: { ...route.route, disposition: route.disposition },
    offers: { retention: c.catalog.trace('RETENTION', ctx), crossSell: c.catalog.trace('CROSS_SELL', ctx) },
    ...(learned ? { propensity: propensityDryRun(learned.state, c, ctx, learned.channel) } : {}),
  };
}

/**
 * The propensity model's view of each offer eligible for the account: its prior, the probability
 * the model gives it now (at the posterior mean), how many answers taught it, and the facts that
 * moved it; or why the state is refused (the priors would decide).
 */
function propensityDryRun(
  state: unknown,
  c: ReturnType<typeof compile>,
  ctx: Parameters<ReturnType<typeof compile>['catalog']['eligible']>[1],
  channel: Channel | undefined,
) {
  const problem = propensityStateProblem(state);
  if (problem) return { refused: `${problem}: the catalog priors decide`, offers: [] };
  const input = { facts: ctx.facts, callType: ctx.callType, ...(channel ? { channel } : {}) };
  return {
    offers: [...c.catalog.eligible('RETENTION', ctx), ...c.catalog.eligible('CROSS_SELL', ctx)].map((o) =>
      modelView(state as PropensityState, o, input),
    ),
  };
}
