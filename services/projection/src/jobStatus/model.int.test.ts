import {
  fromStoredStatus,
  jobKey,
  ProjectionState,
  readModelCollections,
  type StoredJobStatus,
} from '@retail-pulse/shared/readModels';
import { aSettledJob, recorded } from '../../../../test/support/builders';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { JobStatusModel } from './model';

const names = readModelCollections(1);
const live = { verifyTerminal: false };

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('job-status-model');
});
afterEach(async () => {
  await environment.cleanup();
});

async function newModel(): Promise<JobStatusModel> {
  const model = new JobStatusModel(environment.db, new ProjectionState(environment.db), 1);
  await model.load();
  return model;
}
/** The status documents as readers see them (failures unpacked). */
const statusDocuments = async () =>
  (await environment.db.collection<StoredJobStatus>(names.jobOutcomes).find({}).sort({ jobId: 1 }).toArray()).map(
    fromStoredStatus,
  );
const markers = () => environment.db.collection(names.jobProgress).find({}).toArray();
const completed = (jobId: number, totalImages: number, position: number) => ({
  _id: jobKey(jobId),
  jobId,
  status: 'completed',
  failures: [],
  totalImages,
  failedImages: 0,
  position,
});

describe('the job-status model on a real MongoDB-protocol server', () => {
  it('stores a status document per job: ongoing from its first event, then its outcome written over it', async () => {
    const model = await newModel();
    const events = recorded(aSettledJob(1, 2));
    await model.fold(events.slice(0, 2), live);
    expect(await statusDocuments()).toEqual([{ _id: '1', jobId: 1, status: 'ongoing' }]);
    expect(await markers()).toEqual([{ _id: 'open|0', jobs: '[[1,1]]' }]);
    await model.fold(events.slice(2), live);
    expect(await statusDocuments()).toEqual([completed(1, 2, 3)]);
    expect(await markers()).toEqual([]);
  });

  it('writes the outcome over an ongoing document a crash left without its marker and checkpoint', async () => {
    const events = recorded(aSettledJob(2, 2));
    await (await newModel()).fold(events.slice(0, 1), live);
    // The crash: the ongoing document was written, its marker and the checkpoint were not.
    await environment.db.collection(names.jobProgress).deleteMany({});
    await new ProjectionState(environment.db).saveCheckpoint('jobStatus', 1, 0);
    // Redelivered in one batch with the rest, the job now opens and settles at once.
    await (await newModel()).fold(events, { verifyTerminal: true });
    expect(await statusDocuments()).toEqual([completed(2, 2, 3)]);
    expect(await markers()).toEqual([]);
  });

  it('refolds a settled job after a restart that lost its marker removal, its outcome unchanged', async () => {
    const model = await newModel();
    const events = recorded(aSettledJob(3, 2));
    await model.fold(events.slice(0, 2), live);
    await model.fold(events.slice(2), live);
    // The crash: the job was still listed open and the checkpoint behind.
    await environment.db.collection(names.jobProgress).insertOne({ _id: 'open|0' as never, jobs: '[[3,1]]' });
    await new ProjectionState(environment.db).saveCheckpoint('jobStatus', 1, 2);
    await (await newModel()).fold(events, { verifyTerminal: true });
    expect(await statusDocuments()).toEqual([completed(3, 2, 3)]);
    expect(await markers()).toEqual([]);
    // A late outcome of the settled job, folded live by a model that has forgotten it, changes nothing.
    await (await newModel()).fold(recorded(aSettledJob(3, 2).slice(1), 4), live);
    expect(await statusDocuments()).toEqual([completed(3, 2, 3)]);
    expect(await markers()).toEqual([]);
  });

  it('in rebuild mode, writes outcomes as jobs settle and ongoing documents at the end, for the jobs still open', async () => {
    const model = await newModel();
    model.setDeferred(true);
    const settled = aSettledJob(4, 1);
    const open = aSettledJob(5, 3).slice(0, 2);
    await model.fold(recorded([...settled, ...open]), live);
    expect(await statusDocuments()).toEqual([completed(4, 1, 2)]);
    expect(await markers()).toEqual([]);
    await model.flush();
    expect(await statusDocuments()).toEqual([completed(4, 1, 2), { _id: '5', jobId: 5, status: 'ongoing' }]);
    expect(await markers()).toEqual([{ _id: 'open|0', jobs: '[[5,3]]' }]);
  });

  it('lists open jobs by block of 1,000 job ids, rewriting only the blocks whose jobs opened or settled', async () => {
    const model = await newModel();
    const [first, second, third] = [aSettledJob(998, 1), aSettledJob(999, 2), aSettledJob(1000, 1)];
    const events = recorded([first[0]!, second[0]!, third[0]!, first[1]!, second[1]!, second[2]!, third[1]!]);
    await model.fold(events.slice(0, 3), live);
    expect(await markers()).toEqual([
      { _id: 'open|0', jobs: '[[998,1],[999,2]]' },
      { _id: 'open|1', jobs: '[[1000,3]]' },
    ]);
    expect(model.ongoingJobs).toBe(3);
    await model.fold(events.slice(3, 5), live);
    expect(await markers()).toEqual([
      { _id: 'open|0', jobs: '[[999,2]]' },
      { _id: 'open|1', jobs: '[[1000,3]]' },
    ]);
    await model.fold(events.slice(5), live);
    expect(await markers()).toEqual([]);
    expect(model.ongoingJobs).toBe(0);
  });

  it('replaces the per-job markers of a generation written before blocks, and refolds those jobs', async () => {
    const events = recorded(aSettledJob(6, 2));
    await (await newModel()).fold(events.slice(0, 2), live);
    // As an older projection left it: a marker per open job, and the checkpoint at the last event.
    await environment.db.collection(names.jobProgress).deleteMany({});
    await environment.db.collection(names.jobProgress).insertOne({ _id: jobKey(6) as never, jobId: 6, openedAt: 1 });
    const model = await newModel();
    expect(await markers()).toEqual([{ _id: 'open|0', jobs: '[[6,1]]' }]);
    // Refolded from its first event, its counts are rebuilt: its last image settles it.
    await model.fold(events, { verifyTerminal: true });
    expect(await statusDocuments()).toEqual([completed(6, 2, 3)]);
    expect(await markers()).toEqual([]);
  });
});
