import { configSource } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { compile, routeTurn } from '../shared/application/tasks';
import type { ConfigSource } from '../shared/ports';

/** RouteContact: queue, priority and reasons. */
export const makeHandler = (deps: { config: ConfigSource }) =>
  taskHandler(async (e) => routeTurn(e.state, compile(await deps.config.active())));

export const handler = lazyHandler(() => makeHandler({ config: configSource() }));
