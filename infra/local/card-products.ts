import { type CardProduct, CardProductSchema } from '../../shared/schemas/account';

type CardFamily = CardProduct['family'];

/**
 * The issuer's card products, as data. Fees and APRs are typical of US cards in 2026; the
 * rewards rate is the blended value returned per unit of spend (points valued at 1 cent).
 * Validated on load, so a typo here fails fast.
 */
export const CARD_PRODUCTS: readonly CardProduct[] = CardProductSchema.array().parse([
  {
    code: 'VOYAGER_PREMIUM',
    name: 'Voyager Premium Travel Card',
    family: 'PREMIUM_TRAVEL',
    annualFee: 550,
    apr: 0.2474,
    rewardsRate: 0.015,
  },
  {
    code: 'SUMMIT_REWARDS',
    name: 'Summit Rewards Card',
    family: 'REWARDS',
    annualFee: 95,
    apr: 0.2399,
    rewardsRate: 0.015,
  },
  {
    code: 'HARVEST_CASHBACK',
    name: 'Harvest Cashback Card',
    family: 'CASHBACK',
    annualFee: 0,
    apr: 0.2299,
    rewardsRate: 0.015,
  },
  {
    code: 'HARVEST_CASHBACK_PLUS',
    name: 'Harvest Cashback Plus Card',
    family: 'CASHBACK',
    annualFee: 95,
    apr: 0.2299,
    rewardsRate: 0.02,
  },
  {
    code: 'CLASSIC',
    name: 'Classic Card',
    family: 'CLASSIC',
    annualFee: 0,
    apr: 0.2149,
    rewardsRate: 0,
  },
  {
    code: 'CAMPUS_STUDENT',
    name: 'Campus Student Card',
    family: 'STUDENT',
    annualFee: 0,
    apr: 0.1924,
    rewardsRate: 0.01,
  },
  {
    code: 'BUILDER_SECURED',
    name: 'Builder Secured Card',
    family: 'SECURED',
    annualFee: 0,
    apr: 0.2824,
    rewardsRate: 0,
  },
]);

/** The product with that code; throws for an unknown code. */
export function cardProduct(code: string): CardProduct {
  const p = CARD_PRODUCTS.find((c) => c.code === code);
  if (!p) throw new Error(`unknown card product ${code}`);
  return { ...p };
}

/**
 * Interchange the issuer earns per unit of spend, by family (premium cards carry the highest
 * network rates, secured and student cards the lowest). Used by the synthetic portfolio.
 */
export const INTERCHANGE_RATE: Readonly<Record<CardFamily, number>> = {
  PREMIUM_TRAVEL: 0.02,
  REWARDS: 0.019,
  CASHBACK: 0.018,
  CLASSIC: 0.0165,
  STUDENT: 0.0155,
  SECURED: 0.015,
};

/** Late or returned-payment fee charged per LATE or MISSED statement. */
export const LATE_FEE = 39;

/** Foreign transaction fee on cards other than premium travel, as a share of foreign spend. */
export const FOREIGN_TRANSACTION_FEE = 0.03;
