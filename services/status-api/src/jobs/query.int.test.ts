import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedEvent } from '@retail-pulse/shared/contracts';
import { createLogger } from '@retail-pulse/shared/config';
import { closeServer, listen } from '@retail-pulse/shared/http';
import { collectionNames, databaseProbe, IdLookups } from '@retail-pulse/shared/mongo';
import {
  IMAGES_PER_PAGE,
  jobKey,
  ProjectionState,
  readModelCollections,
  type ImagePageDocument,
  type JobDocument,
  type JobReceiptDocument,
  type JobsDocument,
} from '@retail-pulse/shared/readModels';
import { Readiness } from '@retail-pulse/shared/service';
import { StoreMaster } from '@retail-pulse/shared/storeMaster';
import { JobsModel } from '../../../projection/src/jobs/model';
import { JobStatusModel } from '../../../projection/src/jobStatus/model';
import { aJobSubmitted, anImageFailed, anImageProcessed, recorded } from '../../../../test/support/builders';
import { openEventStream, type SseEvent } from '../../../../test/support/sse';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { createStatusApp } from '../app';
import { JobsFeed } from './feed';
import { ReadModelsStatus } from '../ops/readModels';
import { StoreMasterStatus } from '../ops/storeMaster';
import { PipelineSampler } from '../pipeline/sampler';
import { QueueDepths } from '../pipeline/queueDepths';
import { JobStatusQuery } from '../jobStatus/query';
import { ActiveReadModels } from '../readModels';
import { VisitsQuery } from '../visits/query';
import { JobEvents } from './events';
import { JobsQuery } from './query';

/**
 * The jobs read model as the projection writes it (JobsModel, on the real database) and as the
 * status API answers from it over HTTP; every read an `_id` lookup, proven by the query plan.
 */
const logger = createLogger('jobs-test', 'silent' as 'info');
let environment: TestEnvironment;
let server: Server;
let baseUrl: string;
let position = 0;
let model: JobsModel;
/** Job status, folded after the jobs model as the projection does (the streams' last event waits for it). */
let statusModel: JobStatusModel;

const BIG_JOB = 21;
const BIG_IMAGES = IMAGES_PER_PAGE * 2 + 50;

async function fold(...events: RecordedEvent[]): Promise<void> {
  await model.fold(events, { verifyTerminal: false });
  await statusModel.fold(events, { verifyTerminal: false });
}
/** Every event folded so far: the log, as a restarted projection reads it again. */
const log: RecordedEvent[] = [];
function next(events: Parameters<typeof recorded>[0]): RecordedEvent[] {
  const placed = recorded(events, position + 1);
  position += events.length;
  log.push(...placed);
  return placed;
}

beforeAll(async () => {
  environment = await createTestEnvironment('jobs');
  const { db } = environment;
  // The database's file exists once something is written: only then can its tables be indexed.
  await db.createCollection(readModelCollections(1).jobs);
  await new IdLookups(db, logger, process.env.FERRETDB_SQLITE_DIR).ensure([
    readModelCollections(1).jobs,
    collectionNames.jobReceipts,
  ]);
  model = new JobsModel(db, new ProjectionState(db), 1);
  await model.load();
  statusModel = new JobStatusModel(db, new ProjectionState(db), 1);
  await statusModel.load();
  const readModels = new ActiveReadModels(db, 0);
  const storeMaster = new StoreMaster(db);
  const app = createStatusApp({
    jobStatus: new JobStatusQuery(db, readModels),
    visits: new VisitsQuery(db, readModels, storeMaster),
    jobs: new JobsQuery(db, readModels),
    jobEvents: new JobEvents(new JobsQuery(db, readModels), { pollMs: 50, heartbeatMs: 1_000, logger }),
    jobsFeed: new JobsFeed(new JobsQuery(db, readModels), { pollMs: 50, heartbeatMs: 1_000, logger }),
    ops: {
      pipeline: new PipelineSampler({
        sources: [],
        queueDepths: new QueueDepths(environment.amqpUrl, [], logger),
        sampleMs: 1_000,
        windowSeconds: 60,
        logger,
      }),
      storeMaster: new StoreMasterStatus(db, storeMaster),
      readModels: new ReadModelsStatus(db),
    },
    health: { readiness: new Readiness({ database: { probe: databaseProbe(db) } }, logger) },
    logger,
  });
  server = await listen(app, 0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await closeServer(server);
  await environment.cleanup();
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('job detail', () => {
  it('counts every image once, per job and per visit, while ongoing and once settled', async () => {
    const jobId = 5;
    const submitted = aJobSubmitted({
      jobId,
      visits: [
        { storeId: 'S1', visitTime: '2024-01-21T10:00:00.000Z', imageUrls: ['http://x/1.jpg', 'http://x/2.jpg'] },
        { storeId: 'S2', visitTime: '2024-01-22T10:00:00.000Z', imageUrls: ['http://x/3.jpg'] },
      ],
    });
    await fold(...next([submitted, anImageProcessed({ jobId, visitIndex: 0, imageIndex: 0 })]));
    expect(await get(`/api/jobs/${jobId}`)).toEqual({
      status: 200,
      body: {
        job_id: jobId,
        status: 'ongoing',
        images: { total: 3, succeeded: 1, failed: 0, pending: 2 },
        submitted_at: submitted.metadata.occurredAt,
        visits: [
          {
            store_id: 'S1',
            visit_time: '2024-01-21T10:00:00.000Z',
            images: { total: 2, succeeded: 1, failed: 0, pending: 1 },
          },
          {
            store_id: 'S2',
            visit_time: '2024-01-22T10:00:00.000Z',
            images: { total: 1, succeeded: 0, failed: 0, pending: 1 },
          },
        ],
      },
    });
    // The same image again (processed twice after a crash, under another event id), then the rest.
    await fold(
      ...next([
        { ...anImageFailed({ jobId, visitIndex: 0, imageIndex: 0 }), eventId: 'processed-again' },
        anImageFailed({ jobId, visitIndex: 0, imageIndex: 1, reason: 'HTTP 404 fetching http://***@x/2.jpg' }),
        anImageProcessed({ jobId, visitIndex: 1, imageIndex: 0 }),
      ]),
    );
    const settled = await get(`/api/jobs/${jobId}`);
    expect(settled.body).toMatchObject({
      status: 'failed',
      images: { total: 3, succeeded: 2, failed: 1, pending: 0 },
      settled_at: anImageProcessed().metadata.occurredAt,
    });
    // A late outcome of a settled job changes nothing.
    await fold(...next([{ ...anImageFailed({ jobId, visitIndex: 1, imageIndex: 0 }), eventId: 'late' }]));
    expect(await get(`/api/jobs/${jobId}`)).toEqual(settled);
  });

  it('answers 404 for an unknown job, 503 for one accepted and not folded yet, 400 for a malformed id', async () => {
    expect(await get('/api/jobs/999')).toEqual({ status: 404, body: { error: 'no job 999' } });
    await environment.db
      .collection<JobReceiptDocument>(collectionNames.jobReceipts)
      .insertOne({ _id: jobKey(998), jobId: 998, acceptedAt: new Date() });
    expect((await get('/api/jobs/998')).status).toBe(503);
    for (const bad of ['abc', '0', '-1', '1.5', '12345678901234567890']) {
      expect(await get(`/api/jobs/${bad}`)).toEqual({
        status: 400,
        body: { error: 'job_id must be a positive integer' },
      });
    }
  });
});

describe('job images', () => {
  it('walks a job in submission order across pages without skipping or repeating, while it runs', async () => {
    const urls = Array.from({ length: BIG_IMAGES }, (_, index) => `http://x/${String(index).padStart(4, '0')}.jpg`);
    await fold(
      ...next([
        aJobSubmitted({
          jobId: BIG_JOB,
          visits: [{ imageUrls: urls.slice(0, 10) }, { storeId: 'S2', imageUrls: urls.slice(10) }],
        }),
      ]),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let settledSoFar = 0;
    do {
      const page = await get(`/api/jobs/${BIG_JOB}/images?limit=70${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      const images = page.body.images as Array<Record<string, unknown>>;
      seen.push(...images.map((image) => image.url as string));
      cursor = page.body.next_cursor as string | null;
      // Images settle between pages; the order stays.
      const settle = Array.from({ length: 40 }, (_, index) => settledSoFar + index)
        .filter((ordinal) => ordinal < BIG_IMAGES)
        .map((ordinal) =>
          ordinal < 10
            ? anImageProcessed({ jobId: BIG_JOB, visitIndex: 0, imageIndex: ordinal, width: 8, height: 2 })
            : anImageFailed({ jobId: BIG_JOB, visitIndex: 1, imageIndex: ordinal - 10, storeId: 'S2', attempts: 3 }),
        );
      settledSoFar += settle.length;
      if (settle.length > 0) await fold(...next(settle));
    } while (cursor !== null);
    expect(seen).toEqual(urls);
    const rest = Array.from({ length: BIG_IMAGES - settledSoFar }, (_, index) =>
      anImageFailed({
        jobId: BIG_JOB,
        visitIndex: 1,
        imageIndex: settledSoFar + index - 10,
        storeId: 'S2',
        attempts: 3,
      }),
    );
    await fold(...next(rest));
    expect((await get(`/api/jobs/${BIG_JOB}`)).body).toMatchObject({
      status: 'failed',
      images: { total: BIG_IMAGES, succeeded: 10, failed: BIG_IMAGES - 10, pending: 0 },
    });

    const first = await get(`/api/jobs/${BIG_JOB}/images?limit=2`);
    expect(first.body.images).toEqual([
      {
        url: urls[0],
        store_id: 'S1',
        visit_time: '2024-01-21T10:00:00.000Z',
        status: 'succeeded',
        width: 8,
        height: 2,
        perimeter: 20,
        attempts: 1,
      },
      {
        url: urls[1],
        store_id: 'S1',
        visit_time: '2024-01-21T10:00:00.000Z',
        status: 'succeeded',
        width: 8,
        height: 2,
        perimeter: 20,
        attempts: 1,
      },
    ]);
    const later = await get(`/api/jobs/${BIG_JOB}/images?limit=1&cursor=${first.body.next_cursor as string}`);
    expect(later.body.images).toEqual([
      {
        url: urls[2],
        store_id: 'S1',
        visit_time: '2024-01-21T10:00:00.000Z',
        status: 'succeeded',
        width: 8,
        height: 2,
        perimeter: 20,
        attempts: 1,
      },
    ]);
    const failedOne = await get(`/api/jobs/${BIG_JOB}/images?limit=1000`);
    expect((failedOne.body.images as unknown[]).at(-1)).toEqual({
      url: urls.at(-1),
      store_id: 'S2',
      visit_time: '2024-01-21T10:00:00.000Z',
      status: 'failed',
      width: null,
      height: null,
      perimeter: null,
      error: 'HTTP 404',
      attempts: 3,
    });
    expect(failedOne.body.next_cursor).toBeNull();
  });

  it('refuses a bad limit or cursor, and a cursor of another job', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=x', 'limit=1&limit=2', 'cursor=nonsense', 'cursor=']) {
      const answer = await get(`/api/jobs/${BIG_JOB}/images?${query}`);
      expect([answer.status, typeof answer.body.error]).toEqual([400, 'string']);
    }
    const other = (await get('/api/jobs/5/images?limit=1')).body.next_cursor as string;
    expect((await get(`/api/jobs/${BIG_JOB}/images?cursor=${other}`)).status).toBe(400);
    expect((await get('/api/jobs/999/images')).status).toBe(404);
  });

  it("answers a one-page job's images from its detail, and one written with a page of its own from that page", async () => {
    const jobs = environment.db.collection<JobsDocument>(readModelCollections(1).jobs);
    // Job 5 (3 images), as the projection wrote it: its images in its detail, no page document.
    expect(await jobs.findOne({ _id: 'p|5|0' })).toBeNull();
    const statuses = async (jobId: number) => {
      const answer = await get(`/api/jobs/${jobId}/images`);
      return (answer.body.images as Array<{ status: string }>).map((image) => image.status);
    };
    const fromDetail = await statuses(5);
    expect(fromDetail).toHaveLength(3);
    // As a projection of before 2026-12-03 wrote a job: no images in the detail, a page of them.
    // (Written directly, it is in no listing block.)
    const { entries, ...withoutImages } = (await jobs.findOne({ _id: 'j|5' })) as JobDocument;
    await jobs.insertOne({ ...withoutImages, _id: 'j|71', jobId: 71 });
    await jobs.insertOne({
      _id: 'p|71|0',
      jobId: 71,
      page: 0,
      total: 3,
      entries: entries!,
    } satisfies ImagePageDocument);
    expect(await statuses(71)).toEqual(fromDetail);
  });
});

describe('job listing', () => {
  it('lists jobs newest first, filtered by status, in pages that walk every block', async () => {
    // Jobs in several listing blocks, one submitted out of order.
    const ids = [301, 302, 303, 150, 40];
    for (const jobId of ids) {
      await fold(...next([aJobSubmitted({ jobId, images: 1 })]));
      if (jobId !== 302) await fold(...next([anImageProcessed({ jobId })]));
    }
    const all: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/api/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      all.push(...(page.body.jobs as Array<{ job_id: number }>).map((job) => job.job_id));
      cursor = page.body.next_cursor as string | null;
    } while (cursor !== null);
    expect(all).toEqual([303, 302, 301, 150, 40, BIG_JOB, 5]);

    const ongoing = await get('/api/jobs?status=ongoing');
    expect(ongoing.body).toEqual({
      jobs: [
        {
          job_id: 302,
          status: 'ongoing',
          images: { total: 1, succeeded: 0, failed: 0, pending: 1 },
          submitted_at: aJobSubmitted().metadata.occurredAt,
        },
      ],
      next_cursor: null,
    });
    const failed = await get('/api/jobs?status=failed');
    expect((failed.body.jobs as Array<{ job_id: number }>).map((job) => job.job_id)).toEqual([BIG_JOB, 5]);
  });

  it('refuses an unknown status, a bad limit and a cursor of another filter', async () => {
    expect(await get('/api/jobs?status=done')).toEqual({
      status: 400,
      body: { error: 'status: status must be ongoing, completed or failed' },
    });
    expect((await get('/api/jobs?limit=0')).status).toBe(400);
    const cursor = (await get('/api/jobs?limit=1')).body.next_cursor as string;
    expect((await get(`/api/jobs?status=failed&cursor=${cursor}`)).status).toBe(400);
  });
});

describe('the jobs model after a restart', () => {
  it('folds on from where it stood, and a refold of what it already folded changes nothing', async () => {
    const before = await Promise.all(
      ['/api/jobs/302', '/api/jobs?limit=1000', `/api/jobs/${BIG_JOB}/images?limit=1000`].map(get),
    );
    model = new JobsModel(environment.db, new ProjectionState(environment.db), 1);
    await model.load();
    expect(model.checkpoint).toBeLessThan(position);
    // The log from the restart point again, as catch-up refolds it.
    const documents = await environment.db.collection(readModelCollections(1).jobs).countDocuments();
    expect(documents).toBeGreaterThan(0);
    await model.fold(log, { verifyTerminal: true });
    expect(
      await Promise.all(['/api/jobs/302', '/api/jobs?limit=1000', `/api/jobs/${BIG_JOB}/images?limit=1000`].map(get)),
    ).toEqual(before);
    await fold(...next([anImageProcessed({ jobId: 302 })]));
    expect((await get('/api/jobs/302')).body).toMatchObject({ status: 'completed' });
  });
});

describe('every read of the jobs model', () => {
  it('is a lookup by _id (the query plan, not a timing)', async () => {
    const lookups = new IdLookups(environment.db, logger, process.env.FERRETDB_SQLITE_DIR);
    if ((await lookups.file()) === undefined) {
      const plan = JSON.stringify(
        await environment.db
          .collection(readModelCollections(1).jobs)
          .find({ _id: 'j|5' as never })
          .explain(),
      );
      expect(plan).toMatch(/IDHACK|EXPRESS/);
      return;
    }
    expect(await lookups.planOfIdLookup(readModelCollections(1).jobs)).toMatch(
      /^SEARCH .* USING INDEX \S+_rp_id \(<expr>=\?\)$/,
    );
  });
});

describe('job events (Server-Sent Events)', () => {
  const twoImages = (jobId: number) =>
    aJobSubmitted({
      jobId,
      visits: [
        { storeId: 'S1', visitTime: '2024-01-21T10:00:00.000Z', imageUrls: ['http://x/a.jpg', 'http://x/b.jpg'] },
      ],
    });
  const parsed = (event: SseEvent | undefined) => ({ id: event?.id, ...(JSON.parse(event!.data) as object) });

  it('sends the detail whenever it changes and a last one when the job settles, then ends', async () => {
    const jobId = 40;
    await fold(...next([twoImages(jobId)]));
    const stream = await openEventStream(`${baseUrl}/api/jobs/${jobId}/events`);
    expect([stream.status, stream.contentType]).toEqual([200, 'text/event-stream; charset=utf-8']);
    expect(parsed(await stream.next())).toMatchObject({
      id: '0',
      status: 'ongoing',
      images: { total: 2, succeeded: 0, failed: 0, pending: 2 },
    });
    await fold(...next([anImageProcessed({ jobId, visitIndex: 0, imageIndex: 0 })]));
    expect(parsed(await stream.next())).toMatchObject({ id: '1', status: 'ongoing', images: { succeeded: 1 } });
    await fold(...next([anImageFailed({ jobId, visitIndex: 0, imageIndex: 1, storeId: 'S1' })]));
    const last = parsed(await stream.next());
    expect(last).toMatchObject({ id: '2', status: 'failed', images: { succeeded: 1, failed: 1, pending: 0 } });
    expect(last).toHaveProperty('settled_at');
    expect(await stream.next()).toBeUndefined(); // the server ended the stream

    // After settlement: a new client gets the final state at once; one that saw it is told 204.
    const late = await openEventStream(`${baseUrl}/api/jobs/${jobId}/events`);
    expect(parsed(await late.next())).toEqual(last);
    expect(await late.next()).toBeUndefined();
    const resumed = await openEventStream(`${baseUrl}/api/jobs/${jobId}/events`, { 'last-event-id': '1' });
    expect(parsed(await resumed.next())).toEqual(last);
    const done = await openEventStream(`${baseUrl}/api/jobs/${jobId}/events`, { 'last-event-id': '2' });
    expect(done.status).toBe(204);
  });

  it("holds a job's last event until its status has settled too (the projection folds job status second)", async () => {
    const jobId = 44;
    await fold(...next([twoImages(jobId), anImageProcessed({ jobId, visitIndex: 0, imageIndex: 0 })]));
    const watcher = new JobsQuery(environment.db, new ActiveReadModels(environment.db, 0));
    const settling = next([anImageProcessed({ jobId, visitIndex: 0, imageIndex: 1 })]);
    await model.fold(settling, { verifyTerminal: false }); // the jobs model only, for now
    expect(await watcher.watch(String(jobId))).toBe('pending');
    const stream = await openEventStream(`${baseUrl}/api/jobs/${jobId}/events`);
    await statusModel.fold(settling, { verifyTerminal: false });
    expect(await watcher.watch(String(jobId))).toMatchObject({ status: 'completed' });
    expect(parsed(await stream.next())).toMatchObject({ id: '2', status: 'completed' });
    expect(await stream.next()).toBeUndefined();
  });

  it('resumes after Last-Event-ID without repeating it, and waits for a job accepted but not folded yet', async () => {
    const jobId = 41;
    await environment.db
      .collection<JobReceiptDocument>(collectionNames.jobReceipts)
      .insertOne({ _id: jobKey(jobId), jobId, acceptedAt: new Date() });
    const waiting = await openEventStream(`${baseUrl}/api/jobs/${jobId}/events`, { 'last-event-id': '0' });
    expect(waiting.status).toBe(200);
    await fold(...next([twoImages(jobId)]));
    await fold(...next([anImageProcessed({ jobId, visitIndex: 0, imageIndex: 1 })]));
    // Id 0 was seen: the first event is the one after it.
    expect(parsed(await waiting.next())).toMatchObject({ id: '1', images: { succeeded: 1, pending: 1 } });
    await waiting.close();

    expect((await get('/api/jobs/4242/events')).status).toBe(404);
    expect(await get('/api/jobs/abc/events')).toEqual({
      status: 400,
      body: { error: 'job_id must be a positive integer' },
    });
  });
});

describe('the newest jobs, live (Server-Sent Events)', () => {
  const jobsOf = (event: SseEvent | undefined) =>
    (JSON.parse(event!.data) as { jobs: Array<Record<string, unknown>> }).jobs;

  it('sends the newest jobs first, then only the jobs submitted or changed since, to every stream', async () => {
    const listed = await get('/api/jobs?limit=100');
    const first = await openEventStream(`${baseUrl}/api/jobs/events`);
    expect([first.status, first.contentType]).toEqual([200, 'text/event-stream; charset=utf-8']);
    expect(jobsOf(await first.next())).toEqual(listed.body.jobs);

    const jobId = 600;
    await fold(...next([aJobSubmitted({ jobId, images: 2 })]));
    expect(jobsOf(await first.next())).toEqual([
      {
        job_id: jobId,
        status: 'ongoing',
        images: { total: 2, succeeded: 0, failed: 0, pending: 2 },
        submitted_at: aJobSubmitted().metadata.occurredAt,
      },
    ]);
    // A second stream, opened while the first is followed, starts from the same newest page.
    const second = await openEventStream(`${baseUrl}/api/jobs/events/`);
    expect(jobsOf(await second.next()).map((job) => job.job_id)).toEqual([
      jobId,
      ...(listed.body.jobs as Array<{ job_id: number }>).map((job) => job.job_id),
    ]);
    await fold(...next([anImageProcessed({ jobId, imageIndex: 0 }), anImageProcessed({ jobId, imageIndex: 1 })]));
    for (const stream of [first, second]) {
      expect(jobsOf(await stream.next())).toMatchObject([
        { job_id: jobId, status: 'completed', images: { succeeded: 2, pending: 0 } },
      ]);
      await stream.close();
    }
  });
});
