import {
  accountStore,
  configSource,
  contactKey,
  contactStore,
  counterStore,
  pepper,
} from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { type DecideDeps, decideTurn } from '../shared/application/turn';
import type { TurnInput } from '../shared/schemas/api';

/** DecideTurn: the turn's one read and its whole decision (a plan SaveTurn stores). Writes nothing. */
export const makeHandler = (deps: DecideDeps) =>
  taskHandler('DecideTurn', (input: TurnInput) => decideTurn(input, deps));

export const handler = lazyHandler(() =>
  makeHandler({
    contacts: contactStore(),
    accounts: accountStore(),
    config: configSource(),
    counters: counterStore(),
    contactKey,
    pepper,
  }),
);
