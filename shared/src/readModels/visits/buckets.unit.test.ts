import { aJobSubmitted, anImageFailed, anImageProcessed, at } from '../../../../test/support/builders';
import { Binary } from 'mongodb';
import { pack } from '../../mongo/packed';
import {
  BucketContent,
  bucketChangesOf,
  dayViewColumnsOf,
  imageColumnsOf,
  periodsWithin,
  viewKeyOf,
  type VisitEntry,
} from './buckets';

describe('visit buckets', () => {
  it("put a measured image into its store's month and its area's day, and the directories", () => {
    const event = at(
      4,
      anImageProcessed({
        jobId: 9,
        visitIndex: 1,
        imageIndex: 2,
        storeId: 'S7',
        visitTime: '2024-01-21T23:30:00-02:00',
      }),
    );
    const entry: VisitEntry = ['S7', Date.parse('2024-01-22T01:30:00Z'), 9, 1, 2, 30];
    expect(bucketChangesOf(event)).toEqual([
      { key: 's|S7|2024-01', entry },
      { key: 'a|71|2024-01-22', entry },
      { key: 'S|S7', member: '2024-01' },
      { key: 'A|71', member: '2024-01-22' },
      { key: 'areas', member: '71' },
      { key: 'F|71', member: 'S7' },
    ]);
  });

  it('hold nothing of a failed image or a submission', () => {
    expect(bucketChangesOf(at(1, aJobSubmitted()))).toEqual([]);
    expect(bucketChangesOf(at(2, anImageFailed()))).toEqual([]);
  });

  it('are sets: an image or a member added twice is there once, and equal contents pack to equal bytes', () => {
    const a: VisitEntry = ['S1', 2, 1, 0, 0, 30];
    const b: VisitEntry = ['S1', 1, 1, 0, 1, 30];
    const first = new BucketContent();
    expect([first.add(a), first.add(b), first.add(a)]).toEqual([true, true, false]);
    const second = new BucketContent();
    second.add(b);
    second.add(a);
    expect(second.toPacked()).toEqual(first.toPacked());
    expect(BucketContent.parse(first.toPacked()).add(b)).toBe(false);
    expect(BucketContent.parse(first.toPacked()).images).toEqual([b, a]);
    const directory = new BucketContent();
    expect([directory.add('2024-01-02'), directory.add('2024-01-01'), directory.add('2024-01-02')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(directory.memberList).toEqual(['2024-01-01', '2024-01-02']);
    expect(BucketContent.parse(directory.toPacked()).memberList).toEqual(['2024-01-01', '2024-01-02']);
  });

  it('are deflated once long, kept as text while short', () => {
    const content = new BucketContent();
    for (let image = 0; image < 500; image++) content.add(['S1', image, 1, 0, image, 1000 + image]);
    expect(content.toPacked()).toBeInstanceOf(Binary);
    expect(BucketContent.parse(content.toPacked()).imageCount).toBe(500);
    const short = new BucketContent();
    short.add(['S1', 1, 1, 0, 0, 30]);
    expect(typeof short.toPacked()).toBe('string');
    expect(BucketContent.parse(short.toPacked()).images).toEqual([['S1', 1, 1, 0, 0, 30]]);
  });

  it('keep images as columns in the answer order, the store once per run', () => {
    const content = new BucketContent();
    for (const entry of [
      ['S2', 5, 2, 0, 0, 50],
      ['S1', 9, 1, 0, 1, 20],
      ['S1', 9, 1, 0, 0, 10],
    ] as VisitEntry[])
      content.add(entry);
    expect(imageColumnsOf(content.toPacked())).toEqual({
      stores: ['S1', 'S2'],
      runs: [2, 1],
      times: [9, 9, 5],
      jobs: [1, 1, 2],
      visits: [0, 0, 0],
      images: [0, 1, 0],
      perimeters: [10, 20, 50],
    });
  });

  it("give an area's day a view of its stores and perimeters in the bucket's order, read as the day's images", () => {
    const content = new BucketContent();
    const day = Date.parse('2024-01-21T00:00:00Z');
    content.add(['S2', day + 5_000, 1, 0, 0, 30]);
    content.add(['S1', day + 9_000, 1, 0, 1, 20]);
    content.add(['S1', day + 1_000, 2, 0, 0, 10]);
    const bucket = imageColumnsOf(content.toPacked());
    const view = dayViewColumnsOf(content.toPackedView(), '2024-01-21');
    expect(view).toEqual({
      stores: bucket.stores,
      runs: bucket.runs,
      times: [day, day, day],
      jobs: [0, 0, 0],
      visits: [0, 0, 0],
      images: [0, 0, 0],
      perimeters: [10, 20, 30],
    });
    expect(viewKeyOf('a|7100015|2024-01-21')).toBe('v|7100015|2024-01-21');
    expect(viewKeyOf('s|S1|2024-01')).toBeUndefined();
  });

  it('read buckets written before the columns: JSON text or packed, members and 8-field entries', () => {
    const old = ['2024-01-01', ['S1', 'A', '71', 2, 1, 0, 0, 30], ['S1', 'A', '71', 1, 1, 0, 1, 40]];
    for (const stored of [JSON.stringify(old), pack(old)]) {
      const content = BucketContent.parse(stored);
      expect(content.images).toEqual([
        ['S1', 2, 1, 0, 0, 30],
        ['S1', 1, 1, 0, 1, 40],
      ]);
      expect(content.memberList).toEqual(['2024-01-01']);
      expect(imageColumnsOf(stored).perimeters).toEqual([40, 30]);
    }
  });

  it('find the days and months that overlap a time range', () => {
    const dates = ['2024-01-20', '2024-01-21', '2024-01-22'];
    expect(periodsWithin(dates)).toEqual(dates);
    expect(periodsWithin(dates, new Date('2024-01-21T23:00:00Z'))).toEqual(['2024-01-21', '2024-01-22']);
    expect(periodsWithin(dates, undefined, new Date('2024-01-21T00:00:00Z'))).toEqual(['2024-01-20']);
    const months = ['2023-12', '2024-01', '2024-02'];
    expect(periodsWithin(months, new Date('2024-01-31T23:59:59Z'), new Date('2024-02-01T00:00:00Z'))).toEqual([
      '2024-01',
    ]);
    expect(periodsWithin(months, new Date('2023-12-31T12:00:00Z'), new Date('2024-02-01T00:00:01Z'))).toEqual(months);
  });
});
