import { createLogger } from '@retail-pulse/shared/config';
import {
  imageSettledEventId,
  jobSubmittedEventId,
  type ImageOutcomes,
  type JobSubmissions,
} from '@retail-pulse/shared/contracts';
import { Broker } from '@retail-pulse/shared/messaging';
import { readModelCollections } from '@retail-pulse/shared/readModels';
import amqp from 'amqplib';
import { aJobSubmitted, anImageFailed, anImageProcessed } from '../../../test/support/builders';
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
          .findOne({ _id: 'open|0' as never })
          .then((d) => d ?? undefined),
      );
      expect(progress).toEqual({ _id: 'open|0', jobs: '[[77,1]]' });

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

  it('logs and folds every job a JobSubmissions message carries, each under its own id', async () => {
    const { names } = environment.topology;
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const before = (await loggedEvents(environment.db)).length;
      const jobs: JobSubmissions = {
        type: 'JobSubmissions',
        version: 1,
        jobs: [90, 91, 92].map((jobId) => ({ event: aJobSubmitted({ jobId, images: 2 }) })),
      };
      await new Promise<void>((resolve, reject) =>
        channel.publish(
          names.eventsExchange,
          'JobSubmissions',
          Buffer.from(JSON.stringify(jobs)),
          { persistent: true },
          (error) => (error ? reject(error) : resolve()),
        ),
      );
      await until(async () => ((await loggedEvents(environment.db)).length >= before + 3 ? true : undefined));
      const logged = (await loggedEvents(environment.db)).slice(before);
      expect(logged.map(({ event }) => event)).toEqual(jobs.jobs.map(({ event }) => event));
      // Each job folded as a job of its own: open, in its block of the projection's open jobs.
      const openJobs = await until(async () => {
        const block = await environment.db
          .collection<{ _id: string; jobs: string }>(readModelCollections(1).jobProgress)
          .findOne({ _id: 'open|0' });
        const ids = block ? (JSON.parse(block.jobs) as Array<[number, number]>).map(([jobId]) => jobId) : [];
        return [90, 91, 92].every((jobId) => ids.includes(jobId)) ? ids : undefined;
      });
      expect(openJobs).toEqual(expect.arrayContaining([90, 91, 92]));
    } finally {
      await connection.close();
    }
  });

  it('folds the outcomes an ImageOutcomes message carries, dead-letters a refused one alone and a malformed message whole', async () => {
    const { names } = environment.topology;
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const publish = (routingKey: string, body: unknown) =>
        new Promise<void>((resolve, reject) =>
          channel.publish(
            names.eventsExchange,
            routingKey,
            Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
            { persistent: true },
            (error) => (error ? reject(error) : resolve()),
          ),
        );
      const outcomes = (...events: ImageOutcomes['outcomes'][number]['event'][]): ImageOutcomes => ({
        type: 'ImageOutcomes',
        version: 1,
        outcomes: events.map((event) => ({ event })),
      });
      const before = (await loggedEvents(environment.db)).length;
      await publish('JobSubmitted', aJobSubmitted({ jobId: 80, images: 3 }));
      await publish('ImageOutcomes', outcomes(anImageProcessed({ jobId: 80, imageIndex: 0 })));
      // Image 1's outcome, and an ImageFailed under the same event id about another image (refused).
      const stranger = anImageFailed({ jobId: 80, imageIndex: 1, url: 'http://elsewhere/b.jpg' });
      await publish('ImageOutcomes', outcomes(anImageProcessed({ jobId: 80, imageIndex: 1 })));
      await publish('ImageOutcomes', outcomes(stranger, anImageFailed({ jobId: 80, imageIndex: 2 })));
      await publish('ImageOutcomes', {
        ...outcomes(anImageProcessed({ jobId: 81 })),
        outcomes: [{ event: { type: 'ImageProcessed' } }],
      });

      const dead: Array<{ reason: string; body: unknown }> = [];
      await until(async () => {
        const message = await channel.get(names.deadLetterQueue, { noAck: true });
        if (message) {
          dead.push({
            reason: String(message.properties.headers?.['x-rp-reason']),
            body: JSON.parse(message.content.toString()),
          });
        }
        return dead.length === 2 ? true : undefined;
      });
      await until(async () => ((await loggedEvents(environment.db)).length >= before + 4 ? true : undefined));
      const logged = (await loggedEvents(environment.db)).slice(before);
      expect(logged.map(({ event }) => `${event.type} ${event.eventId}`)).toEqual([
        `JobSubmitted ${jobSubmittedEventId(80)}`,
        `ImageProcessed ${imageSettledEventId('80:0:0')}`,
        `ImageProcessed ${imageSettledEventId('80:0:1')}`,
        `ImageFailed ${imageSettledEventId('80:0:2')}`,
      ]);
      const byReason = dead.sort((a, b) => a.reason.localeCompare(b.reason));
      expect(byReason[0]).toEqual({
        reason: `event ${imageSettledEventId('80:0:1')} (ImageFailed of job 80) is about another image settlement than the one the log holds under that id (logged at position ${logged[2]!.position})`,
        body: stranger,
      });
      expect(byReason[1]!.reason).toBe(
        'message failed validation: outcomes[0].event.eventId: Invalid input: expected string, received undefined',
      );
      expect((byReason[1]!.body as ImageOutcomes).type).toBe('ImageOutcomes');
      // Every message was settled: nothing is left on the queue or unacked.
      const queue = await channel.checkQueue(names.projectionQueue);
      expect(queue.messageCount).toBe(0);
    } finally {
      await connection.close();
    }
  });
});
