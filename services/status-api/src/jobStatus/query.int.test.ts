import { MongoClient, type CommandStartedEvent, type Db } from 'mongodb';
import {
  jobKey,
  ProjectionState,
  readModelCollections,
  type JobOutcomeDocument,
  type JobReceiptDocument,
  type JobStatusDocument,
} from '@retail-pulse/shared/readModels';
import { collectionNames } from '@retail-pulse/shared/mongo';
import { JobStatusModel } from '../../../projection/src/jobStatus/model';
import { aSettledJob, recorded } from '../../../../test/support/builders';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { ActiveReadModels } from '../readModels';
import { JobStatusQuery } from './query';

const names = readModelCollections(1);

let environment: TestEnvironment;
/** A connection of the query's own, whose commands the test counts. */
let monitored: MongoClient;
let commands: CommandStartedEvent[];
let query: JobStatusQuery;
beforeEach(async () => {
  environment = await createTestEnvironment('status-query');
  monitored = new MongoClient(environment.mongoUrl, { monitorCommands: true });
  await monitored.connect();
  commands = [];
  monitored.on('commandStarted', (event) => commands.push(event));
  query = new JobStatusQuery(monitored.db(environment.dbName), new ActiveReadModels(monitored.db(environment.dbName)));
});
afterEach(async () => {
  await monitored.close();
  await environment.cleanup();
});

const receipt = (jobId: number) =>
  environment.db
    .collection<JobReceiptDocument>(collectionNames.jobReceipts)
    .insertOne({ _id: jobKey(jobId), jobId, acceptedAt: new Date() });
const statusDocument = (db: Db, collection: string, document: JobStatusDocument) =>
  db.collection<JobStatusDocument>(collection).insertOne(document);
/** The collections each status request read, in order. */
const readsOf = async (request: () => Promise<unknown>): Promise<string[]> => {
  commands = [];
  await request().catch(() => undefined);
  return commands.filter((command) => command.commandName === 'find').map((command) => String(command.command.find));
};

describe('job status on a real MongoDB-protocol server', () => {
  it('answers from the status document the projection writes: ongoing from the first event, then the outcome', async () => {
    const model = new JobStatusModel(environment.db, new ProjectionState(environment.db), 1);
    await model.load();
    const events = recorded(aSettledJob(40, 2, [1]));
    await model.fold(events.slice(0, 2), { verifyTerminal: false });
    // No receipt: the projection's own document says the job is ongoing.
    expect(await query.statusOf(40)).toEqual({ status: 'ongoing', job_id: 40 });
    await model.fold(events.slice(2), { verifyTerminal: false });
    expect(await query.statusOf(40)).toEqual({
      status: 'failed',
      job_id: 40,
      error: [{ store_id: 'S1', error: 'HTTP 404' }],
    });
  });

  it('reads one document per request once the job is folded, the receipt only before', async () => {
    await receipt(41);
    await query.statusOf(41); // the generation served, read once and kept for 500 ms
    expect(await readsOf(() => query.statusOf(41))).toEqual([names.jobOutcomes, collectionNames.jobReceipts]);
    await statusDocument(environment.db, names.jobOutcomes, { _id: jobKey(41), jobId: 41, status: 'ongoing' });
    expect(await readsOf(() => query.statusOf(41))).toEqual([names.jobOutcomes]);
    await environment.db
      .collection<JobOutcomeDocument>(names.jobOutcomes)
      .replaceOne(
        { _id: jobKey(41) },
        { jobId: 41, status: 'completed', failures: [], totalImages: 1, failedImages: 0, position: 3 },
      );
    expect(await readsOf(() => query.statusOf(41))).toEqual([names.jobOutcomes]);
    // A settled answer is final: from now on it is answered from memory.
    expect(await readsOf(() => query.statusOf(41))).toEqual([]);
    expect(await query.statusOf(41)).toEqual({ status: 'completed', job_id: 41 });
  });

  it('answers ongoing from the receipt before the projection folds the job, and 400 for a job never accepted', async () => {
    await expect(query.statusOf(43)).rejects.toMatchObject({ status: 400, body: {} });
    await receipt(43);
    expect(await query.statusOf(43)).toEqual({ status: 'ongoing', job_id: 43 });
  });

  it('answers a requested generation from its own documents alone, receipts speaking of now', async () => {
    await new ProjectionState(environment.db).saveCheckpoint('jobStatus', 2, 10);
    await receipt(44);
    await expect(query.statusOf(44, '2')).rejects.toMatchObject({ status: 400 });
    expect(await query.statusOf(44)).toEqual({ status: 'ongoing', job_id: 44 });
    await statusDocument(environment.db, readModelCollections(2).jobOutcomes, {
      _id: jobKey(44),
      jobId: 44,
      status: 'ongoing',
    });
    expect(await query.statusOf(44, '2')).toEqual({ status: 'ongoing', job_id: 44 });
    await expect(query.statusOf(44, '3')).rejects.toMatchObject({ status: 400 });
  });
});
