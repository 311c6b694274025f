import type { Collection, Db } from 'mongodb';
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
  const matches = (entry: VisitEntry) =>
    (criteria.areaCode === undefined || entry[2] === criteria.areaCode) &&
    (criteria.from === undefined || entry[3] >= criteria.from.getTime()) &&
    (criteria.until === undefined || entry[3] < criteria.until.getTime());
  return groupVisits(
    days
      .flatMap((day) => day.images)
      .filter(matches)
      .map(([storeId, storeName, areaCode, visitTimeMs, jobId, visitIndex, imageIndex, perimeter]) => {
        const visitTime = new Date(visitTimeMs);
        return {
          storeId,
          storeName,
          areaCode,
          visitTime,
          date: visitTime.toISOString().slice(0, 10),
          jobId,
          visitIndex,
          imageIndex,
          perimeter,
        };
      }),
  );
}

/** Reads buckets by `_id`, a bounded number at a time (a year of days is 366 lookups). */
async function readAll(collection: Collection<VisitBucketDocument>, keys: string[]): Promise<BucketContent[]> {
  const contents: BucketContent[] = [];
  for (let start = 0; start < keys.length; start += READ_PARALLELISM) {
    const slice = keys.slice(start, start + READ_PARALLELISM);
    const documents = await Promise.all(slice.map((key) => collection.findOne({ _id: key })));
    contents.push(...documents.map((document) => BucketContent.parse(document?.entries)));
  }
  return contents;
}

const READ_PARALLELISM = 32;
