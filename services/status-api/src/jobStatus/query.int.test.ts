import amqp from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import {
  parseJobSettledNotice,
  type JobSettledNotice,
  jobKey,
  readModelCollections,
  type JobOutcomeDocument,
  type JobProgressDocument,
} from '@retail-pulse/shared/readModels';
import { Broker } from '@retail-pulse/shared/messaging';
import { collectionNames } from '@retail-pulse/shared/mongo';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { ActiveReadModels } from '../readModels';
import { JobStatusQuery, ONGOING_TRUST_MS } from './query';

const logger = createLogger('status-feed-test', 'silent' as 'info');
const names = readModelCollections(1);

let environment: TestEnvironment;
let query: JobStatusQuery;
beforeEach(async () => {
  environment = await createTestEnvironment('status-feed');
  query = new JobStatusQuery(environment.db, new ActiveReadModels(environment.db));
});
afterEach(async () => {
  await environment.cleanup();
});

const progress = (jobId: number) =>
  environment.db
    .collection<JobProgressDocument>(names.jobProgress)
    .insertOne({ _id: jobKey(jobId), jobId, openedAt: 1 });
/** Stores a completed outcome, as the projection would, without announcing it. */
const complete = (jobId: number) =>
  environment.db.collection<JobOutcomeDocument>(names.jobOutcomes).insertOne({
    _id: jobKey(jobId),
    jobId,
    status: 'completed',
    failures: [],
    totalImages: 1,
    failedImages: 0,
    position: 3,
  });
const forget = (jobId: number) =>
  environment.db.collection<JobProgressDocument>(names.jobProgress).deleteOne({ _id: jobKey(jobId) });

describe('job status with the settled-jobs feed, on a real MongoDB-protocol server and RabbitMQ', () => {
  it('answers an ongoing job from memory while the feed is up, and a settle from its announcement', async () => {
    query.feedReady();
    await progress(40);
    expect(await query.statusOf(40)).toEqual({ status: 'ongoing', job_id: 40 });
    // The marker is gone from the database, yet the answer needs no read while the feed is up.
    await forget(40);
    expect(await query.statusOf(40)).toEqual({ status: 'ongoing', job_id: 40 });
    // The announcement alone settles it: no outcome document exists.
    query.settledNotice({
      generation: 1,
      jobs: [{ jobId: 40, status: 'failed', failures: [{ storeId: 'S1', reason: 'x' }] }],
    });
    expect(await query.statusOf(40)).toEqual({
      status: 'failed',
      job_id: 40,
      error: [{ store_id: 'S1', error: 'x' }],
    });
  });

  it('reads the outcome again once an ongoing answer has been served from memory for its time', async () => {
    let now = 1_000_000;
    const shortTrust = new JobStatusQuery(environment.db, new ActiveReadModels(environment.db), () => now);
    shortTrust.feedReady();
    await progress(44);
    expect(await shortTrust.statusOf(44)).toEqual({ status: 'ongoing', job_id: 44 });
    // Settled, but its announcement lost: memory still says ongoing, until the trust runs out.
    await complete(44);
    now += ONGOING_TRUST_MS - 1;
    expect(await shortTrust.statusOf(44)).toEqual({ status: 'ongoing', job_id: 44 });
    now += 1;
    expect(await shortTrust.statusOf(44)).toEqual({ status: 'completed', job_id: 44 });
  });

  it('reads the outcome again once the feed has been down, however briefly', async () => {
    query.feedReady();
    await progress(41);
    expect(await query.statusOf(41)).toEqual({ status: 'ongoing', job_id: 41 });
    query.feedLost();
    query.feedReady();
    // Settled while the feed was down: the announcement was missed, the read finds the outcome.
    await complete(41);
    expect(await query.statusOf(41)).toEqual({ status: 'completed', job_id: 41 });
  });

  it('without the feed, reads the database on every request', async () => {
    await progress(42);
    expect(await query.statusOf(42)).toEqual({ status: 'ongoing', job_id: 42 });
    await complete(42);
    expect(await query.statusOf(42)).toEqual({ status: 'completed', job_id: 42 });
  });

  it('never answers from memory for a job it has not seen in the database', async () => {
    query.feedReady();
    await expect(query.statusOf(43)).rejects.toMatchObject({ status: 400 });
    await environment.db.collection(collectionNames.jobReceipts).insertOne({ _id: jobKey(43) as never, jobId: 43 });
    expect(await query.statusOf(43)).toEqual({ status: 'ongoing', job_id: 43 });
  });

  it('carries announcements from one broker connection to every follower, and reports the feed going down', async () => {
    const publisher = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'publisher' });
    const follower = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'follower' });
    const received: JobSettledNotice[] = [];
    const events: string[] = [];
    await follower.follow({
      exchange: environment.topology.names.jobSettledExchange,
      onMessage: (content) => received.push(parseJobSettledNotice(content)),
      onReady: () => events.push('ready'),
      onLost: () => events.push('lost'),
    });
    try {
      await follower.start();
      await publisher.start();
      expect(events).toEqual(['ready']);
      const notice: JobSettledNotice = { generation: 1, jobs: [{ jobId: 7, status: 'completed', failures: [] }] };
      await publisher.publish(environment.topology.names.jobSettledExchange, '', notice, { transient: true });
      for (let waited = 0; received.length === 0 && waited < 5_000; waited += 20) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(received).toEqual([notice]);
      // A malformed notice is not used: it goes to the dead-letter queue with the reason.
      await publisher.publish(
        environment.topology.names.jobSettledExchange,
        '',
        { generation: 'one', jobs: [] },
        {
          transient: true,
        },
      );
      const connection = await amqp.connect(environment.amqpUrl);
      const channel = await connection.createChannel();
      let deadLetter: amqp.GetMessage | false = false;
      for (let waited = 0; !deadLetter && waited < 5_000; waited += 50) {
        deadLetter = await channel.get(environment.topology.names.deadLetterQueue, { noAck: true });
        if (!deadLetter) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await connection.close();
      expect(deadLetter && String(deadLetter.properties.headers?.['x-rp-reason'])).toMatch(
        /^Error: malformed settled-jobs notice: generation/,
      );
      expect(received).toEqual([notice]);
      await follower.close();
      expect(events).toContain('lost');
    } finally {
      await follower.close();
      await publisher.close();
    }
  });
});
