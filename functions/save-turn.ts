import { accountStore, contactStore, turnStore } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { publishMetrics } from '../shared/adapters/metrics';
import { lazyHandler, taskHandler } from '../shared/adapters/task-handler';
import { stageLogLines } from '../shared/application/strategies';
import { type DecideOutput, type Saved, saveTurn } from '../shared/application/turn';
import { budgetCapMetrics, storedTurnMetrics } from '../shared/domain/metrics';
import type { AccountStore, ContactStore, TurnStore } from '../shared/ports';

/**
 * SaveTurn: the turn's one write (contact, offer log, counters) in one transaction. The contact is
 * read again only when the write lost a race, to answer a repeat with its first result; the account
 * only when the contact's copy of it was stale, to bring the copy up to date. What a stored turn did
 * (started, judged, presented, answered, ended) is published as metrics here, once: a repeat or a
 * refused write counts nothing but a budget cap reached.
 */
export const makeHandler = (deps: { store: TurnStore; contacts?: ContactStore; accounts?: AccountStore }) =>
  taskHandler('SaveTurn', async (e: { plan: DecideOutput }) => {
    const saved = await saveTurn(e.plan, deps.store, deps.contacts, deps.accounts, (moves, at) => {
      for (const line of stageLogLines(moves, at, 'CONTACT')) logger.info('strategy stage', line);
    });
    publishMetrics(metricsOf(e.plan, saved));
    return saved;
  });

function metricsOf(plan: DecideOutput, saved: Saved) {
  if (plan.kind !== 'write') return [];
  if (saved.kind === 'saved') return storedTurnMetrics(plan.path, plan.contact, plan.writes);
  if (
    saved.kind === 'rejected' &&
    saved.problem.name === 'BudgetExhausted' &&
    plan.writes.budget &&
    !plan.contact.synthetic
  )
    return budgetCapMetrics(plan.writes.budget.offerId, plan.contact.channel);
  return [];
}

export const handler = lazyHandler('save-turn', () =>
  makeHandler({ store: turnStore(), contacts: contactStore(), accounts: accountStore() }),
);
