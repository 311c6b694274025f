import amqp from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import { Broker } from '@retail-pulse/shared/messaging';
import { aJobSubmitted } from '../../../../test/support/builders';
import { takeSubmittedJobs } from '../../../../test/support/queues';
import { freePort } from '../../../../test/support/stack';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { SUBMISSIONS_MESSAGE_BYTES, SubmissionPublisher } from './submissions';

const logger = createLogger('submissions-test', 'silent' as 'info');

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('submissions');
});
afterEach(async () => {
  await environment.cleanup();
});

/**
 * Runs `work` with a started broker, a channel to read with, and `everyEvent`: a queue of the
 * test's own bound to every event. The projection's queue has a single active consumer, which
 * RabbitMQ reads to no one else, so this queue, bound as the projection's is, sees what it gets.
 */
async function onRealBroker(
  work: (broker: Broker, channel: amqp.Channel, everyEvent: string) => Promise<void>,
): Promise<void> {
  const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'submissions-test' });
  const connection = await amqp.connect(environment.amqpUrl);
  try {
    await broker.start();
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    await channel.bindQueue(queue, environment.topology.names.eventsExchange, '#');
    await work(broker, channel, queue);
  } finally {
    await connection.close();
    await broker.close();
  }
}

describe('accepted jobs, several to a message while one awaits its confirm, on a real RabbitMQ', () => {
  it('sends a lone job as its JobSubmitted and the jobs that came meanwhile together, on both queues', async () => {
    await onRealBroker(async (broker, channel, everyEvent) => {
      const { names } = environment.topology;
      const publisher = new SubmissionPublisher(broker, { maxJobs: 10, maxInFlight: 1 });
      const jobs = Array.from({ length: 26 }, (_, index) => aJobSubmitted({ jobId: index + 1, images: 3 }));
      // All submitted in one turn: the first goes alone at once, the rest wait for its confirm.
      await Promise.all(jobs.map((job) => publisher.publish(job)));

      // Every publish resolved once its message was confirmed, so all of them are enqueued already,
      // on the projection's queue and on the dispatcher's.
      for (const queue of [everyEvent, names.dispatchQueue]) {
        const messages = await takeSubmittedJobs(channel, queue);
        expect(messages.map((message) => [message.type, message.typeProperty, message.jobs.length])).toEqual([
          ['JobSubmitted', 'JobSubmitted', 1],
          ['JobSubmissions', 'JobSubmissions', 10],
          ['JobSubmissions', 'JobSubmissions', 10],
          ['JobSubmissions', 'JobSubmissions', 5],
        ]);
        expect(messages[0]!.messageId).toBe(jobs[0]!.eventId);
        expect(messages.flatMap((message) => message.jobs)).toEqual(jobs);
      }
      expect(publisher.stats).toEqual({ messages: 4, jobs: 26 });
    });
  });

  it('sends a job larger than a message of many holds on its own', async () => {
    await onRealBroker(async (broker, channel, everyEvent) => {
      const publisher = new SubmissionPublisher(broker, { maxJobs: 100, maxInFlight: 1 });
      const longUrl = `http://images.example/${'a'.repeat(2_000)}.jpg`;
      const large = aJobSubmitted({ jobId: 2, visits: [{ imageUrls: Array<string>(200).fill(longUrl) }] });
      expect(JSON.stringify(large).length).toBeGreaterThan(SUBMISSIONS_MESSAGE_BYTES);
      const jobs = [aJobSubmitted({ jobId: 1 }), large, aJobSubmitted({ jobId: 3 }), aJobSubmitted({ jobId: 4 })];
      await Promise.all(jobs.map((job) => publisher.publish(job)));
      const messages = await takeSubmittedJobs(channel, everyEvent);
      expect(messages.map((message) => message.jobs.map((job) => job.data.jobId))).toEqual([[1], [2], [3, 4]]);
    });
  });

  it('fails every job of a message the broker does not take', async () => {
    // RabbitMQ away: nothing listens on the port, so no connection to publish on comes in time.
    const awayUrl = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
    const broker = new Broker(awayUrl, environment.topology, logger, {
      connectionName: 'submissions-test',
      publishWaitMs: 200,
    });
    const publisher = new SubmissionPublisher(broker);
    const results = await Promise.allSettled([1, 2, 3].map((jobId) => publisher.publish(aJobSubmitted({ jobId }))));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(publisher.stats).toEqual({ messages: 0, jobs: 0 });
    await broker.close();
  });
});
