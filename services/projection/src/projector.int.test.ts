import { createLogger } from '@retail-pulse/shared/config';
import type { DomainEvent } from '@retail-pulse/shared/contracts';
import {
  findStoreVisits,
  ProjectionState,
  readModelCollections,
  type ImageEntry,
  type ImagePageDocument,
  type JobDocument,
  fromStoredStatus,
  type JobOutcomeDocument,
  type StoredJobStatus,
  type JobsDocument,
} from '@retail-pulse/shared/readModels';
import {
  aJobCancelled,
  aJobSubmitted,
  anImageFailed,
  anImageProcessed,
  aSettledJob,
} from '../../../test/support/builders';
import { hashReadModels } from './replay/contentHash';
import { IdLookups, unpack } from '@retail-pulse/shared/mongo';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { imageRecordsPerJob } from '../../../test/support/imageRecords';
import { loggedEvents } from '../../../test/support/eventLog';
import { EventLog, moveLegacyLog, type LegacyEventDocument } from './eventLog';
import { Projector } from './projector';
import type { SettledListener } from './readModel';
import { rebuild } from './replay/rebuild';

const logger = createLogger('projection-test', 'silent' as 'info');
/** A job's events: its JobSubmitted, then one outcome per image (the one at `failAt` failed). */
const jobEvents = (jobId: number, images: number, failAt = -1): DomainEvent[] =>
  aSettledJob(jobId, images, failAt >= 0 ? [failAt] : []);

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('projector');
});
afterEach(async () => {
  await environment.cleanup();
});

async function newProjector(): Promise<Projector> {
  const projector = new Projector(environment.db, logger);
  await projector.start();
  return projector;
}

async function readModels() {
  const names = readModelCollections(1);
  return {
    events: await loggedEvents(environment.db),
    // As readers see them: the failures unpacked.
    outcomes: (
      await environment.db.collection<StoredJobStatus>(names.jobOutcomes).find({}).sort({ jobId: 1 }).toArray()
    ).map(fromStoredStatus),
    progress: await environment.db.collection(names.jobProgress).find({}).toArray(),
    images: [...(await imageRecordsPerJob(environment.db)).values()].reduce((sum, count) => sum + count, 0),
  };
}

describe('Projector on a real MongoDB-protocol server', () => {
  it('appends every event once and folds jobs to their outcomes', async () => {
    const projector = await newProjector();
    const [a, b] = [jobEvents(1, 3), jobEvents(2, 2, 1)];
    await projector.project([a[0]!, b[0]!, a[1]!]);
    await projector.project([...a.slice(2), ...b.slice(1)]);
    const state = await readModels();
    expect(state.events.map((event) => event.position)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(
      state.outcomes.map((outcome) => ({
        _id: outcome._id,
        status: outcome.status,
        failures: 'failures' in outcome ? outcome.failures : undefined,
      })),
    ).toEqual([
      { _id: '1', status: 'completed', failures: [] },
      { _id: '2', status: 'failed', failures: [{ storeId: 'S1', reason: 'HTTP 404' }] },
    ]);
    expect(state.progress).toEqual([]);
    expect(state.images).toBe(5);
  });

  it('announces the jobs each batch settles, once their outcomes are stored', async () => {
    const notices: Array<Parameters<SettledListener>[0]> = [];
    const projector = new Projector(environment.db, logger, { onSettled: (notice) => notices.push(notice) });
    await projector.start();
    const [a, b] = [jobEvents(21, 2), jobEvents(22, 2, 0)];
    const submittedAt = a[0]!.metadata.occurredAt;
    await projector.project([a[0]!, b[0]!, a[1]!]);
    expect(notices).toEqual([]);
    await projector.project([a[2]!, ...b.slice(1)]);
    expect(notices).toEqual([
      {
        generation: 1,
        jobs: [
          { jobId: 21, status: 'completed', failures: [], totalImages: 2, failedImages: 0, submittedAt },
          {
            jobId: 22,
            status: 'failed',
            failures: [{ storeId: 'S1', reason: 'HTTP 404' }],
            totalImages: 2,
            failedImages: 1,
            submittedAt,
          },
        ],
      },
    ]);
    const outcomes = await environment.db
      .collection<JobOutcomeDocument>(readModelCollections(1).jobOutcomes)
      .countDocuments({});
    expect(outcomes).toBe(2);
  });

  it('settles a cancelled job as failed, announces it, counts nothing reported after it, across a restart and a rebuild', async () => {
    const notices: Array<Parameters<SettledListener>[0]> = [];
    const projector = new Projector(environment.db, logger, { onSettled: (notice) => notices.push(notice) });
    await projector.start();
    const job = aJobSubmitted({
      jobId: 31,
      visits: [
        { storeId: 'S1', imageUrls: ['http://x/1.jpg', 'http://x/2.jpg'] },
        { storeId: 'S2', imageUrls: ['http://x/3.jpg'] },
      ],
    });
    const measured = anImageProcessed({ jobId: 31, visitIndex: 0, imageIndex: 0, storeId: 'S1' });
    const late = anImageProcessed({ jobId: 31, visitIndex: 0, imageIndex: 1, storeId: 'S1' });
    await projector.project([job, measured]);
    await projector.project([aJobCancelled({ jobId: 31 }), late]);
    // The cancel again (a client's second try) and an outcome arriving after a restart: nothing changes.
    const restarted = await newProjector();
    await restarted.project([
      aJobCancelled({ jobId: 31 }),
      anImageFailed({ jobId: 31, visitIndex: 1, imageIndex: 0, storeId: 'S2' }),
    ]);
    const state = await readModels();
    expect(state.events.map((logged) => logged.event.type)).toEqual([
      'JobSubmitted',
      'ImageProcessed',
      'JobCancelled',
      'ImageProcessed',
      'ImageFailed',
    ]);
    expect(state.outcomes).toEqual([
      expect.objectContaining({
        _id: '31',
        status: 'failed',
        failures: [
          { storeId: 'S1', reason: 'cancelled' },
          { storeId: 'S2', reason: 'cancelled' },
        ],
        totalImages: 3,
        failedImages: 2,
      }),
    ]);
    expect(notices.map((notice) => notice.jobs.map(({ jobId, status }) => ({ jobId, status })))).toEqual([
      [{ jobId: 31, status: 'failed' }],
    ]);
    expect(state.progress).toEqual([]);
    // Only the image measured before the cancellation is a result: in the visits too.
    const visits = await findStoreVisits(environment.db, readModelCollections(1).visits, { storeId: 'S1' });
    expect(visits.flatMap((store) => store.days.flatMap((day) => day.perimeters))).toHaveLength(1);
    const jobs = environment.db.collection<JobsDocument>(readModelCollections(1).jobs);
    expect(await jobs.findOne({ _id: 'j|31' })).toMatchObject({
      state: 'failed',
      succeeded: 1,
      failed: 2,
      cancelledAt: aJobCancelled().metadata.occurredAt,
    });
    // A job of one page keeps its images in its detail: it has no page document.
    expect(await jobs.findOne({ _id: 'p|31|0' })).toBeNull();
    const detail = (await jobs.findOne({ _id: 'j|31' })) as JobDocument | null;
    expect(unpack<ImageEntry[]>(detail!.entries!).map((entry) => entry[3])).toEqual([
      'succeeded',
      'cancelled',
      'cancelled',
    ]);
    // A rebuild from the log reaches the very same read models.
    const rebuilt = await rebuild(environment.db, logger);
    const generation = rebuilt.generation;
    expect(
      (await hashReadModels(environment.db, { jobStatus: generation, visits: generation, jobs: generation })).hash,
    ).toBe((await hashReadModels(environment.db, { jobStatus: 1, visits: 1, jobs: 1 })).hash);
  });

  it('keeps one log entry and one count per event when every event is delivered twice', async () => {
    const projector = await newProjector();
    const events = jobEvents(3, 4);
    await projector.project(events.slice(0, 3));
    await projector.project([...events.slice(0, 3), ...events.slice(3, 4)]);
    const partial = await readModels();
    expect(partial.progress).toEqual([{ _id: 'open|0', jobs: '[[3,1]]' }]);
    await projector.project([...events, ...events]);
    const state = await readModels();
    expect(state.events).toHaveLength(5);
    expect(new Set(state.events.map((logged) => logged.event.eventId)).size).toBe(5);
    expect(state.outcomes).toEqual([
      expect.objectContaining({ _id: '3', status: 'completed', totalImages: 4, failedImages: 0 }),
    ]);
    expect(state.images).toBe(4);
  });

  it('after a crash between appending and folding, folds the appended events once on restart', async () => {
    const first = await newProjector();
    const events = jobEvents(4, 3);
    await first.project(events.slice(0, 2));
    // A crash after the append: the log holds events the read models have not seen.
    await first.log.append(events.slice(2), 10);
    const restarted = await newProjector();
    expect(restarted.status.lastFoldedPosition).toBe(11);
    // The broker redelivers the unacked events: they are duplicates now and change nothing.
    await restarted.project(events.slice(2));
    const state = await readModels();
    expect(state.events.map((event) => event.position)).toEqual([1, 2, 10, 11]);
    expect(state.outcomes).toEqual([expect.objectContaining({ _id: '4', status: 'completed', totalImages: 3 })]);
    expect(state.images).toBe(3);
    // Positions reserved for the duplicates stay unused: the next events land above everything.
    await restarted.project(jobEvents(40, 1));
    const positions = (await readModels()).events.map((event) => event.position);
    expect(positions.slice(0, 4)).toEqual([1, 2, 10, 11]);
    expect(positions.slice(4).every((position) => position > 11)).toBe(true);
    expect(new Set(positions).size).toBe(6);
  });

  it('restarts from counts written a while ago, losing and doubling none', async () => {
    const first = await newProjector();
    const events = jobEvents(60, 5, 3);
    await first.project(events.slice(0, 2));
    await first.project(events.slice(2, 4)); // counted in memory; the stored counts lag behind
    const restarted = await newProjector(); // a crash: the checkpoint is ahead of the stored counts
    await restarted.project(events.slice(4));
    const state = await readModels();
    expect(state.outcomes).toEqual([
      expect.objectContaining({ _id: '60', status: 'failed', totalImages: 5, failedImages: 1 }),
    ]);
    expect(state.progress).toEqual([]);
    expect(state.images).toBe(5);
  });

  it('drops the first page a one-page job open across a restart had before its images moved into its detail', async () => {
    const first = await newProjector();
    const events = jobEvents(61, 2);
    await first.project(events.slice(0, 2));
    // As a projection of before 2026-12-03 left it: the job's images in a page of their own.
    const jobs = environment.db.collection<JobsDocument>(readModelCollections(1).jobs);
    const stale: ImagePageDocument = { _id: 'p|61|0', jobId: 61, page: 0, total: 2, entries: '[]' };
    await jobs.insertOne(stale);
    const restarted = await newProjector();
    await restarted.project(events.slice(2));
    expect(await jobs.findOne({ _id: 'p|61|0' })).toBeNull();
    const detail = (await jobs.findOne({ _id: 'j|61' })) as JobDocument | null;
    expect(unpack<ImageEntry[]>(detail!.entries!).map((entry) => entry[3])).toEqual(['succeeded', 'succeeded']);
  });

  it('lists the jobs it holds open in blocks of their own, and moves the one list document of an older generation', async () => {
    const names = readModelCollections(1);
    const openBlocks = () => environment.db.collection(names.jobsOpen).find({}).sort({ _id: 1 }).toArray();
    const first = await newProjector();
    const [early, late] = [jobEvents(998, 2), jobEvents(1001, 1)];
    await first.project([early[0]!, late[0]!, early[1]!]);
    expect(await openBlocks()).toEqual([
      { _id: 'open|0', jobs: '[[998,1]]' },
      { _id: 'open|1', jobs: '[[1001,2]]' },
    ]);
    // As a projection of before blocks left it: one list document among the jobs' documents.
    const jobs = environment.db.collection<{ _id: string; jobs: string }>(names.jobs);
    await environment.db.collection(names.jobsOpen).deleteMany({});
    await jobs.insertOne({ _id: 'o|open', jobs: '[[998,1],[1001,2]]' });
    const restarted = await newProjector();
    expect(await jobs.findOne({ _id: 'o|open' })).toBeNull();
    expect(await openBlocks()).toEqual([
      { _id: 'open|0', jobs: '[[998,1]]' },
      { _id: 'open|1', jobs: '[[1001,2]]' },
    ]);
    // Refolded from their first events, both jobs settle with their last images, and leave the list.
    await restarted.project([early[2]!, late[1]!]);
    expect(await openBlocks()).toEqual([]);
    const detail = (await jobs.findOne({ _id: 'j|998' })) as unknown as JobDocument | null;
    expect(unpack<ImageEntry[]>(detail!.entries!).map((entry) => entry[3])).toEqual(['succeeded', 'succeeded']);
  });

  it('resumes numbering after the positions it reserved, never reusing one', async () => {
    const first = await newProjector();
    await first.project(jobEvents(5, 1));
    const second = await newProjector();
    await second.project(jobEvents(6, 1));
    const positions = (await readModels()).events.map((event) => event.position);
    expect(positions).toEqual([1, 2, 3, 4]);
  });
});

describe('a log written before ImageProcessed v2', () => {
  it('moves a log kept one document per event into pages, then replays v1 events through the upcaster', async () => {
    const v2Events = jobEvents(50, 2);
    // As an older version stored them: one document per event, and ImageProcessed v1 had no processedAt.
    const documents = v2Events.map((event, index): LegacyEventDocument => {
      const stored =
        event.type === 'ImageProcessed'
          ? { ...event, version: 1, data: (({ processedAt: _dropped, ...rest }) => rest)(event.data) }
          : event;
      return {
        _id: stored.eventId,
        position: index + 1,
        type: stored.type,
        version: stored.version,
        jobId: stored.data.jobId,
        payload: JSON.stringify(stored.data),
        metadata: stored.metadata,
        recordedAt: new Date('2024-01-22T00:00:00.000Z'),
      };
    });
    await environment.db.collection<LegacyEventDocument>('events').insertMany(documents);
    await expect(rebuild(environment.db, logger)).rejects.toThrow('start the projection once');
    expect(await moveLegacyLog(environment.db, logger)).toBe(3);
    expect(await moveLegacyLog(environment.db, logger)).toBe(0);
    expect(await new ProjectionState(environment.db).logState()).toEqual({ reservedThrough: 3, highestJobId: 50 });

    const result = await rebuild(environment.db, logger);
    expect(result).toMatchObject({ events: 3, lastPosition: 3, models: ['jobStatus', 'visits', 'jobs'] });
    const names = readModelCollections(result.generation);
    expect(await environment.db.collection(names.jobOutcomes).findOne({ _id: '50' as never })).toMatchObject({
      status: 'completed',
      totalImages: 2,
    });
    const log = new EventLog(environment.db);
    const upcast = await log.get(v2Events[1]!.eventId);
    expect(upcast).toMatchObject({ version: 2, position: 2, data: { processedAt: '2024-01-21T00:00:00.000Z' } });
    // The stored events keep the version they were written in, and their positions and times.
    const logged = await loggedEvents(environment.db);
    expect(logged.map(({ position, recordedAt, event }) => [position, recordedAt, event.type, event.version])).toEqual([
      [1, '2024-01-22T00:00:00.000Z', 'JobSubmitted', 1],
      [2, '2024-01-22T00:00:00.000Z', 'ImageProcessed', 1],
      [3, '2024-01-22T00:00:00.000Z', 'ImageProcessed', 1],
    ]);
  });
});

describe('one writer decides what is served', () => {
  const outcome = (generation: number, jobId: number) =>
    environment.db.collection<StoredJobStatus>(readModelCollections(generation).jobOutcomes).findOne({
      _id: String(jobId),
    });

  it('folds into the generation a replay switched to while it held no queue, from its next batch on', async () => {
    const projector = await newProjector();
    await projector.project(jobEvents(1, 2));
    const rebuilt = await rebuild(environment.db, logger);
    await new ProjectionState(environment.db).setActive({
      jobStatus: rebuilt.generation,
      visits: rebuilt.generation,
      jobs: rebuilt.generation,
    });
    await projector.project(jobEvents(2, 1));
    expect(projector.generations).toEqual({
      jobStatus: rebuilt.generation,
      visits: rebuilt.generation,
      jobs: rebuilt.generation,
    });
    expect(await outcome(rebuilt.generation, 2)).toMatchObject({ status: 'completed', totalImages: 1 });
    expect(await outcome(rebuilt.generation, 1)).toMatchObject({ status: 'completed', totalImages: 2 });
  });

  it('appends after what another instance appended when it takes over as the active consumer', async () => {
    const standby = await newProjector();
    const active = await newProjector();
    await active.project(jobEvents(1, 2));
    await standby.project(jobEvents(2, 2));
    const positions = (await loggedEvents(environment.db)).map((logged) => logged.position);
    expect(positions).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await outcome(1, 2)).toMatchObject({ status: 'completed', totalImages: 2 });
    expect(await new ProjectionState(environment.db).logState()).toEqual({ reservedThrough: 6, highestJobId: 2 });
  });

  it('switches on request only forward, only to a generation that was built, and not after the request expired', async () => {
    const now = new Date('2026-12-01T10:00:00Z');
    const projector = new Projector(environment.db, logger, { clock: () => now });
    await projector.start();
    await projector.project(jobEvents(1, 1));
    const request = (generation: number, expiresAt: string) => ({
      type: 'SwitchReadModels' as const,
      version: 1 as const,
      data: { generations: { visits: generation }, requestedAt: now.toISOString(), expiresAt },
    });
    expect(await projector.switchGenerations(request(5, '2026-12-01T10:01:00Z'))).toEqual({
      jobStatus: 1,
      visits: 1,
      jobs: 1,
    });
    const rebuilt = await rebuild(environment.db, logger, { models: ['visits'] });
    expect(await projector.switchGenerations(request(rebuilt.generation, '2026-12-01T09:59:59Z'))).toEqual({
      jobStatus: 1,
      visits: 1,
      jobs: 1,
    });
    expect(await projector.switchGenerations(request(rebuilt.generation, '2026-12-01T10:01:00Z'))).toEqual({
      jobStatus: 1,
      visits: rebuilt.generation,
      jobs: 1,
    });
    expect(await new ProjectionState(environment.db).active()).toEqual({
      jobStatus: 1,
      visits: rebuilt.generation,
      jobs: 1,
    });
    expect(await projector.switchGenerations(request(1, '2026-12-01T10:01:00Z'))).toEqual({
      jobStatus: 1,
      visits: rebuilt.generation,
      jobs: 1,
    });
  });

  it('refuses an event whose id the log holds for another subject, and keeps true duplicates quiet', async () => {
    const projector = await newProjector();
    await projector.project(jobEvents(1, 1));
    const [submitted, processed] = jobEvents(1, 1) as [DomainEvent, DomainEvent];
    const otherJob = { ...submitted, data: { ...submitted.data, imageCount: 2 } } as DomainEvent;
    const remeasured = {
      ...processed,
      data: { ...processed.data, processedAt: '2024-01-22T00:00:00.000Z' },
    } as DomainEvent;
    const result = await projector.project([remeasured, otherJob, submitted]);
    expect(result.refused).toEqual([
      expect.objectContaining({
        index: 1,
        eventId: submitted.eventId,
        reason: expect.stringContaining('another job submission'),
      }),
    ]);
    expect(await loggedEvents(environment.db)).toHaveLength(2);
    expect(projector.status.eventsRefused).toBe(1);
  });
});

describe('reads by _id on the embedded database', () => {
  it('are index lookups in every generation the projection opens or a replay builds', async () => {
    const idLookups = new IdLookups(environment.db, logger, process.env.FERRETDB_SQLITE_DIR);
    if ((await idLookups.file()) === undefined) {
      // A real MongoDB serves _id from its own index; nothing is added (see idLookups.int.test.ts).
      return expect(idLookups.ensure(['anything'])).resolves.toBeUndefined();
    }
    const projector = new Projector(environment.db, logger, { idLookups });
    await projector.start();
    await projector.project(jobEvents(1, 2));
    const rebuilt = await rebuild(environment.db, logger, { idLookups });
    for (const generation of [1, rebuilt.generation]) {
      for (const collection of Object.values(readModelCollections(generation))) {
        expect(await idLookups.planOfIdLookup(collection)).toMatch(/USING INDEX \S+_rp_id\b/);
      }
    }
  });
});
