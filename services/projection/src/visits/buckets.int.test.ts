import type { VisitBucketDocument } from '@retail-pulse/shared/readModels';
import { unpack } from '@retail-pulse/shared/mongo';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { VisitBuckets } from './buckets';

/**
 * A write of the buckets that fails part-way (the database killed between two of its commands)
 * has stored some new buckets and not others; the batch is then written again. That write must
 * succeed: inserting a bucket the first attempt stored was refused as a duplicate every time, and
 * the projection retried the same batch forever (the chaos run, 2026-12-02).
 */
let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createTestEnvironment('visit-buckets');
});
afterAll(async () => {
  await environment?.cleanup();
});

describe('VisitBuckets.write after a write that failed part-way', () => {
  it('stores every bucket once, the one stored before included, with its whole content', async () => {
    const collection = environment.db.collection<VisitBucketDocument>('buckets');
    const buckets = new VisitBuckets(environment.db, 'buckets');
    await buckets.apply([
      { key: 'S1|2024-01', member: 'a' },
      { key: 'S2|2024-01', member: 'b' },
    ]);
    // What the failed attempt left: one of the two new buckets stored, and an error.
    await collection.insertOne({ _id: 'S2|2024-01', entries: JSON.stringify(['b']) });
    await expect(buckets.write()).rejects.toThrow();

    await buckets.apply([{ key: 'S2|2024-01', member: 'c' }]);
    await buckets.write();
    const stored = await collection.find({}).sort({ _id: 1 }).toArray();
    expect(stored.map((bucket) => [bucket._id, unpack(bucket.entries)])).toEqual([
      ['S1|2024-01', ['a']],
      ['S2|2024-01', ['b', 'c']],
    ]);
  });
});
