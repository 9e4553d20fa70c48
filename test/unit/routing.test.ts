import { describe, expect, it } from 'vitest';
import { type RoutingInput, RoutingTableIncomplete, routeContact } from '../../shared/domain/routing';
import { config } from '../fakes/accounts';

const flags = { fraudHold: false, collections: false, bankruptcy: false, deceased: false, closed: false };
const base: RoutingInput = {
  identified: true,
  verification: 'VERIFIED',
  callType: 'CLOSE_ACCOUNT',
  customerSegment: 'TRANSACTOR',
  flags,
  annualProfit: 200,
};

describe('routing table', () => {
  it.each<[string, Partial<RoutingInput>, string, string, string]>([
    ['closing transactor', {}, 'RETENTION_SPECIALIST', 'CONTINUE', 'retention'],
    ['high-value closer', { annualProfit: 1200 }, 'VIP_RETENTION', 'CONTINUE', 'vip-retention'],
    [
      'high-value general inquiry',
      { annualProfit: 1200, callType: 'GENERAL_INQUIRY' },
      'GENERAL_SERVICE',
      'CONTINUE',
      'service',
    ],
    [
      'fraud report, even unidentified',
      { identified: false, callType: 'FRAUD_REPORT' },
      'FRAUD',
      'ROUTED',
      'fraud-or-lost-card',
    ],
    ['lost card', { callType: 'LOST_OR_STOLEN' }, 'FRAUD', 'ROUTED', 'fraud-or-lost-card'],
    ['unknown caller', { identified: false }, 'GENERAL_SERVICE', 'UNIDENTIFIED', 'unidentified'],
    ['fraud hold', { flags: { ...flags, fraudHold: true } }, 'FRAUD', 'ROUTED', 'fraud-hold'],
    [
      'collections flag',
      { flags: { ...flags, collections: true } },
      'COLLECTIONS',
      'ROUTED',
      'collections-flag',
    ],
    ['delinquent segment', { customerSegment: 'DELINQUENT' }, 'COLLECTIONS', 'ROUTED', 'delinquent'],
    ['deceased', { flags: { ...flags, deceased: true } }, 'GENERAL_SERVICE', 'ROUTED', 'special-handling'],
    [
      'locked beats everything',
      { verification: 'LOCKED', callType: 'FRAUD_REPORT' },
      'SECURITY',
      'LOCKED',
      'locked',
    ],
    ['billing dispute', { callType: 'BILLING_DISPUTE' }, 'GENERAL_SERVICE', 'CONTINUE', 'service'],
  ])('%s → %s (%s)', (_n, over, queue, disposition, ruleId) => {
    const d = routeContact(config.routing, { ...base, ...over });
    expect(d.route.queue).toBe(queue);
    expect(d.disposition).toBe(disposition);
    expect(d.route.ruleId).toBe(ruleId);
    expect(d.route.reasons.length).toBeGreaterThan(0);
  });

  it('a table without a catch-all fails loudly rather than guessing', () => {
    expect(() => routeContact(config.routing.slice(0, 2), base)).toThrow(RoutingTableIncomplete);
  });
});
