import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import amqp from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import { jobCancelledEventId, jobCancelledSchema, type JobCancelled } from '@retail-pulse/shared/contracts';
import { closeServer, listen } from '@retail-pulse/shared/http';
import { Broker } from '@retail-pulse/shared/messaging';
import { databaseProbe } from '@retail-pulse/shared/mongo';
import {
  evolveJob,
  evolveJobView,
  imagePageDocumentOf,
  jobDocumentOf,
  outcomeOf,
  readModelCollections,
  type JobOutcomeDocument,
  type JobsDocument,
} from '@retail-pulse/shared/readModels';
import {
  aJobCancelled,
  aJobSubmitted,
  anImageFailed,
  anImageProcessed,
  recorded,
} from '../../../test/support/builders';
import { Readiness, ServiceMetrics } from '@retail-pulse/shared/service';
import { takeSubmittedJobs } from '../../../test/support/queues';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createIngestApp } from './app';
import { JobStates } from './jobState';
import { JobIdAllocator } from './submitJob/jobIds';
import { SubmitMetrics } from './submitJob/metrics';
import { IdempotencyKeys } from './submitJob/idempotency';
import { JobReceipts } from './submitJob/receipts';
import { SubmissionPublisher } from './submitJob/submissions';

/**
 * The commands on a job, on the ingest alone against real RabbitMQ and MongoDB: what each one
 * publishes, and its refusals. The job's read models are folded here with the pure folds, as the
 * projection would.
 */
const logger = createLogger('ingest-test', 'silent' as 'info');
const limits = { maxVisitsPerJob: 100, maxImagesPerJob: 100, maxUrlLength: 2_048 };
const job = {
  count: 1,
  visits: [{ store_id: 'S00339218', image_url: ['https://images.example/a.jpg'], visit_time: '2024-01-21T16:23:40Z' }],
};

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('ingest-commands');
});
afterEach(async () => {
  await environment.cleanup();
});

async function startIngest(broker: Broker): Promise<{ url: string; server: Server }> {
  const metrics = new ServiceMetrics();
  const app = createIngestApp({
    db: environment.db,
    broker,
    submissions: new SubmissionPublisher(broker),
    jobIds: new JobIdAllocator(environment.db, 10),
    receipts: new JobReceipts(environment.db),
    idempotency: new IdempotencyKeys(environment.db),
    jobStates: new JobStates(environment.db),
    limits,
    maxBodyBytes: 64 * 1024,
    deadLetters: { amqpUrl: environment.amqpUrl, topology: environment.topology },
    webhooksEnabled: false,
    metrics: new SubmitMetrics(metrics),
    health: {
      metrics,
      readiness: new Readiness(
        { database: { probe: databaseProbe(environment.db) }, broker: { probe: () => broker.connected } },
        logger,
      ),
    },
    logger,
  });
  const server = await listen(app, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const submit = (url: string, body: unknown) =>
  fetch(`${url}/api/submit/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('commands on a job', () => {
  const command = (url: string, path: string, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers });
  /** Settles a job as the projection does: its outcome in the served job-status generation. */
  const settle = (jobId: number, status: 'completed' | 'failed') =>
    environment.db.collection<JobOutcomeDocument>(readModelCollections(1).jobOutcomes).insertOne({
      _id: String(jobId),
      jobId,
      status,
      failures: status === 'failed' ? [{ storeId: 'S00339218', reason: 'HTTP 404' }] : [],
      totalImages: 1,
      failedImages: status === 'failed' ? 1 : 0,
      position: 3,
    });

  it('cancel: 202 once the JobCancelled is queued (sent twice, the same event), 409 once settled, 404, 400', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await broker.start();
    const { url, server } = await startIngest(broker);
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      const channel = await connection.createChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      await channel.bindQueue(queue, environment.topology.names.eventsExchange, 'JobCancelled');
      const { job_id: jobId } = (await (await submit(url, job)).json()) as { job_id: number };

      // Known by its receipt, before any projection has folded it.
      const cancelled = await command(url, `/api/jobs/${jobId}/cancel`);
      expect([cancelled.status, await cancelled.json()]).toEqual([202, { job_id: jobId }]);
      expect((await command(url, `/api/jobs/${jobId}/cancel/`)).status).toBe(202);
      const events: JobCancelled[] = [];
      for (let message; (message = await channel.get(queue, { noAck: true }));) {
        events.push(jobCancelledSchema.parse(JSON.parse(message.content.toString())));
      }
      expect(events.map((event) => [event.eventId, event.data])).toEqual([
        [jobCancelledEventId(jobId), { jobId }],
        [jobCancelledEventId(jobId), { jobId }],
      ]);

      await settle(jobId, 'failed');
      const late = await command(url, `/api/jobs/${jobId}/cancel`);
      expect([late.status, await late.json()]).toEqual([
        409,
        { error: `job ${jobId} has already settled (failed); only an ongoing job can be cancelled` },
      ]);
      const unknown = await command(url, '/api/jobs/424242/cancel');
      expect([unknown.status, await unknown.json()]).toEqual([404, { error: 'no job 424242' }]);
      const malformed = await command(url, '/api/jobs/0x1/cancel');
      expect([malformed.status, await malformed.json()]).toEqual([400, { error: 'job_id must be a positive integer' }]);
      expect((await fetch(`${url}/api/jobs/${jobId}/cancel`)).status).toBe(405);
      expect(await channel.get(queue, { noAck: true })).toBe(false);
    } finally {
      await connection.close();
      await closeServer(server);
      await broker.close();
    }
  });

  it('cancel: 503 while RabbitMQ cannot take the command', async () => {
    const up = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await up.start();
    const first = await startIngest(up);
    const { job_id: jobId } = (await (await submit(first.url, job)).json()) as { job_id: number };
    await closeServer(first.server);
    await up.close();
    const down = new Broker('amqp://guest:guest@127.0.0.1:1', environment.topology, logger, {
      connectionName: 'ingest-test',
      publishWaitMs: 200,
    });
    void down.start();
    const { url, server } = await startIngest(down);
    try {
      const response = await command(url, `/api/jobs/${jobId}/cancel`);
      expect([response.status, response.headers.get('retry-after'), await response.json()]).toEqual([
        503,
        '2',
        { error: 'the message broker is unavailable; retry shortly' },
      ]);
    } finally {
      await closeServer(server);
      await down.close();
    }
  });
});

describe('retrying a failed job', () => {
  const T1 = '2024-01-21T10:00:00Z';
  const T2 = '2024-01-22T11:00:00Z';
  /** Job `jobId` as the projection folds it, into the served generation: what a retry reads. */
  async function fold(events: Parameters<typeof recorded>[0]) {
    const log = recorded(events);
    const names = readModelCollections(1);
    const view = log.reduce(evolveJobView, undefined)!;
    const outcome = outcomeOf(log.reduce(evolveJob, undefined)!)!;
    await environment.db.collection<JobOutcomeDocument>(names.jobOutcomes).insertOne(outcome);
    await environment.db
      .collection<JobsDocument>(names.jobs)
      .insertMany([jobDocumentOf(view)!, ...view.pages.map((_, page) => imagePageDocumentOf(view, page))]);
  }
  const retry = (url: string, jobId: number, headers: Record<string, string> = {}) =>
    fetch(`${url}/api/jobs/${jobId}/retry`, { method: 'POST', headers });

  it('submits exactly the failed and cancelled images, in their visits; 409 unless failed; 404; 400', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await broker.start();
    const { url, server } = await startIngest(broker);
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      const channel = await connection.createChannel();
      const published = async () => {
        const taken = await takeSubmittedJobs(channel, environment.topology.names.dispatchQueue);
        return taken.flatMap(({ jobs }) => jobs);
      };
      const { job_id: original } = (await (await submit(url, job)).json()) as { job_id: number };
      const ongoing = await retry(url, original);
      expect([ongoing.status, await ongoing.json()]).toEqual([
        409,
        { error: `job ${original} is ongoing; only a failed job can be retried` },
      ]);
      await published();

      // Visit 0: one image failed, one measured, one cancelled; visit 1: measured; visit 2: cancelled.
      const visits = [
        {
          storeId: 'S00339218',
          visitTime: T1,
          imageUrls: ['https://a/1.jpg', 'https://a/2.jpg', 'https://u:p@a/3.jpg'],
        },
        { storeId: 'S01408764', visitTime: T2, imageUrls: ['https://a/4.jpg'] },
        { storeId: 'S00339218', visitTime: T2, imageUrls: ['https://a/5.jpg'] },
      ];
      await fold([
        aJobSubmitted({ jobId: original, visits }),
        anImageFailed({ jobId: original, visitIndex: 0, imageIndex: 0 }),
        anImageProcessed({ jobId: original, visitIndex: 0, imageIndex: 1 }),
        anImageProcessed({ jobId: original, visitIndex: 1, imageIndex: 0 }),
        aJobCancelled({ jobId: original }),
      ]);
      const accepted = await retry(url, original);
      const body = (await accepted.json()) as { job_id: number; retry_of: number };
      expect([accepted.status, body]).toEqual([201, { job_id: expect.any(Number), retry_of: original }]);
      expect(body.job_id).toBeGreaterThan(original);
      const [event, ...more] = await published();
      expect(more).toEqual([]);
      expect(event!.data).toEqual({
        jobId: body.job_id,
        imageCount: 3,
        retryOf: original,
        visits: [
          { storeId: 'S00339218', visitTime: T1, imageUrls: ['https://a/1.jpg', 'https://u:p@a/3.jpg'] },
          { storeId: 'S00339218', visitTime: T2, imageUrls: ['https://a/5.jpg'] },
        ],
      });
      // The retry is a job like any other: known at once by its receipt.
      expect(
        await environment.db.collection('job_receipts').countDocuments({ _id: String(body.job_id) as never }),
      ).toBe(1);

      // With an Idempotency-Key: the same key for the same job is the same retry; for another job, a 409.
      const keyed = await retry(url, original, { 'Idempotency-Key': 'retry-once' });
      const again = await retry(url, original, { 'Idempotency-Key': 'retry-once' });
      const keyedBody = (await keyed.json()) as { job_id: number };
      expect([again.status, await again.json(), again.headers.get('idempotent-replayed')]).toEqual([
        201,
        keyedBody,
        'true',
      ]);
      expect(await published()).toHaveLength(1);
      const { job_id: other } = (await (await submit(url, job)).json()) as { job_id: number };
      await fold([aJobSubmitted({ jobId: other }), anImageFailed({ jobId: other })]);
      const otherJob = await retry(url, other, { 'Idempotency-Key': 'retry-once' });
      expect([otherJob.status, await otherJob.json()]).toEqual([
        409,
        { error: `this Idempotency-Key was used within 24 h for another body (job ${keyedBody.job_id})` },
      ]);
      await published();

      const { job_id: done } = (await (await submit(url, job)).json()) as { job_id: number };
      await fold([aJobSubmitted({ jobId: done }), anImageProcessed({ jobId: done })]);
      const completed = await retry(url, done);
      expect([completed.status, await completed.json()]).toEqual([
        409,
        { error: `job ${done} has completed; only a failed job can be retried` },
      ]);
      const unknown = await retry(url, 424242);
      expect([unknown.status, await unknown.json()]).toEqual([404, { error: 'no job 424242' }]);
      expect((await retry(url, 0)).status).toBe(400);
      expect((await fetch(`${url}/api/jobs/${original}/retry/`, { method: 'POST' })).status).toBe(201);
    } finally {
      await connection.close();
      await closeServer(server);
      await broker.close();
    }
  });
});
