import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { decodeStreamImage, eventPublisher } from '../shared/adapters/composition';
import { logger } from '../shared/adapters/logger';
import { lazyHandler } from '../shared/adapters/task-handler';
import { type EventPublisher, eventsOfStream } from '../shared/application/publish';

/**
 * PublishEvents: the outbox (the counters table's OUTBOX# items) and the offer log's decisions, from
 * their streams, onto the account event bus. Delivered at least once: a batch that fails is handed
 * over again whole, each event with its stable `id` for consumers to drop duplicates by. What cannot
 * be read is logged by its key (never its content).
 */
export const makeHandler = (deps: { publisher: EventPublisher }) =>
  middy<unknown, void, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (batch) => {
      const { events, unreadable } = eventsOfStream(batch, decodeStreamImage);
      if (unreadable.length) logger.error('outbox items not published', { unreadable });
      if (events.length) await deps.publisher.publish(events);
      logger.info('events published', {
        published: events.length,
        types: [...new Set(events.map((e) => e.type))],
      });
    });

export const handler = lazyHandler('publish-events', () => makeHandler({ publisher: eventPublisher() }));
