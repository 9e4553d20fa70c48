import { describe, expect, it } from 'vitest';
import { churnFeatures, serviceContacts } from '../../shared/domain/churn';
import { CHURN_FEATURES } from '../../shared/schemas/churn';
import { makeAccount, NOW } from '../fakes/accounts';

/** The model's inputs as the issue asks for them: the CRM's facts, and Retention Desk's own contacts. */
const at = (name: (typeof CHURN_FEATURES)[number], x: Float64Array) => x[CHURN_FEATURES.indexOf(name)]!;

describe('the churn model reads the service facts of the import, and the desk’s own contacts', () => {
  it('service contacts: the CRM’s count or the desk’s own in the last 12 months, whichever is higher', () => {
    const own = ['2026-01-10T09:00:00.000Z', '2026-06-01T09:00:00.000Z', '2026-11-01T09:00:00.000Z'];
    const old = ['2025-06-01T09:00:00.000Z']; // more than a year before NOW: not counted
    expect(serviceContacts(makeAccount({ contacts12m: 1, recentContacts: [...old, ...own] }), NOW)).toBe(3);
    expect(serviceContacts(makeAccount({ contacts12m: 5, recentContacts: own }), NOW)).toBe(5);
    expect(serviceContacts(makeAccount({ recentContacts: old }), NOW)).toBe(0);
    // A contact after the time scored is not yet one of its contacts.
    expect(serviceContacts(makeAccount({ recentContacts: ['2026-12-31T09:00:00.000Z'] }), NOW)).toBe(0);
    expect(at('contacts12m', churnFeatures(makeAccount({ contacts12m: 4 }), NOW))).toBe(4);
  });

  it('monthly transactions: the year’s count, both trends and inactive months; missing when not sent', () => {
    const tx = [10, 10, 10, 10, 10, 10, 10, 10, 10, 5, 0, 0];
    const x = churnFeatures(makeAccount({ monthlyTransactions: tx }), NOW);
    expect(at('transactions12m', x)).toBe(95);
    expect(at('transactionsQ4Q1', x)).toBeCloseTo(5 / 30);
    expect(at('transactionsTrend', x)).toBeCloseTo(5 / 3 / 10);
    expect(at('inactiveMonths', x)).toBe(2);
    const none = churnFeatures(makeAccount({ monthlyTransactions: undefined }), NOW);
    for (const f of ['transactions12m', 'transactionsTrend', 'transactionsQ4Q1', 'averageTicket'] as const)
      expect(Number.isNaN(at(f, none)), f).toBe(true);
  });
});
