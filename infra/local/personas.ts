import { createHash } from 'node:crypto';
import { hashFactor } from '../../shared/domain/verification';
import {
  type Account,
  type AccountFlags,
  type HeldProduct,
  type PaymentStatus,
  SPEND_CATEGORIES,
  type SpendByCategory,
} from '../../shared/schemas/account';
import { cardProduct, FOREIGN_TRANSACTION_FEE, INTERCHANGE_RATE, LATE_FEE } from './card-products';
import { monthsBefore } from './portfolio';

/**
 * Named demo personas: one per interesting case of DEFAULT_CONFIG, each written out by hand (no
 * PRNG). Their clear factors are for demos and tests; the accounts store only salted hashes.
 * Dates are relative to `asOf`, so tenure-based segments hold whenever the stack runs. Phones are
 * in the reserved fictional range +1 555 555 01NN.
 */
export interface Persona {
  name: string;
  accountId: string;
  phone: string;
  last4: string;
  zip: string;
  dob: string;
  pin?: string;
  story: string;
  /** Where the account lands under DEFAULT_CONFIG for a verified CLOSE_ACCOUNT call. */
  expect: { customerSegment: string; cardSegment: string; routeQueue: string };
}

type Category = (typeof SPEND_CATEGORIES)[number];

interface PersonaSpec {
  n: number;
  name: string;
  story: string;
  factors: { last4: string; zip: string; dob: string; pin?: string };
  expect: Persona['expect'];
  productCode: string;
  tenureMonths: number;
  /** Oldest first, the last entry the most recent month. */
  monthlySpend: number[];
  /** Share of spend per category; `other` takes what is left. */
  mix: Partial<Record<Exclude<Category, 'other'>, number>>;
  payments: PaymentStatus[];
  creditLimit: number;
  balance: number;
  revolvingBalance: number;
  riskScore: number;
  servicing: number;
  productsHeld: HeldProduct[];
  flags?: Partial<AccountFlags>;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const times = <T>(n: number, v: T): T[] => Array.from({ length: n }, () => v);

const NO_FLAGS: AccountFlags = {
  fraudHold: false,
  collections: false,
  bankruptcy: false,
  deceased: false,
  closed: false,
};

/** Deterministic salt per persona, so the stored account is the same on every run. */
function personaSalt(accountId: string): string {
  return createHash('sha256').update(`retention-desk persona salt:${accountId}`).digest('hex').slice(0, 32);
}

function toAccount(s: PersonaSpec, asOf: string, pepper: string): { persona: Persona; account: Account } {
  const accountId = `PER-${String(s.n).padStart(4, '0')}`;
  const phone = `+155555501${String(s.n).padStart(2, '0')}`;
  const product = cardProduct(s.productCode);
  const annualSpend = round2(sum(s.monthlySpend));
  const spendByCategory = {} as SpendByCategory;
  let allocated = 0;
  for (const c of SPEND_CATEGORIES) {
    if (c === 'other') continue;
    spendByCategory[c] = round2(annualSpend * (s.mix[c] ?? 0));
    allocated += spendByCategory[c];
  }
  spendByCategory.other = Math.max(0, round2(annualSpend - allocated));
  const lateOrMissed = s.payments.filter((p) => p === 'LATE' || p === 'MISSED').length;
  const foreignFees =
    product.family === 'PREMIUM_TRAVEL' ? 0 : spendByCategory.travel * 0.3 * FOREIGN_TRANSACTION_FEE;
  const salt = personaSalt(accountId);
  const f = s.factors;
  const account: Account = {
    accountId,
    customerId: `CUS-P${String(s.n).padStart(4, '0')}`,
    phone,
    openedOn: monthsBefore(asOf, s.tenureMonths, 15),
    product,
    creditLimit: s.creditLimit,
    balance: s.balance,
    revolvingBalance: s.revolvingBalance,
    monthlySpend: s.monthlySpend,
    spendByCategory,
    payments: s.payments,
    revenue12m: {
      interchange: round2(annualSpend * INTERCHANGE_RATE[product.family]),
      interest: round2(s.revolvingBalance * product.apr),
      fees: round2(product.annualFee + LATE_FEE * lateOrMissed + foreignFees),
    },
    cost12m: { rewards: round2(annualSpend * product.rewardsRate), servicing: s.servicing },
    riskScore: s.riskScore,
    flags: { ...NO_FLAGS, ...s.flags },
    productsHeld: s.productsHeld,
    verification: {
      salt,
      last4Hash: hashFactor(pepper, salt, 'last4', f.last4),
      zipHash: hashFactor(pepper, salt, 'zip', f.zip),
      dobHash: hashFactor(pepper, salt, 'dob', f.dob),
      ...(f.pin !== undefined ? { pinHash: hashFactor(pepper, salt, 'pin', f.pin) } : {}),
      failures: 0,
    },
  };
  const persona: Persona = {
    name: s.name,
    accountId,
    phone,
    last4: f.last4,
    zip: f.zip,
    dob: f.dob,
    ...(f.pin !== undefined ? { pin: f.pin } : {}),
    story: s.story,
    expect: s.expect,
  };
  return { persona, account };
}

const SPECS: readonly PersonaSpec[] = [
  {
    n: 1,
    name: 'Ava, loyal premium transactor',
    story:
      'Eight years on the Voyager premium travel card, spends about 90,000 a year and always pays in full.',
    factors: { last4: '4417', zip: '94110', dob: '1978-04-12', pin: '2580' },
    expect: { customerSegment: 'PREMIUM_TRANSACTOR', cardSegment: 'PREMIUM', routeQueue: 'VIP_RETENTION' },
    productCode: 'VOYAGER_PREMIUM',
    tenureMonths: 96,
    monthlySpend: [6800, 7200, 7900, 8400, 7100, 6900, 9800, 8600, 7300, 6700, 6900, 6400],
    mix: { travel: 0.22, dining: 0.24, groceries: 0.16, fuel: 0.04, online: 0.14 },
    payments: times(12, 'FULL'),
    creditLimit: 50000,
    balance: 6400,
    revolvingBalance: 0,
    riskScore: 0.008,
    servicing: 55,
    productsHeld: ['CHECKING', 'SAVINGS', 'MORTGAGE'],
  },
  {
    n: 2,
    name: 'Ben, profitable revolver',
    story:
      'Carries about 3,200 on his Classic card month after month, pays more than the minimum, never late.',
    factors: { last4: '8832', zip: '60614', dob: '1985-09-03', pin: '1357' },
    expect: {
      customerSegment: 'PROFITABLE_REVOLVER',
      cardSegment: 'NO_FEE',
      routeQueue: 'RETENTION_SPECIALIST',
    },
    productCode: 'CLASSIC',
    tenureMonths: 52,
    monthlySpend: [640, 700, 590, 720, 660, 610, 680, 750, 630, 690, 520, 610],
    mix: { travel: 0.05, dining: 0.18, groceries: 0.24, fuel: 0.14, online: 0.17 },
    payments: [
      'PARTIAL',
      'MINIMUM',
      'PARTIAL',
      'PARTIAL',
      'MINIMUM',
      'PARTIAL',
      'MINIMUM',
      'PARTIAL',
      'PARTIAL',
      'MINIMUM',
      'PARTIAL',
      'PARTIAL',
    ],
    creditLimit: 6000,
    balance: 3810,
    revolvingBalance: 3200,
    riskScore: 0.05,
    servicing: 35,
    productsHeld: ['CHECKING', 'AUTO_LOAN'],
  },
  {
    n: 3,
    name: 'Chloe, brand-new customer',
    story:
      'Opened a Summit Rewards card three months ago, was just billed the 95 first-year fee and wants out.',
    factors: { last4: '2093', zip: '02139', dob: '1996-02-20' },
    expect: { customerSegment: 'NEW', cardSegment: 'REWARDS_FEE', routeQueue: 'RETENTION_SPECIALIST' },
    productCode: 'SUMMIT_REWARDS',
    tenureMonths: 3,
    monthlySpend: [...times(8, 0), 780, 950, 920, 900],
    mix: { travel: 0.04, dining: 0.22, groceries: 0.28, fuel: 0.08, online: 0.24 },
    payments: [...times<PaymentStatus>(9, 'NO_BALANCE'), 'FULL', 'FULL', 'FULL'],
    creditLimit: 5000,
    balance: 900,
    revolvingBalance: 0,
    riskScore: 0.02,
    servicing: 25,
    productsHeld: ['CHECKING'],
  },
  {
    n: 4,
    name: 'Dev, dormant fee-paying card',
    story: 'Has not used his Summit Rewards card for six months but still pays its 95 annual fee.',
    factors: { last4: '5561', zip: '73301', dob: '1990-11-07', pin: '4826' },
    expect: { customerSegment: 'DORMANT', cardSegment: 'REWARDS_FEE', routeQueue: 'RETENTION_SPECIALIST' },
    productCode: 'SUMMIT_REWARDS',
    tenureMonths: 40,
    monthlySpend: [320, 280, 150, 410, 90, 60, 0, 0, 0, 0, 0, 0],
    mix: { travel: 0.05, dining: 0.3, groceries: 0.2, fuel: 0.1, online: 0.2 },
    payments: [...times<PaymentStatus>(7, 'FULL'), ...times<PaymentStatus>(5, 'NO_BALANCE')],
    creditLimit: 8000,
    balance: 0,
    revolvingBalance: 0,
    riskScore: 0.02,
    servicing: 25,
    productsHeld: ['CHECKING', 'SAVINGS'],
  },
  {
    n: 5,
    name: 'Elena, fee-sensitive light spender',
    story:
      'Spends about 500 a month on a 95-fee rewards card, pays in full, and calls to close over the fee.',
    factors: { last4: '7740', zip: '98103', dob: '1982-06-15', pin: '9163' },
    expect: { customerSegment: 'TRANSACTOR', cardSegment: 'REWARDS_FEE', routeQueue: 'RETENTION_SPECIALIST' },
    productCode: 'SUMMIT_REWARDS',
    tenureMonths: 30,
    monthlySpend: [480, 520, 510, 470, 530, 490, 500, 540, 460, 510, 510, 480],
    mix: { travel: 0.03, dining: 0.2, groceries: 0.27, fuel: 0.12, online: 0.2 },
    payments: times(12, 'FULL'),
    creditLimit: 7000,
    balance: 480,
    revolvingBalance: 0,
    riskScore: 0.02,
    servicing: 30,
    productsHeld: ['CHECKING'],
  },
  {
    n: 6,
    name: 'Frank, behind on payments',
    story:
      'Missed his last three payments and was late twice before: collections takes the call, no sales offer.',
    factors: { last4: '3308', zip: '44114', dob: '1971-01-29' },
    expect: { customerSegment: 'DELINQUENT', cardSegment: 'NO_FEE', routeQueue: 'COLLECTIONS' },
    productCode: 'CLASSIC',
    tenureMonths: 60,
    monthlySpend: [380, 420, 310, 450, 290, 330, 260, 180, 120, 0, 0, 0],
    mix: { travel: 0, dining: 0.12, groceries: 0.38, fuel: 0.2, online: 0.1 },
    payments: [
      'MINIMUM',
      'MINIMUM',
      'MINIMUM',
      'MINIMUM',
      'MINIMUM',
      'MINIMUM',
      'LATE',
      'MINIMUM',
      'LATE',
      'MISSED',
      'MISSED',
      'MISSED',
    ],
    creditLimit: 3000,
    balance: 3150,
    revolvingBalance: 3150,
    riskScore: 0.55,
    servicing: 45,
    productsHeld: ['CHECKING', 'PERSONAL_LOAN'],
  },
  {
    n: 7,
    name: 'Grace, card on fraud hold',
    story:
      'A good customer whose card was frozen after suspicious transactions: the fraud team takes the call.',
    factors: { last4: '6129', zip: '30306', dob: '1988-08-08', pin: '7051' },
    expect: { customerSegment: 'TRANSACTOR', cardSegment: 'NO_FEE', routeQueue: 'FRAUD' },
    productCode: 'HARVEST_CASHBACK',
    tenureMonths: 44,
    monthlySpend: [1150, 1230, 1080, 1310, 1190, 1240, 1120, 1280, 1170, 1220, 1260, 1300],
    mix: { travel: 0.06, dining: 0.18, groceries: 0.26, fuel: 0.1, online: 0.22 },
    payments: times(12, 'FULL'),
    creditLimit: 9000,
    balance: 1300,
    revolvingBalance: 0,
    riskScore: 0.02,
    servicing: 40,
    productsHeld: ['CHECKING', 'SAVINGS'],
    flags: { fraudHold: true },
  },
  {
    n: 8,
    name: 'Hiro, frequent traveller',
    story:
      'Puts flights and hotels on a Summit Rewards card (over 40 % of spend) and pays foreign transaction fees.',
    factors: { last4: '9054', zip: '10025', dob: '1979-12-02', pin: '3344' },
    expect: { customerSegment: 'TRANSACTOR', cardSegment: 'REWARDS_FEE', routeQueue: 'RETENTION_SPECIALIST' },
    productCode: 'SUMMIT_REWARDS',
    tenureMonths: 70,
    monthlySpend: [1900, 2400, 1700, 2600, 2100, 1800, 2900, 2500, 1900, 2000, 1600, 1800],
    mix: { travel: 0.42, dining: 0.2, groceries: 0.1, fuel: 0.03, online: 0.12 },
    payments: times(12, 'FULL'),
    creditLimit: 15000,
    balance: 1800,
    revolvingBalance: 0,
    riskScore: 0.02,
    servicing: 40,
    productsHeld: ['CHECKING'],
  },
  {
    n: 9,
    name: 'Isla, grocery-heavy family shopper',
    story: 'Nearly half her spend on a no-rewards Classic card is groceries for a family of five.',
    factors: { last4: '1476', zip: '55406', dob: '1984-03-17', pin: '6612' },
    expect: { customerSegment: 'TRANSACTOR', cardSegment: 'NO_FEE', routeQueue: 'RETENTION_SPECIALIST' },
    productCode: 'CLASSIC',
    tenureMonths: 84,
    monthlySpend: [1100, 1180, 1090, 1160, 1210, 1130, 1150, 1200, 1120, 1170, 1140, 1150],
    mix: { travel: 0.02, dining: 0.08, groceries: 0.46, fuel: 0.14, online: 0.12 },
    payments: times(12, 'FULL'),
    creditLimit: 10000,
    balance: 1150,
    revolvingBalance: 0,
    riskScore: 0.03,
    servicing: 35,
    productsHeld: ['CHECKING', 'SAVINGS', 'MORTGAGE'],
  },
  {
    n: 10,
    name: 'Jonas, one late fee',
    story:
      'Usually pays part of his balance on time; was late once two months ago and is upset about the 39 fee.',
    factors: { last4: '5820', zip: '80205', dob: '1992-07-24', pin: '8080' },
    expect: { customerSegment: 'REVOLVER', cardSegment: 'NO_FEE', routeQueue: 'RETENTION_SPECIALIST' },
    productCode: 'CLASSIC',
    tenureMonths: 36,
    monthlySpend: [980, 1020, 950, 1060, 990, 1010, 1040, 970, 1000, 1030, 960, 1000],
    mix: { travel: 0.04, dining: 0.22, groceries: 0.24, fuel: 0.12, online: 0.2 },
    payments: [
      'FULL',
      'PARTIAL',
      'FULL',
      'PARTIAL',
      'PARTIAL',
      'FULL',
      'PARTIAL',
      'PARTIAL',
      'FULL',
      'LATE',
      'PARTIAL',
      'PARTIAL',
    ],
    creditLimit: 5000,
    balance: 1800,
    revolvingBalance: 800,
    riskScore: 0.06,
    servicing: 35,
    productsHeld: ['CHECKING'],
  },
  {
    n: 11,
    name: 'Kai, high-risk secured cardholder',
    story:
      'Secured card near its limit, minimum payments, one missed and one late: no retention offer is suitable.',
    factors: { last4: '2267', zip: '85008', dob: '1999-05-11' },
    expect: { customerSegment: 'HIGH_RISK', cardSegment: 'ENTRY', routeQueue: 'RETENTION_SPECIALIST' },
    productCode: 'BUILDER_SECURED',
    tenureMonths: 20,
    monthlySpend: [110, 140, 90, 160, 120, 100, 150, 130, 80, 140, 110, 40],
    mix: { travel: 0, dining: 0.25, groceries: 0.3, fuel: 0.15, online: 0.15 },
    payments: [
      'MINIMUM',
      'MINIMUM',
      'MINIMUM',
      'LATE',
      'MINIMUM',
      'MINIMUM',
      'MINIMUM',
      'MISSED',
      'MINIMUM',
      'MINIMUM',
      'MINIMUM',
      'MINIMUM',
    ],
    creditLimit: 500,
    balance: 470,
    revolvingBalance: 430,
    riskScore: 0.34,
    servicing: 30,
    productsHeld: [],
  },
  {
    n: 12,
    name: 'Lena, student cardholder',
    story:
      'University student on the Campus card for a year, small spend on food and online, always pays in full.',
    factors: { last4: '0415', zip: '48104', dob: '2006-10-05', pin: '1029' },
    expect: { customerSegment: 'TRANSACTOR', cardSegment: 'ENTRY', routeQueue: 'RETENTION_SPECIALIST' },
    productCode: 'CAMPUS_STUDENT',
    tenureMonths: 14,
    monthlySpend: [210, 260, 240, 190, 280, 230, 250, 270, 220, 300, 260, 240],
    mix: { travel: 0.02, dining: 0.34, groceries: 0.14, fuel: 0.02, online: 0.33 },
    payments: times(12, 'FULL'),
    creditLimit: 1000,
    balance: 240,
    revolvingBalance: 0,
    riskScore: 0.05,
    servicing: 25,
    productsHeld: ['CHECKING'],
  },
];

/** The personas and their stored accounts, dated relative to `asOf` (YYYY-MM-DD). */
export function buildPersonas(asOf: string, pepper: string): Array<{ persona: Persona; account: Account }> {
  return SPECS.map((s) => toAccount(s, asOf, pepper));
}
