import { configSource } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { compile, verifyTurn } from '../shared/application/tasks';
import type { ConfigSource } from '../shared/ports';

/** VerifyCaller: knowledge factors against salted hashes. */
export const makeHandler = (deps: { config: ConfigSource }) =>
  taskHandler(async (e) => verifyTurn(e.state, compile(await deps.config.active())));

export const handler = lazyHandler(() => makeHandler({ config: configSource() }));
