import amqp from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import { imageOutcomesSchema } from '@retail-pulse/shared/contracts';
import { Broker } from '@retail-pulse/shared/messaging';
import { anImageFailed, anImageProcessed } from '../../../../test/support/builders';
import { takeAll } from '../../../../test/support/queues';
import { freePort } from '../../../../test/support/stack';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { OutcomePublisher } from './outcomePublisher';

const logger = createLogger('outcome-publisher-test', 'silent' as 'info');

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('outcome-publisher');
});
afterEach(async () => {
  await environment.cleanup();
});

describe('images’ outcomes, several to a message, on a real RabbitMQ', () => {
  it('sends the outcomes settled together in messages of at most the limit, each resolved once confirmed', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'outcomes-test' });
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      await broker.start();
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, environment.topology.names.eventsExchange, '#');
      const publisher = new OutcomePublisher(broker, { maxOutcomes: 100, lingerMs: 50 });
      const events = Array.from({ length: 250 }, (_, index) =>
        index % 10 === 0
          ? anImageFailed({ jobId: 5, imageIndex: index })
          : anImageProcessed({ jobId: 5, imageIndex: index }),
      );
      await Promise.all(events.map((event) => publisher.publish(event)));

      // Every publish resolved after its message was confirmed, so all three are enqueued already.
      const messages = [];
      for (const message of await takeAll(channel, queue)) {
        expect(message.properties.type).toBe('ImageOutcomes');
        messages.push(imageOutcomesSchema.parse(JSON.parse(message.content.toString())));
      }
      expect(messages.map((message) => message.outcomes.length)).toEqual([100, 100, 50]);
      expect(messages.flatMap((message) => message.outcomes.map((outcome) => outcome.event))).toEqual(events);
      expect(publisher.stats).toEqual({ messages: 3, outcomes: 250 });

      // One outcome alone goes once its wait is over.
      const alone = anImageProcessed({ jobId: 6 });
      await publisher.publish(alone);
      const message = await channel.get(queue, { noAck: true });
      expect(message && imageOutcomesSchema.parse(JSON.parse(message.content.toString()))).toEqual({
        type: 'ImageOutcomes',
        version: 1,
        outcomes: [{ event: alone }],
      });
    } finally {
      await connection.close();
      await broker.close();
    }
  });

  it('fails every outcome of a message the broker does not take', async () => {
    // RabbitMQ away: nothing listens on the port, so no connection to publish on comes in time.
    const awayUrl = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const broker = new Broker(awayUrl, environment.topology, logger, {
      connectionName: 'outcomes-test',
      publishWaitMs: 200,
    });
    const publisher = new OutcomePublisher(broker, { maxOutcomes: 10, lingerMs: 5 });
    const results = await Promise.allSettled(
      [0, 1, 2].map((imageIndex) => publisher.publish(anImageProcessed({ jobId: 7, imageIndex }))),
    );
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(publisher.stats).toEqual({ messages: 0, outcomes: 0 });
    await broker.close();
  });
});
