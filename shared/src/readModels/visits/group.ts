/** One measured image of a visit, as the visits buckets hold it (buckets.ts). */
export interface VisitImage {
  storeId: string;
  areaCode: string | null;
  storeName: string | null;
  /** The visit's calendar date (UTC), as the visits query reports it. */
  date: string;
  perimeter: number | null;
  visitTime: Date;
  jobId: number;
  visitIndex: number;
  imageIndex: number;
}

/** One store's measured visits, by date: what the visits query finds, in domain terms. */
export interface StoreVisits {
  storeId: string;
  areaCode: string;
  storeName: string;
  days: Array<{ date: string; perimeters: number[] }>;
}

function compareImages(a: VisitImage, b: VisitImage): number {
  return (
    (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0) ||
    a.visitTime.getTime() - b.visitTime.getTime() ||
    a.jobId - b.jobId ||
    a.visitIndex - b.visitIndex ||
    a.imageIndex - b.imageIndex
  );
}

/**
 * Groups processed images into the visits answer: stores by id, dates ascending, and within a
 * date the perimeters in visit-time order (then submission order). Pure and deterministic.
 */
export function groupVisits(images: VisitImage[]): StoreVisits[] {
  const results: StoreVisits[] = [];
  for (const image of [...images].sort(compareImages)) {
    if (image.perimeter === null) continue;
    let store = results[results.length - 1];
    if (!store || store.storeId !== image.storeId) {
      store = { storeId: image.storeId, areaCode: image.areaCode ?? '', storeName: image.storeName ?? '', days: [] };
      results.push(store);
    }
    let day = store.days[store.days.length - 1];
    if (!day || day.date !== image.date) {
      day = { date: image.date, perimeters: [] };
      store.days.push(day);
    }
    day.perimeters.push(image.perimeter);
  }
  for (const store of results) store.days.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return results;
}
