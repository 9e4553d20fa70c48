import { configSource, counterStore } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { chooseOffersTurn, compile } from '../shared/application/tasks';
import type { ConfigSource, CounterStore } from '../shared/ports';

/** ChooseOffers and OfferCrossSell: the next offers, best first, within their budgets, ranked on learned acceptance. */
export const makeHandler = (deps: { config: ConfigSource; counters: CounterStore }) =>
  taskHandler(async (e) => chooseOffersTurn(e.state, compile(await deps.config.active()), deps.counters));

export const handler = lazyHandler(() => makeHandler({ config: configSource(), counters: counterStore() }));
