import { describe, expect, it } from 'vitest';
import { presentOffers } from '../../shared/domain/call';
import { historyKey, historyUpdates, suppressedBy } from '../../shared/domain/contact-policy';
import { compileCatalog } from '../../shared/domain/offers';
import type { OfferLogEvent } from '../../shared/schemas/contact';
import { config, NOW, verifiedPremiumContact } from '../fakes/accounts';

const waiver = config.offers.find((o) => o.offerId === 'annual-fee-waiver')!;
const daysAgo = (d: number) => new Date(Date.parse(NOW) - d * 86_400_000).toISOString();

describe('contact policy', () => {
  it.each([
    ['no history', undefined, undefined],
    [
      'declined 10 days ago (30-day window)',
      { presentations: 1, lastDeclinedAt: daysAgo(10) },
      'declined on',
    ],
    ['declined 31 days ago', { presentations: 1, lastDeclinedAt: daysAgo(31) }, undefined],
    ['presented 6 times (the maximum)', { presentations: 6 }, 'presented 6 times'],
    ['presented 5 times', { presentations: 5 }, undefined],
  ])('%s → %s', (_n, history, reason) => {
    const r = suppressedBy(waiver, history, config, NOW);
    if (reason) expect(r).toContain(reason);
    else expect(r).toBeUndefined();
  });

  it('an offer may override the default policy', () => {
    const strict = { ...waiver, contactPolicy: { suppressDaysAfterDecline: 90, maxPresentations: 2 } };
    expect(
      suppressedBy(strict, { presentations: 1, lastDeclinedAt: daysAgo(60) }, config, NOW),
    ).toBeDefined();
    expect(suppressedBy(strict, { presentations: 2 }, config, NOW)).toBeDefined();
  });

  it('a turn adds one update per account and offer: presentations counted, the decline dated', () => {
    const e = (event: OfferLogEvent['event'], offerId: string, seq: number): OfferLogEvent => ({
      contactId: 'c',
      seq,
      at: NOW,
      event,
      accountId: 'A1',
      callType: 'CLOSE_ACCOUNT',
      channel: 'voice',
      stage: 'OFFER',
      offerId,
      configVersion: 'v',
    });
    expect(
      historyUpdates([
        e('DECLINED', 'x', 0),
        e('PRESENTED', 'y', 1),
        e('PRESENTED', 'z', 2),
        e('ACCEPTED', 'y', 3),
      ]),
    ).toEqual([
      { accountId: 'A1', offerId: 'x', presented: 0, declinedAt: NOW },
      { accountId: 'A1', offerId: 'y', presented: 1 },
      { accountId: 'A1', offerId: 'z', presented: 1 },
    ]);
  });

  it('an offer the account declined recently is not presented on its next call', () => {
    const c = verifiedPremiumContact('c-9');
    const a = { accountId: c.accountId! };
    const catalog = compileCatalog(config);
    expect(presentOffers(c, catalog, config, NOW).contact.current).toContain('annual-fee-waiver');
    const history = new Map([
      [historyKey(a.accountId, 'annual-fee-waiver'), { presentations: 1, lastDeclinedAt: daysAgo(3) }],
    ]);
    expect(presentOffers(c, catalog, config, NOW, history).contact.current).not.toContain(
      'annual-fee-waiver',
    );
  });
});
