import type { DecisionConfig, KillSwitch } from '../schemas/config';
import type { Route } from '../schemas/contact';
import type { RoutingDecision } from './routing';

/** The rule id a kill-switched route carries (reports and the agent desk can tell it from a routing rule). */
export const KILL_SWITCH_RULE = 'KILL_SWITCH';

export const killSwitchOf = (config: DecisionConfig): KillSwitch | undefined => config.killSwitch;

/**
 * Where a contact goes while the kill switch is on: to a retention specialist (the people who may
 * handle a closure or a complaint without the desk's offers, and the queue of the safe fallback),
 * a VIP customer to the VIP desk; at the priority it had. The first reason says why.
 */
export function killSwitchRoute(route: Route, ks: KillSwitch): Route {
  return {
    queue: route.queue === 'VIP_RETENTION' ? 'VIP_RETENTION' : 'RETENTION_SPECIALIST',
    priority: route.priority,
    reasons: [
      `kill switch on since ${ks.since}: no offers are presented, a person takes the contact (${ks.reason})`,
      ...route.reasons.filter((r) => !r.startsWith('kill switch on')),
    ],
    ruleId: KILL_SWITCH_RULE,
  };
}

/**
 * A routing decision under the kill switch: a contact that would go on in the retention flow
 * (verification, offers) is ROUTED to a person instead; one the table already sends to a department
 * (fraud, collections, security, general service) keeps that route, which offers nothing anyway.
 */
export function underKillSwitch(d: RoutingDecision, config: DecisionConfig): RoutingDecision {
  const ks = killSwitchOf(config);
  if (!ks || d.disposition !== 'CONTINUE') return d;
  return { route: killSwitchRoute(d.route, ks), disposition: 'ROUTED' };
}
