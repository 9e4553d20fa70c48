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
import { DecisionConfigSchema } from '../shared/schemas/config';
import { ContactSchema } from '../shared/schemas/contact';
import { prebuild } from '../shared/schemas/lazy';

// Every cold start parses the active configuration, and every turn but a start reads its contact: both
// schemas are built at init, not inside the first turn (the others are built when a turn needs them).
prebuild(DecisionConfigSchema, ContactSchema);

/** DecideTurn: the turn's one read and its whole decision (a plan SaveTurn stores). Writes nothing. */
export const makeHandler = (deps: DecideDeps) =>
  taskHandler('DecideTurn', (input: TurnInput) => decideTurn(input, deps));

export const handler = lazyHandler('decide-turn', () =>
  makeHandler({
    contacts: contactStore(),
    accounts: accountStore(),
    config: configSource(),
    counters: counterStore(),
    contactKey,
    pepper,
  }),
);
