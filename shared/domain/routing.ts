import type { AccountFlags } from '../schemas/account';
import type { CallType, RoutingRule } from '../schemas/config';
import type { Route } from '../schemas/contact';

export interface RoutingInput {
  identified: boolean;
  verification: 'PENDING' | 'VERIFIED' | 'LOCKED';
  callType: CallType;
  customerSegment?: string;
  flags?: AccountFlags;
  annualProfit?: number;
}

export type RoutingDecision = { route: Route; disposition: RoutingRule['stage'] };

export function ruleMatches(rule: RoutingRule, i: RoutingInput): boolean {
  const w = rule.when;
  if (w.identified !== undefined && w.identified !== i.identified) return false;
  if (w.verification && !w.verification.includes(i.verification)) return false;
  if (w.callTypes && !w.callTypes.includes(i.callType)) return false;
  if (
    w.customerSegments &&
    (i.customerSegment === undefined || !w.customerSegments.includes(i.customerSegment))
  )
    return false;
  if (w.anyFlag && !w.anyFlag.some((f) => i.flags?.[f] === true)) return false;
  if (w.minAnnualProfit !== undefined && (i.annualProfit === undefined || i.annualProfit < w.minAnnualProfit))
    return false;
  return true;
}

/** The first rule that matches decides queue, priority and disposition. The table must end in a catch-all. */
export function routeContact(rules: readonly RoutingRule[], input: RoutingInput): RoutingDecision {
  for (const rule of rules) {
    if (ruleMatches(rule, input)) {
      return {
        route: { queue: rule.queue, priority: rule.priority, reasons: [rule.reason], ruleId: rule.id },
        disposition: rule.stage,
      };
    }
  }
  throw new RoutingTableIncomplete(`no routing rule matched call type ${input.callType}`);
}

export class RoutingTableIncomplete extends Error {
  override name = 'RoutingTableIncomplete';
}

/** Where a caller goes when Retention Desk itself fails: a person, never silence. */
export const SAFE_ROUTE = {
  queue: 'RETENTION_SPECIALIST',
  priority: 1,
  reasons: ['Retention Desk could not complete the turn; a retention agent takes the call'],
  ruleId: 'SAFE_FALLBACK',
} as const satisfies Route;
