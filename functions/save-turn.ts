import { accountStore, contactStore, turnStore } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { type DecideOutput, saveTurn } from '../shared/application/turn';
import type { AccountStore, ContactStore, TurnStore } from '../shared/ports';

/**
 * SaveTurn: the turn's one write (contact, offer log, counters) in one transaction. The contact is
 * read again only when the write lost a race, to answer a repeat with its first result; the account
 * only when the contact's copy of it was stale, to bring the copy up to date.
 */
export const makeHandler = (deps: { store: TurnStore; contacts?: ContactStore; accounts?: AccountStore }) =>
  taskHandler('SaveTurn', (e: { plan: DecideOutput }) =>
    saveTurn(e.plan, deps.store, deps.contacts, deps.accounts),
  );

export const handler = lazyHandler(() =>
  makeHandler({ store: turnStore(), contacts: contactStore(), accounts: accountStore() }),
);
