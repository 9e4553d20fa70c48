import { configSource } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { chooseOffersTurn, compile } from '../shared/application/tasks';
import type { ConfigSource } from '../shared/ports';

/** ChooseOffers and OfferCrossSell: the next offers, best first. */
export const makeHandler = (deps: { config: ConfigSource }) =>
  taskHandler(async (e) => chooseOffersTurn(e.state, compile(await deps.config.active())));

export const handler = lazyHandler(() => makeHandler({ config: configSource() }));
