import { jobsKeys, JobsReader, type JobsDocument, type JobSummaryEntry } from '@retail-pulse/shared/readModels';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { JobListing } from './listing';

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('listing');
});
afterEach(async () => {
  await environment.cleanup();
});

const summary = (jobId: number): JobSummaryEntry => [jobId, 'ongoing', 5, 0, 0, '2026-12-06T22:00:00.000Z'];

describe('the jobs listing as the projection writes it, on the real database', () => {
  it('hands a new top block and the head over again when their write failed, and the listing then shows the job', async () => {
    const collection = environment.db.collection<JobsDocument>('listing_test_jobs');
    const listing = new JobListing(collection);
    listing.reset(null);
    await listing.summarize([summary(150)]);
    const first = listing.documents();
    expect(first.map((document) => document._id)).toEqual([jobsKeys.block(1), jobsKeys.head()]);
    // The write of `first` failed: the batch is folded again, the same summaries from the same memory.
    await listing.summarize([summary(150)]);
    const again = listing.documents();
    expect(again).toEqual(first);
    await collection.insertMany(again);
    listing.stored();
    expect(listing.documents()).toEqual([]);
    const page = await new JobsReader(environment.db).listing('listing_test_jobs', { limit: 10 });
    expect(page.jobs.map((entry) => entry[0])).toEqual([150]);
  });
});
