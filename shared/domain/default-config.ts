import type { CallType, DecisionConfig, Offer } from '../schemas/config';

/**
 * The first decision configuration: segments, routing, call-type policy and the offer catalog.
 * It is data: seeded into the catalog table and validated by DecisionConfigSchema; the product
 * owner changes it by writing a new version, not by deploying.
 */
const SALES: CallType[] = [
  'CLOSE_ACCOUNT',
  'FEE_COMPLAINT',
  'RATE_COMPLAINT',
  'COMPETITOR_OFFER',
  'REWARDS_DISSATISFACTION',
  'BILLING_DISPUTE',
  'GENERAL_INQUIRY',
];
const RETENTION_CALLS: CallType[] = [
  'CLOSE_ACCOUNT',
  'FEE_COMPLAINT',
  'RATE_COMPLAINT',
  'COMPETITOR_OFFER',
  'REWARDS_DISSATISFACTION',
];
const noCost = { fixed: 0, annualFeeShare: 0, interestShare: 0, spendShare: 0 };

const retention: Offer[] = [
  {
    offerId: 'annual-fee-waiver',
    kind: 'RETENTION',
    type: 'FEE_WAIVER',
    title: 'Waive this year’s annual fee',
    callTypes: ['CLOSE_ACCOUNT', 'FEE_COMPLAINT', 'COMPETITOR_OFFER', 'REWARDS_DISSATISFACTION'],
    cardSegments: ['PREMIUM', 'REWARDS_FEE'],
    conditions: [
      { fact: 'annualFee', op: 'gt', value: 0 },
      { fact: 'riskScore', op: 'lt', value: 0.15 },
    ],
    cost: { ...noCost, annualFeeShare: 1 },
    acceptProbability: 0.55,
    authority: 'SPECIALIST',
    budget: { period: 'MONTH', maxCost: 250_000 },
    scripts: {
      voice: 'Because you are a valued customer, we can waive this year’s annual fee. Would you like that?',
      chat: 'As a valued customer, we can waive this year’s annual fee on your card. Shall we do that?',
      agent: 'Offer a full waiver of the next annual fee. Authority: retention specialist.',
    },
  },
  {
    offerId: 'half-fee-credit',
    kind: 'RETENTION',
    type: 'STATEMENT_CREDIT',
    title: 'Statement credit of half the annual fee',
    callTypes: ['CLOSE_ACCOUNT', 'FEE_COMPLAINT', 'COMPETITOR_OFFER', 'REWARDS_DISSATISFACTION'],
    cardSegments: ['PREMIUM', 'REWARDS_FEE'],
    conditions: [
      { fact: 'annualFee', op: 'gt', value: 0 },
      { fact: 'riskScore', op: 'lt', value: 0.15 },
    ],
    cost: { ...noCost, annualFeeShare: 0.5 },
    acceptProbability: 0.35,
    scripts: {
      voice: 'We can credit half of your annual fee to your next statement. Would that help?',
      chat: 'We can credit half of your annual fee to your next statement. Would you like that?',
      agent: 'Offer a statement credit of 50 % of the annual fee.',
    },
  },
  {
    offerId: 'no-fee-product-change',
    kind: 'RETENTION',
    type: 'PRODUCT_CHANGE',
    title: 'Switch to our no-fee card, same account',
    callTypes: ['CLOSE_ACCOUNT', 'FEE_COMPLAINT'],
    cardSegments: ['PREMIUM', 'REWARDS_FEE'],
    conditions: [
      { fact: 'annualFee', op: 'gt', value: 0 },
      { fact: 'annualSpend', op: 'lt', value: 8000 },
      { fact: 'riskScore', op: 'lt', value: 0.15 },
    ],
    cost: { ...noCost, annualFeeShare: 1 },
    acceptProbability: 0.6,
    scripts: {
      voice:
        'You could keep your account and credit history and switch to our card with no annual fee. Shall I switch it?',
      chat: 'You can keep your account and history and move to our no-annual-fee card. Want me to switch it?',
      agent: 'Offer a product change to the no-fee Classic card; account number and history are kept.',
    },
  },
  {
    offerId: 'apr-cut-6m',
    kind: 'RETENTION',
    type: 'APR_REDUCTION',
    title: 'Five points off your purchase rate for 6 months',
    callTypes: ['CLOSE_ACCOUNT', 'RATE_COMPLAINT', 'COMPETITOR_OFFER'],
    customerSegments: ['PROFITABLE_REVOLVER', 'REVOLVER'],
    conditions: [
      { fact: 'revolvingBalance', op: 'gte', value: 500 },
      { fact: 'riskScore', op: 'lt', value: 0.15 },
    ],
    cost: { ...noCost, interestShare: 0.12 },
    acceptProbability: 0.5,
    scripts: {
      voice: 'We can lower your purchase rate by five points for the next six months. Would you like that?',
      chat: 'We can take five points off your purchase APR for six months. Interested?',
      agent: 'Offer an APR reduction of 5 points for 6 months on purchases.',
    },
  },
  {
    offerId: 'bonus-points-3k',
    kind: 'RETENTION',
    type: 'BONUS_POINTS',
    title: '20,000 bonus points after 3,000 of spend in 3 months',
    callTypes: ['CLOSE_ACCOUNT', 'REWARDS_DISSATISFACTION', 'COMPETITOR_OFFER'],
    customerSegments: ['PREMIUM_TRANSACTOR', 'TRANSACTOR', 'NEW'],
    conditions: [{ fact: 'rewardsRate', op: 'gt', value: 0 }],
    cost: { ...noCost, fixed: 200 },
    acceptProbability: 0.4,
    scripts: {
      voice:
        'If you spend three thousand in the next three months, we will add twenty thousand bonus points. Shall I add that?',
      chat: 'Spend 3,000 in the next 3 months and we add 20,000 bonus points. Want it?',
      agent: 'Offer 20,000 bonus points after 3,000 of spend within 90 days.',
    },
  },
  {
    offerId: 'credit-line-increase',
    kind: 'RETENTION',
    type: 'CREDIT_LINE_INCREASE',
    title: 'A higher credit line',
    callTypes: ['CLOSE_ACCOUNT', 'COMPETITOR_OFFER'],
    // Ability to pay: only for customers who use the line, pay reliably and are unlikely to default.
    conditions: [
      { fact: 'utilization', op: 'gte', value: 0.5 },
      { fact: 'fullPayRatio', op: 'gte', value: 0.5 },
      { fact: 'latePayments', op: 'eq', value: 0 },
      { fact: 'riskScore', op: 'lt', value: 0.08 },
    ],
    cost: { ...noCost, fixed: 40 },
    acceptProbability: 0.35,
    authority: 'SUPERVISOR',
    budget: { period: 'DAY', maxAccepts: 200 },
    scripts: {
      voice: 'You qualify for a higher credit line. Would you like us to raise it?',
      chat: 'You qualify for a higher credit line. Shall we raise it?',
      agent: 'Offer a credit line increase of up to 25 %; customer passes ability-to-pay checks.',
    },
  },
  {
    offerId: 'late-fee-refund',
    kind: 'RETENTION',
    type: 'LATE_FEE_REFUND',
    title: 'Refund of your last late fee',
    callTypes: ['CLOSE_ACCOUNT', 'FEE_COMPLAINT', 'BILLING_DISPUTE'],
    conditions: [
      { fact: 'latePayments', op: 'gte', value: 1 },
      { fact: 'latePayments', op: 'lte', value: 2 },
      { fact: 'riskScore', op: 'lt', value: 0.15 },
    ],
    cost: { ...noCost, fixed: 39 },
    acceptProbability: 0.7,
    scripts: {
      voice: 'We can refund your last late fee as a courtesy. Would you like that?',
      chat: 'As a courtesy we can refund your last late fee. Shall we?',
      agent: 'Offer a one-time refund of the last late fee.',
    },
  },
  {
    offerId: 'dormant-spend-credit',
    kind: 'RETENTION',
    type: 'STATEMENT_CREDIT',
    title: 'A 50 credit when you spend 500 in 90 days',
    callTypes: ['CLOSE_ACCOUNT', 'REWARDS_DISSATISFACTION', 'GENERAL_INQUIRY'],
    customerSegments: ['DORMANT'],
    conditions: [],
    cost: { ...noCost, fixed: 50 },
    acceptProbability: 0.3,
    scripts: {
      voice:
        'If you use your card for five hundred in the next ninety days, we will credit fifty to your account. Interested?',
      chat: 'Spend 500 in the next 90 days and we credit 50 to your account. Interested?',
      agent: 'Offer a 50 statement credit after 500 of spend within 90 days (reactivation).',
    },
  },
  {
    offerId: 'new-customer-bonus',
    kind: 'RETENTION',
    type: 'BONUS_POINTS',
    title: '10,000 welcome-back points',
    callTypes: ['CLOSE_ACCOUNT', 'REWARDS_DISSATISFACTION', 'FEE_COMPLAINT'],
    customerSegments: ['NEW'],
    conditions: [],
    cost: { ...noCost, fixed: 100 },
    acceptProbability: 0.45,
    scripts: {
      voice:
        'Since you joined us recently, we can add ten thousand points to help you get started. Shall I add them?',
      chat: 'As a new customer you can have 10,000 points on us. Shall I add them?',
      agent: 'Offer 10,000 points to a customer in the first 6 months.',
    },
  },
];

const crossSell: Offer[] = [
  {
    offerId: 'travel-card',
    kind: 'CROSS_SELL',
    type: 'NEW_PRODUCT',
    title: 'Travel card with no foreign transaction fees',
    callTypes: SALES,
    product: 'TRAVEL_CARD',
    conditions: [
      { fact: 'travelShare', op: 'gte', value: 0.25 },
      { fact: 'cardFamily', op: 'notIn', value: ['PREMIUM_TRAVEL'] },
      { fact: 'riskScore', op: 'lt', value: 0.1 },
    ],
    cost: { ...noCost, fixed: 60 },
    acceptProbability: 0.25,
    annualMargin: 180,
    scripts: {
      voice:
        'Much of your spending is on travel. Our travel card has no foreign transaction fees. Would you like to hear more?',
      chat: 'A lot of your spending is travel: our travel card has no foreign transaction fees. Interested?',
      agent: 'Suggest the travel card: travel is a large share of spend.',
    },
  },
  {
    offerId: 'cashback-card',
    kind: 'CROSS_SELL',
    type: 'NEW_PRODUCT',
    title: 'Cashback card: 3 % on groceries',
    callTypes: SALES,
    product: 'CASHBACK_CARD',
    conditions: [
      { fact: 'groceriesShare', op: 'gte', value: 0.3 },
      { fact: 'cardFamily', op: 'notIn', value: ['CASHBACK'] },
      { fact: 'riskScore', op: 'lt', value: 0.1 },
    ],
    cost: { ...noCost, fixed: 40 },
    acceptProbability: 0.25,
    annualMargin: 120,
    scripts: {
      voice:
        'You spend a lot on groceries. Our cashback card pays three percent back on them. Would you like it?',
      chat: 'You spend a lot on groceries: our cashback card pays 3 % back on them. Interested?',
      agent: 'Suggest the cashback card: groceries are a large share of spend.',
    },
  },
  {
    offerId: 'balance-transfer',
    kind: 'CROSS_SELL',
    type: 'NEW_PRODUCT',
    title: 'Balance transfer at a low fixed rate',
    callTypes: SALES,
    product: 'BALANCE_TRANSFER',
    conditions: [
      { fact: 'revolvingBalance', op: 'gte', value: 2000 },
      { fact: 'latePayments', op: 'eq', value: 0 },
      { fact: 'riskScore', op: 'lt', value: 0.12 },
    ],
    cost: { ...noCost, fixed: 75 },
    acceptProbability: 0.2,
    annualMargin: 150,
    scripts: {
      voice:
        'You could move your balance to a low fixed rate and pay it down faster. Would you like details?',
      chat: 'You could move your balance to a low fixed rate and pay it down faster. Want details?',
      agent: 'Suggest a balance transfer: revolving balance and clean payment record.',
    },
  },
  {
    offerId: 'high-yield-savings',
    kind: 'CROSS_SELL',
    type: 'NEW_PRODUCT',
    title: 'High-yield savings account',
    callTypes: SALES,
    product: 'SAVINGS',
    // A record of paying in full, long enough to mean something, and low risk.
    conditions: [
      { fact: 'fullPayRatio', op: 'gte', value: 0.8 },
      { fact: 'tenureMonths', op: 'gte', value: 6 },
      { fact: 'riskScore', op: 'lt', value: 0.1 },
    ],
    cost: { ...noCost, fixed: 20 },
    acceptProbability: 0.2,
    annualMargin: 90,
    scripts: {
      voice:
        'You always pay in full. Our high-yield savings account could make your spare cash work harder. Interested?',
      chat: 'You always pay in full: our high-yield savings account could suit you. Interested?',
      agent: 'Suggest the high-yield savings account: customer pays in full.',
    },
  },
  {
    offerId: 'checking-account',
    kind: 'CROSS_SELL',
    type: 'NEW_PRODUCT',
    title: 'Checking account with no monthly fee',
    callTypes: SALES,
    product: 'CHECKING',
    // Pays the card from another bank reliably: a checking account here makes that one click.
    conditions: [
      { fact: 'fullPayRatio', op: 'gte', value: 0.5 },
      { fact: 'tenureMonths', op: 'gte', value: 6 },
      { fact: 'riskScore', op: 'lt', value: 0.1 },
    ],
    cost: { ...noCost, fixed: 25 },
    acceptProbability: 0.15,
    annualMargin: 70,
    scripts: {
      voice:
        'You could pay your card straight from a checking account with us, with no monthly fee. Would you like one?',
      chat: 'You could pay your card straight from a no-fee checking account with us. Interested?',
      agent: 'Suggest the no-fee checking account: customer pays reliably from another bank.',
    },
  },
];

export const DEFAULT_CONFIG: DecisionConfig = {
  version: '2026-11-23.1',
  customerSegments: {
    rules: [
      {
        segment: 'DELINQUENT',
        description: 'two or more missed payments',
        when: [{ fact: 'missedPayments', op: 'gte', value: 2 }],
      },
      {
        segment: 'DELINQUENT',
        description: 'three or more late or missed payments',
        when: [{ fact: 'latePayments', op: 'gte', value: 3 }],
      },
      {
        segment: 'HIGH_RISK',
        description: 'likely to default',
        when: [{ fact: 'riskScore', op: 'gte', value: 0.2 }],
      },
      {
        segment: 'NEW',
        description: 'customer for under 6 months',
        when: [{ fact: 'tenureMonths', op: 'lt', value: 6 }],
      },
      {
        segment: 'DORMANT',
        description: 'no spend in 3 months',
        when: [{ fact: 'spendLast3m', op: 'eq', value: 0 }],
      },
      {
        segment: 'PREMIUM_TRANSACTOR',
        description: 'pays in full and spends a lot',
        // Rules may be CEL expressions over the facts, or lists of conditions as below.
        expression: 'fullPayRatio >= 0.8 && annualSpend >= 30000',
      },
      {
        segment: 'PROFITABLE_REVOLVER',
        description: 'carries a balance and earns the issuer a good margin',
        when: [
          { fact: 'revolvingBalance', op: 'gte', value: 1000 },
          { fact: 'annualProfit', op: 'gte', value: 300 },
        ],
      },
      {
        segment: 'TRANSACTOR',
        description: 'pays in full',
        when: [{ fact: 'fullPayRatio', op: 'gte', value: 0.8 }],
      },
      {
        segment: 'REVOLVER',
        description: 'carries a balance',
        when: [{ fact: 'revolvingBalance', op: 'gt', value: 0 }],
      },
    ],
    fallback: 'STANDARD',
  },
  cardSegments: {
    rules: [
      {
        segment: 'PREMIUM',
        description: 'annual fee of 250 or more',
        when: [{ fact: 'annualFee', op: 'gte', value: 250 }],
      },
      {
        segment: 'REWARDS_FEE',
        description: 'a fee-paying card',
        when: [{ fact: 'annualFee', op: 'gt', value: 0 }],
      },
      {
        segment: 'ENTRY',
        description: 'student or secured card',
        when: [{ fact: 'cardFamily', op: 'in', value: ['STUDENT', 'SECURED'] }],
      },
    ],
    fallback: 'NO_FEE',
  },
  callTypes: {
    CLOSE_ACCOUNT: { closing: true, salesAllowed: true, churnRisk: 0.9 },
    FEE_COMPLAINT: { closing: false, salesAllowed: true, churnRisk: 0.35 },
    RATE_COMPLAINT: { closing: false, salesAllowed: true, churnRisk: 0.35 },
    COMPETITOR_OFFER: { closing: false, salesAllowed: true, churnRisk: 0.6 },
    REWARDS_DISSATISFACTION: { closing: false, salesAllowed: true, churnRisk: 0.4 },
    LOST_OR_STOLEN: { closing: false, salesAllowed: false, churnRisk: 0 },
    FRAUD_REPORT: { closing: false, salesAllowed: false, churnRisk: 0 },
    BILLING_DISPUTE: { closing: false, salesAllowed: true, churnRisk: 0.2 },
    GENERAL_INQUIRY: { closing: false, salesAllowed: true, churnRisk: 0.05 },
  },
  routing: [
    {
      id: 'locked',
      reason: 'Too many failed verification attempts: security verifies the caller',
      when: { verification: ['LOCKED'] },
      queue: 'SECURITY',
      priority: 1,
      stage: 'LOCKED',
    },
    {
      id: 'fraud-or-lost-card',
      reason: 'Fraud report or lost or stolen card: the fraud team takes it, no sales offer',
      when: { callTypes: ['FRAUD_REPORT', 'LOST_OR_STOLEN'] },
      queue: 'FRAUD',
      priority: 1,
      stage: 'ROUTED',
    },
    {
      id: 'unidentified',
      reason: 'No account matches the caller: general service identifies them',
      when: { identified: false },
      queue: 'GENERAL_SERVICE',
      priority: 3,
      stage: 'UNIDENTIFIED',
    },
    {
      id: 'fraud-hold',
      reason: 'Account on fraud hold: the fraud team takes it, no sales offer',
      when: { anyFlag: ['fraudHold'] },
      queue: 'FRAUD',
      priority: 1,
      stage: 'ROUTED',
    },
    {
      id: 'special-handling',
      reason: 'Deceased, bankrupt or closed account: specialist service, no sales offer',
      when: { anyFlag: ['deceased', 'bankruptcy', 'closed'] },
      queue: 'GENERAL_SERVICE',
      priority: 2,
      stage: 'ROUTED',
    },
    {
      id: 'collections-flag',
      reason: 'Account in collections: collections takes it, no sales offer',
      when: { anyFlag: ['collections'] },
      queue: 'COLLECTIONS',
      priority: 2,
      stage: 'ROUTED',
    },
    {
      id: 'delinquent',
      reason: 'Delinquent payment history: collections takes it, no sales offer',
      when: { customerSegments: ['DELINQUENT'] },
      queue: 'COLLECTIONS',
      priority: 2,
      stage: 'ROUTED',
    },
    {
      id: 'vip-retention',
      reason: 'High-value customer wants to leave or complains: VIP retention',
      when: { callTypes: RETENTION_CALLS, minAnnualProfit: 800 },
      queue: 'VIP_RETENTION',
      priority: 1,
      stage: 'CONTINUE',
    },
    {
      id: 'retention',
      reason: 'Customer wants to leave or complains: retention specialist',
      when: { callTypes: RETENTION_CALLS },
      queue: 'RETENTION_SPECIALIST',
      priority: 2,
      stage: 'CONTINUE',
    },
    {
      id: 'service',
      reason: 'Service request',
      when: {},
      queue: 'GENERAL_SERVICE',
      priority: 3,
      stage: 'CONTINUE',
    },
  ],
  verification: { requiredFactors: 2, maxFailures: 3, lockMinutes: 30 },
  value: { lossGivenDefault: 0.85, horizonYears: 3, discountRate: 0.1, retentionRate: 0.85 },
  limits: { offersPerTurn: 3, maxRetentionOffers: 4, maxCrossSellOffers: 2 },
  offers: [...retention, ...crossSell],
};
