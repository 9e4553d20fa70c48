import type { CallType, DecisionConfig, Offer } from '../schemas/config';
import type { Economics, Facts } from '../schemas/contact';
import { decisionChurnRisk } from './churn';
import { compileAll, explainCondition, type Predicate } from './conditions';
import { annuityFactor } from './facts';

export interface RankedOffer {
  offer: Offer;
  economics: Economics;
  reasons: string[];
}

export interface DecisionContext {
  facts: Facts;
  customerSegment: string;
  cardSegment: string;
  callType: CallType;
  /** The decision's date (yyyy-mm-dd…) for validity windows; absent: windows are not checked. */
  today?: string;
}

interface CompiledOffer {
  offer: Offer;
  customerSegments?: ReadonlySet<string>;
  cardSegments?: ReadonlySet<string>;
  suitable: Predicate;
}

export interface CompiledCatalog {
  /** Offers of that kind that pass applicability, eligibility and suitability, in catalog order. */
  eligible(kind: Offer['kind'], ctx: DecisionContext, exclude?: ReadonlySet<string>): Offer[];
  /** Eligible offers that leave the issuer a positive net value, best first. */
  rank(
    kind: Offer['kind'],
    ctx: DecisionContext,
    exclude?: ReadonlySet<string>,
    acceptance?: (offer: Offer) => number,
  ): RankedOffer[];
  /** Why each offer of that kind is shown or not (the decision trace; not on the hot path). */
  trace(kind: Offer['kind'], ctx: DecisionContext): OfferTrace[];
}

export interface OfferTrace {
  offerId: string;
  shown: boolean;
  /** The first filter it failed, or why it is shown. */
  reason: string;
  economics?: Economics;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function offerCost(offer: Offer, f: Facts): number {
  const c = offer.cost;
  // Interest the customer pays a year, approximated from the revolving balance and the APR.
  const interest = f.revolvingBalance * f.apr;
  return round2(
    c.fixed + f.annualFee * c.annualFeeShare + interest * c.interestShare + f.annualSpend * c.spendShare,
  );
}

/**
 * Compiles the catalog once. For each offer: applicability (call type), eligibility (segments),
 * suitability (conditions, products held), then economics:
 *   retention: value at stake = lifetime value × churn risk of the call type;
 *   cross-sell: value = the product's annual margin over the same horizon;
 *   expected net value = P(accept) × (value − cost), shown only when value − cost > 0.
 * Ties break on offerId so the ranking is deterministic.
 */
export function compileCatalog(config: DecisionConfig): CompiledCatalog {
  const compiled: CompiledOffer[] = config.offers.map((offer) => ({
    offer,
    customerSegments: offer.customerSegments && new Set(offer.customerSegments),
    cardSegments: offer.cardSegments && new Set(offer.cardSegments),
    suitable: compileAll(offer.conditions),
  }));
  const annuity = annuityFactor(config.value);

  // Indexed by kind and call type at compile time: a decision only visits offers that apply to the call.
  const index = new Map<string, CompiledOffer[]>();
  for (const c of compiled)
    for (const t of c.offer.callTypes) {
      const key = `${c.offer.kind}:${t}`;
      index.set(key, [...(index.get(key) ?? []), c]);
    }

  function eligible(kind: Offer['kind'], ctx: DecisionContext, exclude?: ReadonlySet<string>): Offer[] {
    if (!config.callTypes[ctx.callType]?.salesAllowed) return [];
    const out: Offer[] = [];
    for (const c of index.get(`${kind}:${ctx.callType}`) ?? []) {
      const o = c.offer;
      if (exclude?.has(o.offerId)) continue;
      if (ctx.today && !withinWindow(o, ctx.today)) continue;
      if (c.customerSegments && !c.customerSegments.has(ctx.customerSegment)) continue;
      if (c.cardSegments && !c.cardSegments.has(ctx.cardSegment)) continue;
      if (o.product && ctx.facts.productsHeld.includes(o.product)) continue;
      if (!c.suitable(ctx.facts)) continue;
      out.push(o);
    }
    return out;
  }

  function filteredBecause(c: CompiledOffer, ctx: DecisionContext): string | undefined {
    const o = c.offer;
    if (!config.callTypes[ctx.callType]?.salesAllowed) return `no sales offer on ${ctx.callType}`;
    if (!o.callTypes.includes(ctx.callType)) return `does not apply to ${ctx.callType}`;
    if (ctx.today && !withinWindow(o, ctx.today))
      return `valid ${o.validFrom ?? '…'} to ${o.validUntil ?? '…'}, not on ${ctx.today.slice(0, 10)}`;
    if (c.customerSegments && !c.customerSegments.has(ctx.customerSegment))
      return `customer segment ${ctx.customerSegment} not eligible`;
    if (c.cardSegments && !c.cardSegments.has(ctx.cardSegment))
      return `card segment ${ctx.cardSegment} not eligible`;
    if (o.product && ctx.facts.productsHeld.includes(o.product)) return `already holds ${o.product}`;
    const failed = o.conditions.find((cond) => !compileAll([cond])(ctx.facts));
    return failed ? `not suitable: ${explainCondition(failed, ctx.facts)} fails` : undefined;
  }

  const api: CompiledCatalog = {
    eligible,
    trace(kind, ctx) {
      const ranked = new Map(api.rank(kind, ctx).map((r) => [r.offer.offerId, r]));
      return compiled
        .filter((c) => c.offer.kind === kind)
        .map((c): OfferTrace => {
          const id = c.offer.offerId;
          const r = ranked.get(id);
          if (r) return { offerId: id, shown: true, reason: r.reasons.at(-1)!, economics: r.economics };
          const why = filteredBecause(c, ctx);
          return {
            offerId: id,
            shown: false,
            reason: why ?? 'costs the issuer more than the value it keeps (profit guard)',
          };
        });
    },
    rank(kind, ctx, exclude, acceptance) {
      // The risk at stake: the contact's (its call type's), with the churn model's score of the account.
      const churnRisk = decisionChurnRisk(
        config.churn ? ctx.facts.churnRisk : undefined,
        config.callTypes[ctx.callType]?.churnRisk ?? 0,
      );
      const out: RankedOffer[] = [];
      for (const o of eligible(kind, ctx, exclude)) {
        const cost = offerCost(o, ctx.facts);
        const value =
          o.kind === 'RETENTION'
            ? round2(ctx.facts.lifetimeValue * churnRisk)
            : round2((o.annualMargin ?? 0) * annuity);
        const net = value - cost;
        if (!(net > 0)) continue;
        const p = acceptance ? Math.round(acceptance(o) * 10_000) / 10_000 : o.acceptProbability;
        // The guard holds on the figures shown: an expected net value that rounds to zero is not shown.
        const expectedNetValue = round2(p * net);
        if (!(expectedNetValue > 0)) continue;
        out.push({
          offer: o,
          economics: { cost, customerValue: value, acceptProbability: p, expectedNetValue },
          reasons: reasonsFor(o, ctx, cost, value, config.churn ? churnRisk : undefined),
        });
      }
      out.sort(
        (a, b) =>
          b.economics.expectedNetValue - a.economics.expectedNetValue ||
          (a.offer.offerId < b.offer.offerId ? -1 : 1),
      );
      return out;
    },
  };
  return api;
}

function withinWindow(o: Offer, today: string): boolean {
  const d = today.slice(0, 10);
  return (!o.validFrom || o.validFrom <= d) && (!o.validUntil || d <= o.validUntil);
}

function reasonsFor(
  o: Offer,
  ctx: DecisionContext,
  cost: number,
  value: number,
  churnRisk?: number,
): string[] {
  const r = [`applies to ${ctx.callType}`];
  if (o.customerSegments) r.push(`customer segment ${ctx.customerSegment} is eligible`);
  if (o.cardSegments) r.push(`card segment ${ctx.cardSegment} is eligible`);
  for (const c of o.conditions) r.push(`suits: ${explainCondition(c, ctx.facts)}`);
  if (o.product) r.push(`does not hold ${o.product} yet`);
  if (churnRisk !== undefined && o.kind === 'RETENTION')
    r.push(
      `churn risk ${churnRisk.toFixed(2)}: model ${ctx.facts.churnRisk.toFixed(2)} with ${ctx.callType}`,
    );
  r.push(
    o.kind === 'RETENTION'
      ? `keeps ${value.toFixed(2)} of value at stake for a cost of ${cost.toFixed(2)}`
      : `earns ${value.toFixed(2)} over the horizon for a cost of ${cost.toFixed(2)}`,
  );
  return r;
}
