import { configSource } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { answerTurn, compile } from '../shared/application/tasks';
import type { ConfigSource } from '../shared/ports';

/** RecordAnswer: the answer to a presented offer, and what comes next. */
export const makeHandler = (deps: { config: ConfigSource }) =>
  taskHandler(async (e) => answerTurn(e.state, compile(await deps.config.active())));

export const handler = lazyHandler(() => makeHandler({ config: configSource() }));
