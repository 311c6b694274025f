import type { Db, Filter } from 'mongodb';
import type { ImageRecordDocument } from './documents';
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

/** The measured visits matching the criteria, from one generation's image records. */
export async function findStoreVisits(db: Db, images: string, criteria: VisitsCriteria): Promise<StoreVisits[]> {
  const filter: Filter<ImageRecordDocument> = { status: 'processed' };
  if (criteria.areaCode !== undefined) filter.areaCode = criteria.areaCode;
  if (criteria.storeId !== undefined) filter.storeId = criteria.storeId;
  if (criteria.from || criteria.until) {
    filter.visitTime = {
      ...(criteria.from ? { $gte: criteria.from } : {}),
      ...(criteria.until ? { $lt: criteria.until } : {}),
    };
  }
  const records = await db
    .collection<ImageRecordDocument>(images)
    .find(filter, {
      projection: {
        storeId: 1,
        areaCode: 1,
        storeName: 1,
        date: 1,
        perimeter: 1,
        visitTime: 1,
        jobId: 1,
        visitIndex: 1,
        imageIndex: 1,
      },
    })
    .toArray();
  return groupVisits(records);
}
