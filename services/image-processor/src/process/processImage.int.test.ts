import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import {
  imageOutcomesSchema,
  imageRequestedSchema,
  type ImageOutcome,
  type ImageRequested,
} from '@retail-pulse/shared/contracts';
import { Broker, RETRY_DUE_AT_HEADER } from '@retail-pulse/shared/messaging';
import {
  readModelCollections,
  type JobOngoingDocument,
  type JobOutcomeDocument,
  type JobStatusDocument,
} from '@retail-pulse/shared/readModels';
import { ServiceMetrics } from '@retail-pulse/shared/service';
import { StoreMaster, StoreMasterVersions } from '@retail-pulse/shared/storeMaster';
import { startImageServer, type ImageServer } from '../../../../test/support/imageServer';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { ImageDownloader } from '../download/download';
import { ImageMetrics } from '../metrics';
import { OutcomePublisher } from './outcomePublisher';
import { processImage, type ProcessorDependencies } from './processImage';
import { buildRetryPolicy } from './retryPolicy';
import { CLOCK_MARGIN_MS, ONGOING_TRUST_MS, SettledJobs } from './settledJobs';

/**
 * One image request followed through every attempt, against a real HTTP server, RabbitMQ and the
 * store master in the database: where each attempt's result lands is read back from the queues.
 */
const TIMEOUT_MS = 300;
const STORE = { storeId: 'S00339218', areaCode: '7100015', storeName: 'JAI HIND STORE' };

let environment: TestEnvironment;
let server: ImageServer;
let broker: Broker;
let downloader: ImageDownloader;
let connection: ChannelModel;
let channel: Channel;
/** A queue of this test's own on the events exchange: the projection's queue allows no basic.get. */
let settledEvents: string;
let deps: ProcessorDependencies;
let metrics: ServiceMetrics;
let settledJobs: SettledJobs;

/**
 * A sample's value in this test's registry (0 when the series has none yet): `series` names one of
 * a histogram's (`…_count`), the metric's own name a counter's or gauge's.
 */
async function sample(name: string, labels: Record<string, string> = {}, series = name): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)!.get();
  const found = metric.values.find(
    (value) =>
      // A histogram's samples name their series; a counter's and a gauge's do not.
      ((value as { metricName?: string }).metricName ?? name) === series &&
      Object.entries(labels).every(([key, v]) => value.labels[key] === v),
  );
  return found?.value ?? 0;
}

beforeAll(async () => {
  environment = await createTestEnvironment('process-image');
  server = await startImageServer();
  await new StoreMasterVersions(environment.db).importVersion([STORE], 'the test');
  const stores = new StoreMaster(environment.db);
  await stores.start();
  stores.stop();
  const logger = createLogger('process-image-test', 'silent');
  broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'process-image-test' });
  await broker.start();
  downloader = new ImageDownloader({
    connectTimeoutMs: 2_000,
    totalTimeoutMs: TIMEOUT_MS,
    maxBytes: 1024 * 1024,
    maxRedirects: 3,
    allowPrivateNetworks: true,
    connectionsPerHost: 8,
    memoryBudgetBytes: 64 * 1024 * 1024,
  });
  metrics = new ServiceMetrics();
  settledJobs = new SettledJobs(environment.db, logger);
  deps = {
    broker,
    outcomes: new OutcomePublisher(broker),
    metrics: new ImageMetrics(metrics),
    stores,
    settledJobs,
    downloader,
    logger,
    retryPolicy: buildRetryPolicy({ maxAttempts: 3, redeliveryLimit: 5 }),
    settings: { maxPixels: 100_000_000, gpuDelayMinMs: 0, gpuDelayMaxMs: 0 },
  };
  connection = await amqp.connect(environment.amqpUrl);
  channel = await connection.createChannel();
  settledEvents = (await channel.assertQueue('', { exclusive: true })).queue;
  await channel.bindQueue(settledEvents, environment.topology.names.eventsExchange, '#');
});
afterAll(async () => {
  await connection?.close();
  await broker?.close();
  await downloader?.close();
  await server?.close();
  await environment?.cleanup();
});

let imageCount = 0;
function requestFor(path: string, jobId = 1, jobSubmittedAt?: string): ImageRequested {
  const imageIndex = imageCount++;
  return {
    type: 'ImageRequested',
    version: 1,
    data: {
      jobId,
      imageId: `${jobId}:0:${imageIndex}`,
      visitIndex: 0,
      imageIndex,
      storeId: STORE.storeId,
      visitTime: '2024-01-21T10:00:00Z',
      url: server.url(`${path}?n=${imageIndex}`),
      attempt: 1,
      ...(jobSubmittedAt ? { jobSubmittedAt } : {}),
    },
    metadata: { correlationId: String(jobId), occurredAt: '2024-01-21T10:00:01.000Z' },
  };
}

/** Takes the one message a queue holds, waiting briefly: a confirmed publish is already enqueued. */
async function takeOne(queue: string) {
  for (let tries = 0; tries < 50; tries++) {
    const message = await channel.get(queue, { noAck: true });
    if (message) return message;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nothing arrived in ${queue}`);
}

/** Runs an attempt, noting the times before and after: its retry was published in between. */
async function attemptBetween(request: ImageRequested): Promise<{ before: number; after: number }> {
  const before = Date.now();
  await processImage(request, deps);
  return { before, after: Date.now() };
}

/**
 * The retry waiting in the delay queue of `level`, and the bounds of the delay it was given: its
 * due time, less the latest and the earliest moment it can have been published.
 */
async function retryAt(
  level: number,
  published: { before: number; after: number },
): Promise<{ request: ImageRequested; delayMs: { atLeast: number; atMost: number } }> {
  const message = await takeOne(environment.topology.names.retryQueue(level));
  const request = imageRequestedSchema.parse(JSON.parse(message.content.toString()));
  const dueAt = Number((message.properties.headers ?? {})[RETRY_DUE_AT_HEADER]);
  return { request, delayMs: { atLeast: dueAt - published.after, atMost: dueAt - published.before } };
}

/** The outcome of the attempt just made: alone in its ImageOutcomes message (attempts here run one at a time). */
async function settledEvent(): Promise<ImageOutcome> {
  const message = await takeOne(settledEvents);
  const { outcomes } = imageOutcomesSchema.parse(JSON.parse(message.content.toString()));
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!.event;
}

/** Every queue an attempt's result can land in. */
function resultQueues(): string[] {
  const { names } = environment.topology;
  return [names.imageRequestsQueue, settledEvents, ...[0, 1, 2].map(names.retryQueue)];
}

// What one case leaves behind when it fails must not fail the next.
beforeEach(async () => {
  for (const queue of resultQueues()) await channel.purgeQueue(queue);
});

/** Every queue a result can land in holds nothing: each result was taken, none is extra. */
async function expectNothingElseQueued(): Promise<void> {
  const queues = resultQueues();
  const counts = await Promise.all(
    queues.map(async (queue) => [queue, (await channel.checkQueue(queue)).messageCount]),
  );
  expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(queues.map((queue) => [queue, 0])));
}

describe('processImage against a real image server and RabbitMQ', () => {
  it.each([
    {
      failure: 'a 408',
      path: '/img/status-408.jpg',
      kind: 'http_status',
      reason: (url: string) => `HTTP 408 fetching ${url}`,
    },
    {
      failure: 'a 429',
      path: '/img/status-429.jpg',
      kind: 'http_status',
      reason: (url: string) => `HTTP 429 fetching ${url}`,
    },
    {
      failure: 'a timeout',
      path: '/img/never-answers.jpg',
      kind: 'download',
      reason: (url: string) => `download timed out after ${TIMEOUT_MS} ms: ${url}`,
    },
    {
      failure: 'a connection reset',
      path: '/img/reset.jpg',
      kind: 'download',
      reason: (url: string) => `download failed (ECONNRESET): ${url}`,
    },
  ])(
    'retries $failure at the first two delay levels (retry-0, retry-1), then fails it for good after 3 attempts',
    async ({ path, kind, reason }) => {
      const first = requestFor(path);
      const { url } = first.data;
      const requestsBefore = server.requests();
      const cause = path.includes('status') ? 'http_status' : path.includes('reset') ? 'connection_failed' : 'timeout';
      const retriesBefore = await sample('rp_image_retries_total', { cause });
      const failuresBefore = await sample('rp_image_failures_total', { kind, cause });
      const failedBefore = await sample('rp_images_processed_total', { outcome: 'failed' });

      const second = await retryAt(0, await attemptBetween(first));
      expect(second.request).toEqual({ ...first, data: { ...first.data, attempt: 2 } });
      expect(second.delayMs.atMost).toBeGreaterThanOrEqual(500);
      expect(second.delayMs.atLeast).toBeLessThanOrEqual(1_000);

      const third = await retryAt(1, await attemptBetween(second.request));
      expect(third.request).toEqual({ ...first, data: { ...first.data, attempt: 3 } });
      expect(third.delayMs.atMost).toBeGreaterThanOrEqual(2_500);
      expect(third.delayMs.atLeast).toBeLessThanOrEqual(5_000);

      await processImage(third.request, deps);
      expect(await settledEvent()).toMatchObject({
        type: 'ImageFailed',
        data: { imageId: first.data.imageId, kind, reason: `${reason(url)} (after 3 attempts)`, attempts: 3 },
      });
      expect(server.requests() - requestsBefore).toBe(3);
      await expectNothingElseQueued();
      expect(await sample('rp_image_retries_total', { cause })).toBe(retriesBefore + 2);
      expect(await sample('rp_image_failures_total', { kind, cause })).toBe(failuresBefore + 1);
      expect(await sample('rp_images_processed_total', { outcome: 'failed' })).toBe(failedBefore + 1);
      expect(await sample('rp_images_in_flight')).toBe(0);
    },
  );

  it('counts a measured image as succeeded, times its download and measurement, and holds no bytes after', async () => {
    const downloads = () =>
      sample('rp_image_download_duration_seconds', { result: 'ok' }, 'rp_image_download_duration_seconds_count');
    const downloadsBefore = await downloads();
    await processImage(requestFor('/img/shelf.jpg'), deps);
    expect(await settledEvent()).toMatchObject({ type: 'ImageProcessed', data: { width: 640, height: 480 } });
    expect(await sample('rp_images_processed_total', { outcome: 'succeeded' })).toBe(1);
    expect(await downloads()).toBe(downloadsBefore + 1);
    expect(await sample('rp_image_downloaded_bytes_total')).toBeGreaterThan(0);
    expect(await sample('rp_image_bytes_held_bytes')).toBe(0);
    await expectNothingElseQueued();
  });

  it('fails a 404 at the first attempt, without a retry', async () => {
    const request = requestFor('/img/status-404.jpg');
    await processImage(request, deps);
    expect(await settledEvent()).toMatchObject({
      type: 'ImageFailed',
      data: { kind: 'http_status', reason: `HTTP 404 fetching ${request.data.url}`, attempts: 1 },
    });
    await expectNothingElseQueued();
  });
});

describe('requests of a job that has settled (cancelled)', () => {
  const statusDocuments = <T extends JobStatusDocument>() =>
    environment.db.collection<T>(readModelCollections(1).jobOutcomes);
  /** The job's outcome as the projection stores it in the served job-status generation (1, on a new installation). */
  const settle = (jobId: number) =>
    statusDocuments<JobOutcomeDocument>().replaceOne(
      { _id: String(jobId) },
      {
        jobId,
        status: 'failed',
        failures: [{ storeId: STORE.storeId, reason: 'cancelled' }],
        totalImages: 2,
        failedImages: 2,
        position: 9,
      },
      { upsert: true },
    );

  it('are dropped, acked with no download and no outcome, however often they come', async () => {
    await settle(41);
    const downloadsBefore = server.requests();
    const droppedBefore = await sample('rp_image_requests_dropped_total');
    const request = requestFor('/img/shelf.jpg', 41);
    await processImage(request, deps);
    await processImage(request, deps); // redelivered
    await processImage(requestFor('/img/shelf.jpg', 41), deps);
    expect(server.requests()).toBe(downloadsBefore);
    expect(await sample('rp_image_requests_dropped_total')).toBe(droppedBefore + 3);
    expect(await sample('rp_images_in_flight')).toBe(0);
    await expectNothingElseQueued();
  });

  it('are dropped from the moment the job is announced settled, though it was read ongoing just before', async () => {
    const downloadsBefore = server.requests();
    await processImage(requestFor('/img/shelf.jpg', 42), deps);
    expect(await settledEvent()).toMatchObject({ type: 'ImageProcessed', data: { jobId: 42 } });
    settledJobs.settledNotice({ generation: 1, jobs: [{ jobId: 42, status: 'failed', failures: [] }] });
    await processImage(requestFor('/img/shelf.jpg', 42), deps);
    expect(server.requests() - downloadsBefore).toBe(1);
    await expectNothingElseQueued();
  });

  it('when the announcement was missed, are dropped once the job is read again', async () => {
    let now = 1_000_000;
    const missed = new SettledJobs(environment.db, deps.logger, () => now);
    const withMissed = { ...deps, settledJobs: missed };
    const downloadsBefore = server.requests();
    // Folded, not settled: an ongoing status document is no reason to drop a request.
    await statusDocuments<JobOngoingDocument>().insertOne({ _id: '43', jobId: 43, status: 'ongoing' });
    await processImage(requestFor('/img/shelf.jpg', 43), withMissed);
    await settle(43); // settled, and the announcement never arrives
    await processImage(requestFor('/img/front.png', 43), withMissed); // still taken as ongoing: a wasted download
    expect(server.requests() - downloadsBefore).toBe(2);
    now += ONGOING_TRUST_MS;
    await processImage(requestFor('/img/shelf.jpg', 43), withMissed);
    expect(server.requests() - downloadsBefore).toBe(2);
    // The feed coming back also has every job read again.
    await processImage(requestFor('/img/shelf.jpg', 44), withMissed);
    await settle(44);
    missed.feedReady();
    await processImage(requestFor('/img/shelf.jpg', 44), withMissed);
    expect(server.requests() - downloadsBefore).toBe(3);
    for (let taken = 0; taken < 3; taken++) expect((await settledEvent()).type).toBe('ImageProcessed');
    await expectNothingElseQueued();
  });

  it('of a job submitted after the feed came up are not read at first: the feed has told of its settlement', async () => {
    let now = Date.parse('2024-01-21T12:00:00.000Z');
    const following = new SettledJobs(environment.db, deps.logger, () => now);
    const withFeed = { ...deps, settledJobs: following };
    following.feedReady();
    // Both jobs settled in the read model and never announced (a notice that cannot be missed this
    // way: the test stores the outcome by hand). Read, each request would be dropped.
    await settle(45);
    await settle(46);
    const downloadsBefore = server.requests();
    const afterFeedUp = new Date(now + CLOCK_MARGIN_MS).toISOString();
    const beforeFeedUp = new Date(now - 60_000).toISOString();
    await processImage(requestFor('/img/shelf.jpg', 45, afterFeedUp), withFeed); // not read: downloaded
    await processImage(requestFor('/img/shelf.jpg', 46, beforeFeedUp), withFeed); // read: dropped
    await processImage(requestFor('/img/shelf.jpg', 47), withFeed); // no submission time: read (nothing stored: ongoing)
    expect(server.requests() - downloadsBefore).toBe(2);
    // Taken as ongoing for ONGOING_TRUST_MS only, then read like any other job.
    now += ONGOING_TRUST_MS;
    await processImage(requestFor('/img/shelf.jpg', 45, afterFeedUp), withFeed);
    expect(server.requests() - downloadsBefore).toBe(2);
    // With the feed down, nothing is presumed.
    following.feedLost();
    await settle(48);
    await processImage(requestFor('/img/shelf.jpg', 48, new Date(now).toISOString()), withFeed);
    expect(server.requests() - downloadsBefore).toBe(2);
    for (let taken = 0; taken < 2; taken++) expect((await settledEvent()).type).toBe('ImageProcessed');
    await expectNothingElseQueued();
  });
});
