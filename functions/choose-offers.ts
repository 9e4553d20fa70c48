import { budgetStore, configSource } from '../shared/adapters/composition';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { chooseOffersTurn, compile } from '../shared/application/tasks';
import type { BudgetStore, ConfigSource } from '../shared/ports';

/** ChooseOffers and OfferCrossSell: the next offers, best first, within their budgets. */
export const makeHandler = (deps: { config: ConfigSource; budgets: BudgetStore }) =>
  taskHandler(async (e) => chooseOffersTurn(e.state, compile(await deps.config.active()), deps.budgets));

export const handler = lazyHandler(() => makeHandler({ config: configSource(), budgets: budgetStore() }));
