import { contactStore, turnStore } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { type DecideOutput, saveTurn } from '../shared/application/turn';
import type { ContactStore, TurnStore } from '../shared/ports';

/**
 * SaveTurn: the turn's one write (contact, offer log, counters) in one transaction. The contact is
 * read again only when the write lost a race, to answer a repeat with its first result.
 */
export const makeHandler = (deps: { store: TurnStore; contacts?: ContactStore }) =>
  taskHandler('SaveTurn', (e: { plan: DecideOutput }) => saveTurn(e.plan, deps.store, deps.contacts));

export const handler = lazyHandler(() => makeHandler({ store: turnStore(), contacts: contactStore() }));
