import type { Collection, Db } from 'mongodb';
import {
  BucketContent,
  bucketKeys,
  dayViewColumnsOf,
  imageColumnsOf,
  isWholeDayWithin,
  periodsWithin,
  viewKeyOf,
  type EntryColumns,
  type VisitBucketDocument,
} from './buckets';
import { groupVisits, type StoreVisits } from './group';

/** What the visits query asks for; every part optional, combined with AND. */
export interface VisitsCriteria {
  areaCode?: string;
  storeId?: string;
  /** Visits at or after this time. */
  from?: Date;
  /** Visits before this time. */
  until?: Date;
}

/**
 * The measured visits matching the criteria, from one generation's visit buckets: a directory
 * read, then one bucket per month (a store) or day (an area) in the range, every read a lookup by
 * `_id`, all of a step at once.
 */
export async function findStoreVisits(db: Db, buckets: string, criteria: VisitsCriteria): Promise<StoreVisits[]> {
  const collection = db.collection<VisitBucketDocument>(buckets);
  const read = async (key: string) => BucketContent.parse((await collection.findOne({ _id: key }))?.entries);
  const { from, until } = criteria;
  let bucketsToRead: BucketRead[];
  if (criteria.storeId !== undefined) {
    const storeId = criteria.storeId;
    const months =
      periodsBetween('month', from, until) ??
      periodsWithin((await read(bucketKeys.storeMonths(storeId))).memberList, from, until);
    bucketsToRead = months.map((month) => ({ key: bucketKeys.storeMonth(storeId, month) }));
  } else {
    const areas = criteria.areaCode !== undefined ? [criteria.areaCode] : (await read(bucketKeys.areas())).memberList;
    // One area's days, whole within the range, are read from their views (DayView). Across areas
    // the images of a moved store are ordered by their times, which only the buckets hold.
    const views = criteria.areaCode !== undefined;
    const perArea = await Promise.all(
      areas.map(async (areaCode) =>
        (
          periodsBetween('day', from, until) ??
          periodsWithin((await read(bucketKeys.areaDays(areaCode))).memberList, from, until)
        ).map((date) => ({
          key: bucketKeys.areaDay(areaCode, date),
          ...(views && isWholeDayWithin(date, from, until) ? { wholeDay: date } : {}),
        })),
      ),
    );
    bucketsToRead = perArea.flat();
  }
  // An area's day holds that area's images only, a store's month that store's: no filter but time.
  return groupVisits(await readAll(collection, bucketsToRead), {
    fromMs: criteria.from?.getTime(),
    untilMs: criteria.until?.getTime(),
  });
}

/**
 * One area's measured visits, of the stores in it now: its own days' buckets, and — for the rare
 * store that the master has moved into it from another area — that store's months. Visits are
 * filed under the area a store had when they were measured, and each area's directory of the
 * stores filed under it says which stores of this area have visits filed elsewhere; reading every
 * area's days instead (a read model written before those directories) costs a lookup per area and day.
 */
export async function findAreaVisits(
  db: Db,
  buckets: string,
  query: { areaCode: string; isInArea: (storeId: string) => boolean; from?: Date; until?: Date },
): Promise<StoreVisits[]> {
  const collection = db.collection<VisitBucketDocument>(buckets);
  const { areaCode, from, until } = query;
  // The area's own days are read while the directories say which stores moved in.
  const ownDays = findStoreVisits(db, buckets, { areaCode, from, until });
  ownDays.catch(() => undefined); // its failure is met where it is awaited, not as an unhandled rejection
  const areas = BucketContent.parse((await collection.findOne({ _id: bucketKeys.areas() }))?.entries).memberList;
  const filedElsewhere = await Promise.all(
    areas
      .filter((other) => other !== areaCode)
      .map(async (other) => (await collection.findOne({ _id: bucketKeys.areaStores(other) }))?.entries),
  );
  if (filedElsewhere.some((entries) => entries === undefined)) {
    await ownDays;
    return findStoreVisits(db, buckets, { from, until });
  }
  const moved = [
    ...new Set(filedElsewhere.flatMap((entries) => BucketContent.parse(entries).memberList).filter(query.isInArea)),
  ];
  const [own, ...movedStores] = await Promise.all([
    ownDays,
    ...moved.map((storeId) => findStoreVisits(db, buckets, { storeId, from, until })),
  ]);
  // A moved store's months hold all its visits, those filed under this area too.
  const isMoved = new Set(moved);
  return [...own!.filter((store) => !isMoved.has(store.storeId)), ...movedStores.flat()].sort((a, b) =>
    a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0,
  );
}

/** A bucket to read; an area's day its answer holds whole (`wholeDay`) is read from its view where it has one. */
interface BucketRead {
  key: string;
  wholeDay?: string;
}

/** Reads buckets by `_id`, a bounded number at a time (a year of days is 366 lookups), in the order given. */
async function readAll(collection: Collection<VisitBucketDocument>, reads: BucketRead[]): Promise<EntryColumns[]> {
  const contents: Array<EntryColumns | undefined> = [];
  for (let start = 0; start < reads.length; start += READ_PARALLELISM) {
    // Each bucket is unpacked as it arrives, while the database looks up the others.
    const slice = reads.slice(start, start + READ_PARALLELISM).map(async ({ key, wholeDay }) => {
      if (wholeDay !== undefined) {
        const view = await collection.findOne({ _id: viewKeyOf(key)! });
        if (view) return dayViewColumnsOf(view.entries, wholeDay);
      }
      const document = await collection.findOne({ _id: key });
      return document ? imageColumnsOf(document.entries) : undefined;
    });
    contents.push(...(await Promise.all(slice)));
  }
  return contents.filter((content) => content !== undefined);
}

const READ_PARALLELISM = 32;

/** Past this many periods a range's buckets are found by the directory, not by name. */
const MAX_NAMED_PERIODS = 400;

/**
 * The UTC days or months overlapping [from, until), named without reading a directory (a bucket
 * that does not exist is simply not found), when both bounds are given and the range is short.
 */
function periodsBetween(unit: 'day' | 'month', from?: Date, until?: Date): string[] | undefined {
  if (from === undefined || until === undefined || until <= from) return undefined;
  const periods: string[] = [];
  const cursor = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), unit === 'day' ? from.getUTCDate() : 1));
  while (cursor < until) {
    if (periods.length >= MAX_NAMED_PERIODS) return undefined;
    periods.push(cursor.toISOString().slice(0, unit === 'day' ? 10 : 7));
    if (unit === 'day') cursor.setUTCDate(cursor.getUTCDate() + 1);
    else cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return periods;
}
