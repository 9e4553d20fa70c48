import type { Account } from '../schemas/account';
import type { AccountEvent } from '../schemas/import';

/**
 * The account as a change event leaves it (what the store writes, and what placement is decided on):
 * the change itself, the record's `asOf`, and the event as the account's last. A lost or stolen card
 * is blocked like a fraud hold; monitoring signals change no figure.
 */
export function accountAfterEvent(a: Account, e: AccountEvent): Account {
  const at = { asOf: e.asOf, lastEvent: { type: e.type, at: e.asOf } };
  const lastPayment = (status: Account['payments'][number]) => [...a.payments.slice(0, 11), status];
  switch (e.type) {
    case 'PAYMENT_MISSED':
      return { ...a, ...at, payments: lastPayment('MISSED') };
    case 'PAYMENT_MADE':
      return { ...a, ...at, payments: lastPayment(e.status) };
    case 'CARD_LOST_OR_STOLEN':
    case 'FRAUD_HOLD_SET':
      return { ...a, ...at, flags: { ...a.flags, fraudHold: true } };
    case 'FRAUD_HOLD_CLEARED':
      return { ...a, ...at, flags: { ...a.flags, fraudHold: false } };
    case 'PRODUCT_CHANGED':
      return { ...a, ...at, product: e.product };
    case 'SUSPICIOUS_PATTERN':
    case 'USAGE_DROP':
    case 'FEE_POSTED_LOW_USE':
      return { ...a, ...at };
  }
}
