import { createLogger } from '@retail-pulse/shared/config';
import { jobSubmittedEventId } from '@retail-pulse/shared/contracts';
import { Broker } from '@retail-pulse/shared/messaging';
import { readModelCollections } from '@retail-pulse/shared/readModels';
import amqp from 'amqplib';
import { aJobSubmitted } from '../../../test/support/builders';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { loggedEvents } from '../../../test/support/eventLog';
import { projectionBatcher, type Batcher } from './batcher';
import { Projector } from './projector';

const logger = createLogger('projection-test', 'silent' as 'info');
let environment: TestEnvironment;
let broker: Broker;
let batcher: Batcher;

beforeAll(async () => {
  environment = await createTestEnvironment('consumer');
  const projector = new Projector(environment.db, logger);
  await projector.start();
  batcher = projectionBatcher(projector, logger, { maxBatch: 50, maxWaitMs: 10 });
  broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'projection-test' });
  await broker.start();
  await broker.consume({
    queue: environment.topology.names.projectionQueue,
    prefetch: 100,
    onDelivery: (d) => batcher.add(d),
  });
});

afterAll(async () => {
  await broker.cancelConsumers();
  await batcher.stop();
  await broker.close();
  await environment.cleanup();
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('projection consumer on real RabbitMQ', () => {
  it('folds events from the queue and dead-letters malformed ones with the reason', async () => {
    const { names } = environment.topology;
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const publish = (content: string) =>
        new Promise<void>((resolve, reject) =>
          channel.publish(names.eventsExchange, 'JobSubmitted', Buffer.from(content), { persistent: true }, (error) =>
            error ? reject(error) : resolve(),
          ),
        );
      await publish('not json at all');
      const malformed = aJobSubmitted({ jobId: 76 });
      await publish(JSON.stringify({ ...malformed, data: { ...malformed.data, jobId: 'x' } }));
      await publish(JSON.stringify(aJobSubmitted({ jobId: 77 })));
      const progress = await until(() =>
        environment.db
          .collection(readModelCollections(1).jobProgress)
          .findOne({ _id: '77' as never })
          .then((d) => d ?? undefined),
      );
      expect(progress).toEqual({ _id: '77', jobId: 77, openedAt: 1 });

      // Job 77 again, but another job: its id is taken in the log, so it is refused, not dropped.
      await publish(
        JSON.stringify(
          aJobSubmitted({
            jobId: 77,
            visits: [{ storeId: 'S2', visitTime: '2024-01-22T10:00:00Z', imageUrls: ['http://x/b'] }],
          }),
        ),
      );

      const reasons: string[] = [];
      await until(async () => {
        const message = await channel.get(names.deadLetterQueue, { noAck: true });
        if (message) reasons.push(String(message.properties.headers?.['x-rp-reason']));
        return reasons.length === 3 ? true : undefined;
      });
      expect(reasons.sort()).toEqual([
        `event ${jobSubmittedEventId(77)} (JobSubmitted of job 77) is about another job submission than the one the log holds under that id (logged at position 1)`,
        'message failed validation: data.jobId: Invalid input: expected number, received string',
        'message is not valid JSON',
      ]);
      expect(await loggedEvents(environment.db)).toHaveLength(1);
    } finally {
      await connection.close();
    }
  });
});
