import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@retail-pulse/shared/config';
import { closeServer, listen } from '@retail-pulse/shared/http';
import { collectionNames, databaseProbe } from '@retail-pulse/shared/mongo';
import {
  ProjectionState,
  readModelCollections,
  type JobOutcomeDocument,
  type JobReceiptDocument,
  type JobStatusDocument,
  jobKey,
} from '@retail-pulse/shared/readModels';
import { Readiness } from '@retail-pulse/shared/service';
import { StoreMaster, StoreMasterVersions } from '@retail-pulse/shared/storeMaster';
import { VisitsModel } from '../../projection/src/visits/model';
import { anImageFailed, anImageProcessed, recorded } from '../../../test/support/builders';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createStatusApp } from './app';
import { JobsFeed } from './jobs/feed';
import { ReadModelsStatus } from './ops/readModels';
import { StoreMasterStatus } from './ops/storeMaster';
import { PipelineSampler } from './pipeline/sampler';
import { QueueDepths } from './pipeline/queueDepths';
import { JobEvents } from './jobs/events';
import { JobsQuery } from './jobs/query';
import { JobStatusQuery } from './jobStatus/query';
import { ActiveReadModels } from './readModels';
import { VisitsQuery } from './visits/query';

const logger = createLogger('status-test', 'silent' as 'info');
let environment: TestEnvironment;
let server: Server;
let baseUrl: string;

/** A measured image of job 12 (square, so its perimeter is 4 × side), as the projection receives it. */
const measured = (imageIndex: number, storeId: string, visitTime: string, perimeter: number) =>
  anImageProcessed({
    jobId: 12,
    imageIndex,
    storeId,
    visitTime,
    areaCode: storeId === 'S3' ? '200' : '100',
    storeName: `Store ${storeId}`,
    width: perimeter / 4,
    height: perimeter / 4,
  });

beforeAll(async () => {
  environment = await createTestEnvironment('status');
  const { db } = environment;
  await new StoreMasterVersions(db).importVersion(
    [
      { storeId: 'S1', areaCode: '100', storeName: 'Store S1' },
      { storeId: 'S2', areaCode: '100', storeName: 'Store S2' },
      { storeId: 'S3', areaCode: '200', storeName: 'Store S3' },
    ],
    'the test',
  );
  const storeMaster = new StoreMaster(db);
  await storeMaster.start();
  storeMaster.stop();
  const generation1 = readModelCollections(1);
  await db
    .collection<JobReceiptDocument>(collectionNames.jobReceipts)
    .insertOne({ _id: jobKey(10), jobId: 10, acceptedAt: new Date() });
  await db.collection<JobStatusDocument>(generation1.jobOutcomes).insertMany([
    { _id: jobKey(11), jobId: 11, status: 'ongoing' },
    { _id: jobKey(12), jobId: 12, status: 'completed', failures: [], totalImages: 2, failedImages: 0, position: 9 },
    {
      _id: jobKey(13),
      jobId: 13,
      status: 'failed',
      failures: [{ storeId: 'S9', reason: 'unknown store_id S9' }],
      totalImages: 1,
      failedImages: 1,
      position: 10,
    },
  ]);
  // The visits read model as the projection writes it.
  const visits = new VisitsModel(db, new ProjectionState(db), 1);
  await visits.load();
  await visits.fold(
    recorded([
      measured(0, 'S1', '2024-01-21T10:00:00.000Z', 2000),
      measured(1, 'S1', '2024-01-22T23:59:59.000Z', 2400),
      measured(2, 'S2', '2024-01-20T00:00:00.000Z', 1600),
      measured(3, 'S3', '2024-01-21T12:00:00.000Z', 800),
      anImageFailed({ jobId: 13, storeId: 'S1', visitTime: '2024-01-21T11:00:00.000Z' }),
    ]),
  );
  const app = createStatusApp({
    jobStatus: new JobStatusQuery(db, new ActiveReadModels(db, 0)),
    visits: new VisitsQuery(db, new ActiveReadModels(db, 0), storeMaster),
    jobs: new JobsQuery(db, new ActiveReadModels(db, 0)),
    jobEvents: new JobEvents(new JobsQuery(db, new ActiveReadModels(db, 0)), {
      pollMs: 50,
      heartbeatMs: 1_000,
      logger,
    }),
    jobsFeed: new JobsFeed(new JobsQuery(db, new ActiveReadModels(db, 0)), { pollMs: 50, heartbeatMs: 1_000, logger }),
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

async function get(path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${baseUrl}${path}`);
  return { status: response.status, body: await response.text() };
}

describe('status API on a real MongoDB-protocol server', () => {
  it.each([
    ['a job with only its receipt (not yet folded)', 10, 200, '{"status":"ongoing","job_id":10}'],
    ['a job in progress', 11, 200, '{"status":"ongoing","job_id":11}'],
    ['a completed job', 12, 200, '{"status":"completed","job_id":12}'],
    [
      'a failed job',
      13,
      200,
      '{"status":"failed","job_id":13,"error":[{"store_id":"S9","error":"unknown store_id S9"}]}',
    ],
    ['an unknown job', 14, 400, '{}'],
  ])('answers %s', async (_label, jobId, status, body) => {
    expect(await get(`/api/status?jobid=${jobId}`)).toEqual({ status, body });
  });

  it.each(['abc', '-1', '1.5', '', '0x10'])('answers 400 {} to the malformed job id %p', async (jobId) => {
    expect(await get(`/api/status?jobid=${encodeURIComponent(jobId)}`)).toEqual({ status: 400, body: '{}' });
  });

  it('answers the visits query by area and inclusive date range, stores with measured images only', async () => {
    expect(await get('/api/visits?area=100&startdate=2024-01-21&enddate=2024-01-22')).toEqual({
      status: 200,
      body: JSON.stringify({
        results: [
          {
            store_id: 'S1',
            area: '100',
            store_name: 'Store S1',
            data: [
              { date: '2024-01-21', perimeter: [2000] },
              { date: '2024-01-22', perimeter: [2400] },
            ],
          },
        ],
      }),
    });
  });

  it('filters by store and rejects unknown areas and stores and malformed dates', async () => {
    const byStore = JSON.parse((await get('/api/visits?storeid=S2')).body) as { results: Array<{ store_id: string }> };
    expect(byStore.results.map((result) => result.store_id)).toEqual(['S2']);
    expect(await get('/api/visits?area=999')).toEqual({ status: 400, body: '{"error":"unknown area: 999"}' });
    expect(await get('/api/visits?storeid=S404')).toEqual({ status: 400, body: '{"error":"unknown store_id: S404"}' });
    expect(await get('/api/visits?area=200&storeid=S1')).toEqual({
      status: 400,
      body: '{"error":"store S1 is not in area 200"}',
    });
    expect((await get('/api/visits?startdate=yesterday')).status).toBe(400);
  });

  it('answers from the generation the projection marks active', async () => {
    const { db } = environment;
    await db.collection<JobOutcomeDocument>(readModelCollections(2).jobOutcomes).insertOne({
      _id: jobKey(11),
      jobId: 11,
      status: 'completed',
      failures: [],
      totalImages: 3,
      failedImages: 0,
      position: 12,
    });
    await new ProjectionState(db).setActive({ jobStatus: 2, visits: 2, jobs: 2 });
    expect(await get('/api/status?jobid=11')).toEqual({ status: 200, body: '{"status":"completed","job_id":11}' });
    expect(JSON.parse((await get('/api/visits?area=100')).body)).toEqual({ results: [] });
  });
});

describe('what the status API tells an operator', () => {
  it('names the store master in use: its version, size, source and import time', async () => {
    const answer = await get('/api/ops/store-master');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({
      version: 1,
      stores: 3,
      areas: 2,
      checksum: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      source: 'the test',
      imported_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
  });

  it('tells the generations served, how far each has folded the log, and the last replay', async () => {
    const state = new ProjectionState(environment.db);
    await state.setActive({ jobStatus: 2, visits: 2, jobs: 1 });
    await state.reserveThrough(40, 7);
    for (const model of ['jobStatus', 'visits', 'jobs'] as const) await state.saveCheckpoint(model, 1, 30);
    await state.saveCheckpoint('jobStatus', 2, 40);
    await state.saveCheckpoint('visits', 2, 38);
    const startedAt = new Date('2026-12-01T10:00:00Z');
    await state.saveReplayProgress({
      status: 'running',
      generation: 3,
      models: ['jobs'],
      events: 12,
      total: 40,
      startedAt,
      updatedAt: new Date('2026-12-01T10:00:02Z'),
      finishedAt: null,
    });
    const answer = await get('/api/ops/read-models');
    expect(answer.status).toBe(200);
    const at = (model: string, generation: number, checkpoint: number, served: boolean) => ({
      model,
      checkpoint,
      served,
      updated_at: expect.stringMatching(/^\d{4}-/),
    });
    expect(JSON.parse(answer.body)).toEqual({
      served: { jobStatus: 2, visits: 2, jobs: 1 },
      switched_at: expect.stringMatching(/^\d{4}-/),
      log_position: 40,
      generations: [
        { generation: 2, models: [at('jobStatus', 2, 40, true), at('visits', 2, 38, true)] },
        { generation: 1, models: [at('jobStatus', 1, 30, false), at('visits', 1, 30, false), at('jobs', 1, 30, true)] },
      ],
      replay: {
        status: 'running',
        generation: 3,
        models: ['jobs'],
        events: 12,
        total: 40,
        started_at: '2026-12-01T10:00:00.000Z',
        updated_at: '2026-12-01T10:00:02.000Z',
        finished_at: null,
      },
    });
  });
});
