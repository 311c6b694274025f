import { createLogger } from '@retail-pulse/shared/config';
import { domainEventSchema, type DomainEvent } from '@retail-pulse/shared/contracts';
import { Broker } from '@retail-pulse/shared/messaging';
import { readModelCollections } from '@retail-pulse/shared/readModels';
import amqp from 'amqplib';
import { aSettledJob } from '../../../test/support/builders';
import { loggedEvents } from '../../../test/support/eventLog';
import { imageRecordsPerJob } from '../../../test/support/imageRecords';
import { until } from '../../../test/support/until';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { projectionBatcher } from './batcher';
import { Projector } from './projector';

const logger = createLogger('projection-test', 'silent' as 'info');
let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createTestEnvironment('redelivery');
});
afterAll(async () => {
  await environment.cleanup();
});

/** A job whose every image failed. */
const job = (jobId: number, images: number): DomainEvent[] =>
  aSettledJob(
    jobId,
    images,
    Array.from({ length: images }, (_, index) => index),
  );

describe('a projection killed between its write and its ack', () => {
  it('gets the events again from the broker and counts each once', async () => {
    const { names } = environment.topology;
    const events = job(31, 4);
    const connection = await amqp.connect(environment.amqpUrl);
    const channel = await connection.createConfirmChannel();
    // Declare the topology, then publish the job's events.
    const setup = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'setup' });
    await setup.start();
    await setup.close();
    for (const event of events) {
      channel.publish(names.eventsExchange, event.type, Buffer.from(JSON.stringify(event)), { persistent: true });
    }
    await channel.waitForConfirms();

    // The first instance appends and folds every event, then dies before acking any of them.
    const crashing = new Projector(environment.db, logger);
    await crashing.start();
    const doomed = await amqp.connect(environment.amqpUrl);
    const doomedChannel = await doomed.createChannel();
    await doomedChannel.prefetch(100);
    let written = 0;
    await doomedChannel.consume(names.projectionQueue, (message) => {
      if (!message) return;
      void crashing.project([domainEventSchema.parse(JSON.parse(message.content.toString()))]).then(() => written++);
    });
    await until(async () => written === events.length);
    await doomed.close(); // unacked: the broker requeues all of them

    // The restarted instance receives them again.
    const restarted = new Projector(environment.db, logger);
    await restarted.start();
    const batcher = projectionBatcher(restarted, logger, { maxBatch: 50, maxWaitMs: 10 });
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'restarted' });
    try {
      await broker.start();
      await broker.consume({
        queue: names.projectionQueue,
        prefetch: 100,
        onDelivery: (delivery) => batcher.add(delivery),
      });
      // Received, and the batch written and acked (the batcher's lag counts both).
      await until(async () => restarted.status.eventsReceived === events.length && batcher.lag === 0);
      await broker.cancelConsumers();
      await batcher.stop();
      await broker.close();
      // Acked, not merely delivered: with the consumer gone, nothing came back to the queue.
      expect((await channel.checkQueue(names.projectionQueue)).messageCount).toBe(0);
      expect(restarted.status).toMatchObject({ eventsReceived: events.length, eventsRefused: 0 });

      const generation = readModelCollections(1);
      expect(await loggedEvents(environment.db)).toHaveLength(events.length);
      expect(await imageRecordsPerJob(environment.db)).toEqual(new Map([[31, 4]]));
      expect(await environment.db.collection(generation.jobOutcomes).find({}).toArray()).toEqual([
        expect.objectContaining({ _id: '31', status: 'failed', totalImages: 4, failedImages: 4 }),
      ]);
    } finally {
      await broker.close();
      await connection.close();
    }
  });
});
