import type { Collection, Db } from 'mongodb';
import { unpack } from '../../mongo/packed';
import { BucketContent, bucketKeys, periodsWithin, type VisitBucketDocument, type VisitEntry } from './buckets';
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
  let bucketsToRead: string[];
  if (criteria.storeId !== undefined) {
    const storeId = criteria.storeId;
    const months = periodsWithin(
      (await read(bucketKeys.storeMonths(storeId))).memberList,
      criteria.from,
      criteria.until,
    );
    bucketsToRead = months.map((month) => bucketKeys.storeMonth(storeId, month));
  } else {
    const areas = criteria.areaCode !== undefined ? [criteria.areaCode] : (await read(bucketKeys.areas())).memberList;
    const perArea = await Promise.all(
      areas.map(async (areaCode) =>
        periodsWithin((await read(bucketKeys.areaDays(areaCode))).memberList, criteria.from, criteria.until).map(
          (date) => bucketKeys.areaDay(areaCode, date),
        ),
      ),
    );
    bucketsToRead = perArea.flat();
  }
  const days = await readAll(collection, bucketsToRead);
  const fromMs = criteria.from?.getTime();
  const untilMs = criteria.until?.getTime();
  const matches = (entry: VisitEntry) =>
    (criteria.areaCode === undefined || entry[2] === criteria.areaCode) &&
    (fromMs === undefined || entry[3] >= fromMs) &&
    (untilMs === undefined || entry[3] < untilMs);
  return groupVisits(days.flat().filter(matches));
}

/** Reads buckets by `_id`, a bounded number at a time (a year of days is 366 lookups). */
async function readAll(collection: Collection<VisitBucketDocument>, keys: string[]): Promise<VisitEntry[][]> {
  const contents: VisitEntry[][] = [];
  for (let start = 0; start < keys.length; start += READ_PARALLELISM) {
    const slice = keys.slice(start, start + READ_PARALLELISM);
    const documents = await Promise.all(slice.map((key) => collection.findOne({ _id: key })));
    // A day's bucket holds images only, stored as a set already: read as it is, no set rebuilt.
    contents.push(...documents.map((document) => (document ? unpack<VisitEntry[]>(document.entries) : [])));
  }
  return contents;
}

const READ_PARALLELISM = 32;
