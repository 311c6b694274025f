import { DAY_MS, forEachEntry, type EntryColumns, type VisitEntry } from './buckets';

/** One store's measured visits, by date: what the visits query finds, in domain terms. */
export interface StoreVisits {
  storeId: string;
  days: Array<{ date: string; perimeters: number[] }>;
}

/** Images visited at or after `fromMs` and before `untilMs`. */
export interface TimeRange {
  fromMs?: number;
  untilMs?: number;
}

/**
 * Groups the images of buckets into the visits answer: stores by id, dates ascending, and within
 * a date the perimeters in visit-time order, then submission order (job, visit, image). Pure and
 * deterministic. Buckets hold their images in that order and are given in period order, so each
 * image is appended where it belongs, with no sort and nothing built per image but its perimeter
 * (an area's month is ~40,000 images at 1,000,000 in the history). Should a store's images come
 * out of order (buckets of several areas for a store the master moved), all are sorted instead.
 */
export function groupVisits(buckets: readonly EntryColumns[], range: TimeRange = {}): StoreVisits[] {
  return groupInOrder(buckets, range) ?? groupSorted(entriesOf(buckets, range));
}

const inRange = (time: number, { fromMs, untilMs }: TimeRange) =>
  (fromMs === undefined || time >= fromMs) && (untilMs === undefined || time < untilMs);

/** UTC dates by day number, each named once per answer. */
function dateNames(): (visitTimeMs: number) => string {
  const names = new Map<number, string>();
  return (visitTimeMs) => {
    const day = Math.floor(visitTimeMs / DAY_MS);
    let name = names.get(day);
    if (name === undefined) names.set(day, (name = new Date(day * DAY_MS).toISOString().slice(0, 10)));
    return name;
  };
}

interface StoreInProgress {
  visits: StoreVisits;
  /** The last image appended (changed in place: nothing is built per image). */
  time: number;
  job: number;
  visit: number;
  image: number;
}

function groupInOrder(buckets: readonly EntryColumns[], range: TimeRange): StoreVisits[] | undefined {
  const stores = new Map<string, StoreInProgress>();
  const dateOf = dateNames();
  for (const columns of buckets) {
    let row = 0;
    for (let run = 0; run < columns.stores.length; run++) {
      const storeId = columns.stores[run]!;
      for (let end = row + columns.runs[run]!; row < end; row++) {
        const time = columns.times[row]!;
        if (!inRange(time, range)) continue;
        const job = columns.jobs[row]!;
        const visit = columns.visits[row]!;
        const image = columns.images[row]!;
        let store = stores.get(storeId);
        if (!store) stores.set(storeId, (store = { visits: { storeId, days: [] }, time, job, visit, image }));
        else if ((store.time - time || store.job - job || store.visit - visit || store.image - image) > 0)
          return undefined;
        store.time = time;
        store.job = job;
        store.visit = visit;
        store.image = image;
        const date = dateOf(time);
        const days = store.visits.days;
        const day = days[days.length - 1];
        if (day && day.date === date) day.perimeters.push(columns.perimeters[row]!);
        else days.push({ date, perimeters: [columns.perimeters[row]!] });
      }
    }
  }
  return [...stores.keys()].sort(compareIds).map((storeId) => stores.get(storeId)!.visits);
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function entriesOf(buckets: readonly EntryColumns[], range: TimeRange): VisitEntry[] {
  const entries: VisitEntry[] = [];
  for (const columns of buckets) forEachEntry(columns, (entry) => inRange(entry[1], range) && entries.push(entry));
  return entries;
}

/** The general case: any images, in any order. */
function groupSorted(entries: VisitEntry[]): StoreVisits[] {
  const byStore = new Map<string, VisitEntry[]>();
  for (const entry of entries) {
    const list = byStore.get(entry[0]);
    if (list) list.push(entry);
    else byStore.set(entry[0], [entry]);
  }
  const dateOf = dateNames();
  return [...byStore.keys()].sort(compareIds).map((storeId) => {
    const list = byStore.get(storeId)!.sort((a, b) => a[1] - b[1] || a[2] - b[2] || a[3] - b[3] || a[4] - b[4]);
    const days: StoreVisits['days'] = [];
    for (const entry of list) {
      const date = dateOf(entry[1]);
      const day = days[days.length - 1];
      if (day && day.date === date) day.perimeters.push(entry[5]);
      else days.push({ date, perimeters: [entry[5]] });
    }
    return { storeId, days };
  });
}
