import { configSource } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { compile, segmentTurn } from '../shared/application/tasks';
import type { ConfigSource } from '../shared/ports';

/** SegmentCustomer: facts, value and segments of the account. */
export const makeHandler = (deps: { config: ConfigSource }) =>
  taskHandler(async (e) => segmentTurn(e.state, compile(await deps.config.active())));

export const handler = lazyHandler(() => makeHandler({ config: configSource() }));
