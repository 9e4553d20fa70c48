import { describe, expect, it } from 'vitest';
import { DecisionConfigSchema } from '../../shared/schemas/config';
import { config } from '../fakes/accounts';

describe('decision configuration', () => {
  it('the default configuration is valid', () => {
    expect(DecisionConfigSchema.safeParse(config).success).toBe(true);
  });
  it('every call type has a policy and the routing table ends in a catch-all', () => {
    expect(Object.keys(config.callTypes).sort()).toHaveLength(9);
    expect(config.routing.at(-1)!.when).toEqual({});
  });
  it.each([
    [
      'unknown fact',
      (c: any) => {
        c.offers[0].conditions[0].fact = 'shoeSize';
      },
      'offers.0.conditions.0.fact',
    ],
    [
      'duplicate offer id',
      (c: any) => {
        c.offers[1].offerId = c.offers[0].offerId;
      },
      'offers.1.offerId',
    ],
    [
      'cross-sell without product',
      (c: any) => {
        delete c.offers.at(-1).product;
      },
      `offers.${config.offers.length - 1}.product`,
    ],
    [
      'probability out of range',
      (c: any) => {
        c.offers[2].acceptProbability = 1.5;
      },
      'offers.2.acceptProbability',
    ],
    [
      'unknown field',
      (c: any) => {
        c.offers[0].colour = 'red';
      },
      'offers.0',
    ],
  ])('rejects %s with the failing path', (_n, mutate, path) => {
    const c = structuredClone(config);
    mutate(c);
    const r = DecisionConfigSchema.safeParse(c);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
