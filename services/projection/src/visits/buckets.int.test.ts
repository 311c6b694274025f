import {
  bucketKeys,
  findStoreVisits,
  viewKeyOf,
  type VisitBucketDocument,
  type VisitEntry,
} from '@retail-pulse/shared/readModels';
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

describe("an area's day views", () => {
  const area = '7100015';
  const day = (date: string, hour: number) => Date.parse(`${date}T${String(hour).padStart(2, '0')}:00:00Z`);
  /** Images of three stores over three days, added through the bucket changes an ImageProcessed makes. */
  const changes = ['2024-01-20', '2024-01-21', '2024-01-22'].flatMap((date, d) =>
    ['S1', 'S2', 'S3'].flatMap((storeId, s) =>
      [9, 15].map((hour, i) => {
        const entry: VisitEntry = [storeId, day(date, hour), 10 + d, s, i, 1000 + 100 * d + 10 * s + i];
        return { key: bucketKeys.areaDay(area, date), entry };
      }),
    ),
  );
  const answer = (collection: string, from: string, until: string) =>
    findStoreVisits(environment.db, collection, { areaCode: area, from: new Date(from), until: new Date(until) });

  it('answer as the day buckets do, for whole days, a day cut by the range, and days without a view', async () => {
    const buckets = new VisitBuckets(environment.db, 'views');
    await buckets.apply(changes);
    await buckets.write();
    const collection = environment.db.collection<VisitBucketDocument>('views');
    expect(await collection.countDocuments({ _id: { $regex: '^v\\|' } })).toBe(3);
    const whole = await answer('views', '2024-01-20T00:00:00Z', '2024-01-23T00:00:00Z');
    expect(whole.map((store) => store.days.map((d) => [d.date, d.perimeters]))).toEqual(
      ['S1', 'S2', 'S3'].map((_, s) =>
        [0, 1, 2].map((d) => [`2024-01-2${d}`, [1000 + 100 * d + 10 * s, 1001 + 100 * d + 10 * s]]),
      ),
    );
    // The last day cut at noon: its morning images only, from the day's bucket.
    const cut = await answer('views', '2024-01-20T00:00:00Z', '2024-01-22T12:00:00Z');
    expect(cut[0]!.days.at(-1)).toEqual({ date: '2024-01-22', perimeters: [1200] });
    // Views gone (a read model written before them): the same answers, from the buckets.
    await collection.deleteMany({ _id: { $regex: '^v\\|' } });
    expect(await answer('views', '2024-01-20T00:00:00Z', '2024-01-23T00:00:00Z')).toEqual(whole);
    expect(await answer('views', '2024-01-20T00:00:00Z', '2024-01-22T12:00:00Z')).toEqual(cut);
  });

  it('are written again when found behind their bucket (a write cut between the two)', async () => {
    const first = new VisitBuckets(environment.db, 'behind');
    await first.apply(changes);
    await first.write();
    const collection = environment.db.collection<VisitBucketDocument>('behind');
    const key = viewKeyOf(bucketKeys.areaDay(area, '2024-01-21'))!;
    const stale = { stores: ['S1'], runs: [1], perimeters: [1100] };
    await collection.replaceOne({ _id: key }, { entries: JSON.stringify(stale) });
    // A restarted projection refolds the batch: nothing new for the bucket, but its view is rewritten.
    const restarted = new VisitBuckets(environment.db, 'behind');
    await restarted.apply(changes.filter((change) => change.key === bucketKeys.areaDay(area, '2024-01-21')));
    await restarted.write();
    const view = await collection.findOne({ _id: key });
    expect(unpack<{ perimeters: number[] }>(view!.entries).perimeters).toHaveLength(6);
  });
});
