import { configSource } from '../shared/adapters/composition';
import { pepper } from '../shared/adapters/pepper';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { compile, verifyTurn } from '../shared/application/tasks';
import type { ConfigSource } from '../shared/ports';

/** VerifyCaller: knowledge factors against salted, peppered hashes. */
export const makeHandler = (deps: { config: ConfigSource; pepper: () => Promise<string> }) =>
  taskHandler(async (e) =>
    verifyTurn(
      e.state,
      compile(await deps.config.active()),
      e.state.action === 'verify' ? await deps.pepper() : '',
    ),
  );

export const handler = lazyHandler(() => makeHandler({ config: configSource(), pepper }));
