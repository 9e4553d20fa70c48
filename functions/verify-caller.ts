import { configSource } from '../shared/adapters/composition';
import { pepper } from '../shared/adapters/pepper';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { compile, verifyTurn } from '../shared/application/tasks';
import type { ConfigSource } from '../shared/ports';

/**
 * VerifyCaller: knowledge factors against salted, peppered hashes. The pepper is read (once per
 * container, beside the configuration) only by a turn that verifies: other turns pass through.
 */
export const makeHandler = (deps: { config: ConfigSource; pepper: () => Promise<string> }) =>
  taskHandler(async (e) => {
    const [config, pepper] = await Promise.all([
      deps.config.active(),
      e.state.action === 'verify' ? deps.pepper() : undefined,
    ]);
    return verifyTurn(e.state, compile(config), pepper);
  });

export const handler = lazyHandler(() => makeHandler({ config: configSource(), pepper }));
