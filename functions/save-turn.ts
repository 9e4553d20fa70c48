import { turnStore } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { saveTurn } from '../shared/application/tasks';
import type { TurnStore } from '../shared/ports';

/** SaveTurn: the turn's one write (contact, offer log, account counters) in one transaction. */
export const makeHandler = (deps: { store: TurnStore }) => taskHandler((e) => saveTurn(e.state, deps.store));

export const handler = lazyHandler(() => makeHandler({ store: turnStore() }));
