import { describe, expect, it } from 'vitest';
import { compile } from '../../shared/domain/compiled';
import { KILL_SWITCH_RULE } from '../../shared/domain/kill-switch';
import { type DecidedInput, decide, type Plan } from '../../shared/domain/turn';
import type { DecisionConfig } from '../../shared/schemas/config';
import { DecisionConfigSchema } from '../../shared/schemas/config';
import type { Contact } from '../../shared/schemas/contact';
import { config, makeAccount, NOW, premiumAccount, verifiedPremiumContact } from '../fakes/accounts';

/** The kill switch, decided: no offer of any kind is presented, a person takes every contact. */
const ks = { reason: 'offer pricing incident INC-42', since: NOW };
const on: DecisionConfig = { ...config, version: 'ks-on', killSwitch: ks };
const ID = 'c-1';

const written = (p: Plan) => {
  if (p.kind !== 'write') throw new Error(`expected a write, got ${p.kind}`);
  return p;
};
const start = (account = premiumAccount(), cfg = on, callType: Contact['callType'] = 'CLOSE_ACCOUNT') =>
  decide(
    {
      action: 'start',
      now: NOW,
      request: { channel: 'agent', callType, accountId: account.accountId },
    },
    { contactId: ID, account, subjects: {} },
    compile(cfg),
  );
const offers = (contact: Contact, cfg = on) =>
  decide({ action: 'offers', now: NOW, contactId: ID } as DecidedInput, { contact }, compile(cfg));
const respond = (contact: Contact, offerId: string, response: 'ACCEPTED' | 'DECLINED', cfg = on) =>
  decide(
    { action: 'respond', now: NOW, contactId: ID, request: { offerId, response } } as DecidedInput,
    { contact },
    compile(cfg),
  );

describe('kill switch: the decision', () => {
  it('is part of the configuration schema, with a required reason', () => {
    expect(DecisionConfigSchema.safeParse(on).success).toBe(true);
    const bad = DecisionConfigSchema.safeParse({ ...config, killSwitch: { since: NOW } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toContain('killSwitch.reason');
  });

  it('routes a retention call to a retention specialist at its start, with the reason, and no offer', () => {
    const off = written(start(premiumAccount(), config)).contact;
    const p = written(start());
    expect(p.contact.stage).toBe('ROUTED');
    expect(p.contact.route.ruleId).toBe(KILL_SWITCH_RULE);
    expect(p.contact.route.queue).toBe(
      off.route.queue === 'VIP_RETENTION' ? 'VIP_RETENTION' : 'RETENTION_SPECIALIST',
    );
    expect(p.contact.route.reasons[0]).toMatch(/^kill switch on since .*: no offers .*INC-42/);
    expect(p.contact.configVersion).toBe('ks-on');
    expect(p.contact.offers).toEqual([]);
    expect(p.writes.log).toEqual([]);
    // Nothing more comes of asking for offers.
    expect(offers(p.contact)).toMatchObject({ kind: 'unchanged' });
  });

  it('keeps a department route as the routing table gives it (fraud goes to fraud, not to retention)', () => {
    const p = written(start(makeAccount(), on, 'FRAUD_REPORT'));
    expect(p.contact.route).toMatchObject({ queue: 'FRAUD' });
    expect(p.contact.route.ruleId).not.toBe(KILL_SWITCH_RULE);
  });

  it('presents no offer to a verified contact and hands it to a person', () => {
    const contact = verifiedPremiumContact(ID);
    expect(written(offers(contact, config)).writes.log.length).toBeGreaterThan(0);
    const p = written(offers(contact));
    expect(p.writes.log).toEqual([]);
    expect(p.contact).toMatchObject({ stage: 'ROUTED', current: [], offers: [] });
    expect(p.contact.route.ruleId).toBe(KILL_SWITCH_RULE);
    expect(p.contact.route.queue).toMatch(/^(RETENTION_SPECIALIST|VIP_RETENTION)$/);
  });

  describe('offers already on the table when it is turned on', () => {
    const table = () => written(offers(verifiedPremiumContact(ID), config)).contact;

    it('an accept is recorded and honoured (the customer was told)', () => {
      const before = table();
      const id = before.offers.find(
        (o) => before.current.includes(o.offerId) && o.authority === 'AGENT',
      )!.offerId;
      const p = written(respond(before, id, 'ACCEPTED'));
      expect(p.contact).toMatchObject({ stage: 'RETAINED', outcome: 'SAVED' });
      expect(p.writes.log.map((e) => e.event)).toEqual(['ACCEPTED']);
      expect(p.contact.answers.at(-1)).toMatchObject({ offerId: id, response: 'ACCEPTED' });
    });

    it('a decline is recorded; the others stay answerable; the last one sends the contact to a person, nothing new shown', () => {
      let c = table();
      const ids = [...c.current];
      expect(ids.length).toBeGreaterThan(1);
      for (const [i, id] of ids.entries()) {
        const p = written(respond(c, id, 'DECLINED'));
        c = p.contact;
        expect(p.writes.log.map((e) => e.event)).toEqual(['DECLINED']);
        if (i < ids.length - 1) expect(c).toMatchObject({ stage: 'OFFER', current: ids.slice(i + 1) });
      }
      expect(c).toMatchObject({ stage: 'ROUTED', current: [] });
      expect(c.route.ruleId).toBe(KILL_SWITCH_RULE);
      expect(c.offers.map((o) => o.offerId)).toEqual(ids);
      expect(c.answers.at(-1)?.result).toMatchObject({ stage: 'ROUTED', offerIds: [] });
      // A repeat of the last answer is the same answer, not a second record.
      expect(respond(c, ids.at(-1)!, 'DECLINED')).toMatchObject({ kind: 'unchanged' });
    });
  });
});
