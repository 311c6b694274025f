import type { VisitEntry } from './buckets';

/** One store's measured visits, by date: what the visits query finds, in domain terms. */
export interface StoreVisits {
  storeId: string;
  areaCode: string;
  storeName: string;
  days: Array<{ date: string; perimeters: number[] }>;
}

const DAY_MS = 86_400_000;

/** In visit-time order, then submission order (job, visit, image). */
function compareWithinStore(a: VisitEntry, b: VisitEntry): number {
  return a[3] - b[3] || a[4] - b[4] || a[5] - b[5] || a[6] - b[6];
}

/**
 * Groups measured images, as the buckets hold them, into the visits answer: stores by id, dates
 * ascending, and within a date the perimeters in visit-time order (then submission order). Pure
 * and deterministic. A query over an area's month groups tens of thousands of entries, so this
 * sorts each store's entries alone and names each UTC day once.
 */
export function groupVisits(entries: readonly VisitEntry[]): StoreVisits[] {
  const byStore = new Map<string, VisitEntry[]>();
  for (const entry of entries) {
    const list = byStore.get(entry[0]);
    if (list) list.push(entry);
    else byStore.set(entry[0], [entry]);
  }
  const dateNames = new Map<number, string>();
  const dateOf = (visitTimeMs: number) => {
    const day = Math.floor(visitTimeMs / DAY_MS);
    let name = dateNames.get(day);
    if (name === undefined) dateNames.set(day, (name = new Date(day * DAY_MS).toISOString().slice(0, 10)));
    return name;
  };
  const storeIds = [...byStore.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return storeIds.map((storeId) => {
    const list = byStore.get(storeId)!.sort(compareWithinStore);
    const [, storeName, areaCode] = list[0]!;
    const days: StoreVisits['days'] = [];
    for (const entry of list) {
      const date = dateOf(entry[3]);
      const day = days[days.length - 1];
      if (day && day.date === date) day.perimeters.push(entry[7]);
      else days.push({ date, perimeters: [entry[7]] });
    }
    return { storeId, areaCode, storeName, days };
  });
}
