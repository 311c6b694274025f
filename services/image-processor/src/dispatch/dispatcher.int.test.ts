import { context } from '@opentelemetry/api';
import amqp from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import { imageRequestedSchema, imageRequestsSchema, imageWorkSchema } from '@retail-pulse/shared/contracts';
import { Broker, type Delivery } from '@retail-pulse/shared/messaging';
import { aJobSubmitted } from '../../../../test/support/builders';
import { takeAll } from '../../../../test/support/queues';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { ImageWorkHandler } from '../process/imageWork';
import { WorkSlots } from '../workSlots';
import { dispatchJob, dispatchSubmitted, imageRequestsOf } from './dispatcher';

const logger = createLogger('dispatcher-test', 'silent' as 'info');

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('dispatcher');
});
afterEach(async () => {
  await environment.cleanup();
});

describe('a job fanned out on a real RabbitMQ', () => {
  it('sends its requests a few to a message, and a message delivered again on as single requests', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'dispatcher-test' });
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      await broker.start();
      const channel = await connection.createChannel();
      const queue = environment.topology.names.imageRequestsQueue;
      const job = aJobSubmitted({ jobId: 12, images: 25 });
      expect(await dispatchJob(broker, job, 10)).toBe(25);

      const messages = [];
      for (const message of await takeAll(channel, queue)) {
        expect(message.properties.type).toBe('ImageRequests');
        messages.push(imageRequestsSchema.parse(JSON.parse(message.content.toString())));
      }
      expect(messages.map((message) => message.requests.length).sort()).toEqual([10, 10, 5]);
      const sent = messages.flatMap((message) => message.requests.map(({ request }) => request));
      // Every image once, as imageRequestsOf makes it (its metadata stamped with the time sent).
      expect(sent.map((request) => request.data).sort((a, b) => a.imageIndex - b.imageIndex)).toEqual(
        imageRequestsOf(job).map((request) => request.data),
      );

      // The first message, as a processor that died holding it leaves it: delivered again.
      const worked: string[] = [];
      const handler = new ImageWorkHandler(
        broker,
        new WorkSlots(4),
        (request) => Promise.resolve(void worked.push(request.data.imageId)),
        logger,
      );
      const again = imageWorkSchema.parse(messages[0]);
      await handler.handle(again, { deliveryCount: 1, traceContext: context.active() } as Delivery);
      expect(worked).toEqual([]);
      const alone = [];
      for (const message of await takeAll(channel, queue)) {
        expect(message.properties.messageId).toBe(
          imageRequestedSchema.parse(JSON.parse(message.content.toString())).data.imageId,
        );
        alone.push(imageRequestedSchema.parse(JSON.parse(message.content.toString())));
      }
      expect(alone).toEqual(messages[0]!.requests.map(({ request }) => request));
    } finally {
      await connection.close();
      await broker.close();
    }
  });

  it('fans out every job of a JobSubmissions message, each as it would alone', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'dispatcher-test' });
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      await broker.start();
      const channel = await connection.createChannel();
      const jobs = [aJobSubmitted({ jobId: 21, images: 3 }), aJobSubmitted({ jobId: 22, images: 12 })];
      const dispatched = await dispatchSubmitted(
        broker,
        { type: 'JobSubmissions', version: 1, jobs: jobs.map((event) => ({ event })) },
        { deliveryCount: 0, traceContext: context.active() } as Delivery,
        { perMessage: 10, jobSlots: new WorkSlots(1) },
      );
      expect(dispatched).toEqual([
        { jobId: 21, images: 3 },
        { jobId: 22, images: 12 },
      ]);
      const sent = (await takeAll(channel, environment.topology.names.imageRequestsQueue)).flatMap((message) =>
        imageRequestsSchema.parse(JSON.parse(message.content.toString())).requests.map(({ request }) => request.data),
      );
      const byImage = (a: { imageId: string }, b: { imageId: string }) => a.imageId.localeCompare(b.imageId);
      expect(sent.sort(byImage)).toEqual(
        jobs.flatMap((job) => imageRequestsOf(job).map((request) => request.data)).sort(byImage),
      );
    } finally {
      await connection.close();
      await broker.close();
    }
  });
});
