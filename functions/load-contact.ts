import { accountStore, configSource, contactStore } from '../shared/adapters/composition';
import { contactKey } from '../shared/adapters/pepper';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { loadTurn } from '../shared/application/tasks';
import type { AccountStore, ConfigSource, ContactStore } from '../shared/ports';

/** LoadContact: the turn's one read; admits or rejects the turn. */
export const makeHandler = (deps: {
  contacts: ContactStore;
  accounts: AccountStore;
  config: ConfigSource;
  /** Keys the contact ids derived from a channel's own id (read once per container, when first needed). */
  contactKey: () => Promise<string>;
}) => taskHandler((e) => loadTurn(e.state, deps));

export const handler = lazyHandler(() =>
  makeHandler({ contacts: contactStore(), accounts: accountStore(), config: configSource(), contactKey }),
);
