import type { ImageRecordDocument } from '@retail-pulse/shared/mongo';

export interface VisitsResult {
  store_id: string;
  area: string;
  store_name: string;
  data: Array<{ date: string; perimeter: number[] }>;
}

type VisitImage = Pick<
  ImageRecordDocument,
  'storeId' | 'areaCode' | 'storeName' | 'date' | 'perimeter' | 'visitTime' | 'jobId' | 'visitIndex' | 'imageIndex'
>;

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
export function groupVisits(images: VisitImage[]): VisitsResult[] {
  const results: VisitsResult[] = [];
  for (const image of [...images].sort(compareImages)) {
    if (image.perimeter === null) continue;
    let store = results[results.length - 1];
    if (!store || store.store_id !== image.storeId) {
      store = { store_id: image.storeId, area: image.areaCode ?? '', store_name: image.storeName ?? '', data: [] };
      results.push(store);
    }
    let day = store.data[store.data.length - 1];
    if (!day || day.date !== image.date) {
      day = { date: image.date, perimeter: [] };
      store.data.push(day);
    }
    day.perimeter.push(image.perimeter);
  }
  for (const store of results) store.data.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return results;
}
