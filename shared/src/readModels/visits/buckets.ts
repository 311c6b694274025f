import type { Binary } from 'mongodb';
import type { RecordedEvent } from '../../contracts/events';
import { packJsonOrText, unpack } from '../../mongo/packed';

/**
 * The visits read model as a handful of documents per query, each read by `_id` (an index lookup
 * on every server, the embedded one included): one bucket per store and UTC month (a store has a
 * few visits a day at most) and one per area and UTC day, holding those measured images, and a
 * directory per store of its months and per area of its days. A document's content is one packed
 * list, not subdocuments: the embedded database's cost grows with every field it decodes and
 * every byte of text it reads (docs/DATABASE.md).
 */
export interface VisitBucketDocument {
  _id: string;
  /**
   * Packed (shared/src/mongo/packed.ts): a directory's members (dates, months, area codes or store
   * ids) as a list of strings; a day's or month's images as `EntryColumns`. Older buckets hold one
   * list of members and 8-field entries (with the store's name and area), which still read.
   */
  entries: Binary | string;
}

/**
 * One measured image as a bucket holds it. The store's name and area are not kept: the visits
 * answer names every store as the current master does.
 */
export type VisitEntry = [
  storeId: string,
  visitTimeMs: number,
  jobId: number,
  visitIndex: number,
  imageIndex: number,
  perimeter: number,
];

/**
 * A bucket's images as stored: one list per field, in the canonical order (store, visit time,
 * job, visit, image), the store ids once per run (`stores[k]` holds the next `runs[k]` images).
 * Lists of numbers are what JSON.parse builds cheapest — no array and no string per image — and
 * the order is the answer's, so a reader groups without sorting.
 */
export interface EntryColumns {
  stores: string[];
  runs: number[];
  times: number[];
  jobs: number[];
  visits: number[];
  images: number[];
  perimeters: number[];
}

/**
 * An area's day as the area's answer reads it when the range holds the whole day: its images'
 * stores and perimeters, in the day bucket's order, without the times and submission places that
 * only order the images and cut a day at a range's edge: about a third of the day bucket's bytes,
 * and the embedded database's cost of a read grows with them (docs/DATABASE.md). Written with its
 * day bucket, a copy of part of it: each of the two documents is whole on its own, so a reader
 * never pairs rows of two versions.
 */
export interface DayView {
  stores: string[];
  runs: number[];
  perimeters: number[];
}

export const bucketKeys = {
  storeMonth: (storeId: string, month: string) => `s|${storeId}|${month}`,
  areaDay: (areaCode: string, date: string) => `a|${areaCode}|${date}`,
  /** The months (YYYY-MM) a store has visits in. */
  storeMonths: (storeId: string) => `S|${storeId}`,
  /** The dates an area has visits on. */
  areaDays: (areaCode: string) => `A|${areaCode}`,
  /** The areas with any visit. */
  areas: () => 'areas',
  /** The stores with visits filed under an area (the area the master gave them when measured). */
  areaStores: (areaCode: string) => `F|${areaCode}`,
};

/** The key of an area's day bucket's view (`v|<area>|<date>`, its DayView); undefined for any other bucket. */
export function viewKeyOf(bucketKey: string): string | undefined {
  return bucketKey.startsWith('a|') ? `v${bucketKey.slice(1)}` : undefined;
}

export type BucketChange = { key: string; entry: VisitEntry } | { key: string; member: string };

/** The bucket changes one event makes: a measured image goes into its store's month and its area's day. Pure. */
export function bucketChangesOf(event: RecordedEvent): BucketChange[] {
  if (event.type !== 'ImageProcessed') return [];
  const { data } = event;
  const visitTime = new Date(data.visitTime);
  const date = visitTime.toISOString().slice(0, 10);
  const entry: VisitEntry = [
    data.storeId,
    visitTime.getTime(),
    data.jobId,
    data.visitIndex,
    data.imageIndex,
    data.perimeter,
  ];
  return [
    { key: bucketKeys.storeMonth(data.storeId, date.slice(0, 7)), entry },
    { key: bucketKeys.areaDay(data.areaCode, date), entry },
    { key: bucketKeys.storeMonths(data.storeId), member: date.slice(0, 7) },
    { key: bucketKeys.areaDays(data.areaCode), member: date },
    { key: bucketKeys.areas(), member: data.areaCode },
    { key: bucketKeys.areaStores(data.areaCode), member: data.storeId },
  ];
}

const entryKey = (entry: VisitEntry) => `${entry[2]}:${entry[3]}:${entry[4]}`;

/** What a bucket holds, as a set: images by their place in their job, directory members by value. */
export class BucketContent {
  private readonly entries = new Map<string, VisitEntry>();
  private readonly members = new Set<string>();
  /** The images in the canonical order as of the last `toPacked`, and those added since. */
  private sorted: VisitEntry[] = [];
  private added: VisitEntry[] = [];

  static parse(packed: Binary | string | undefined): BucketContent {
    const content = new BucketContent();
    if (!packed) return content;
    const stored = unpack<StoredBucket>(packed);
    if (Array.isArray(stored)) {
      for (const item of stored) content.add(typeof item === 'string' || item.length === 6 ? item : fromOldEntry(item));
    } else forEachEntry(stored, (entry) => content.add(entry));
    return content;
  }

  /** Adds an image or a member; true if it was not there (a refold adds nothing twice). */
  add(item: VisitEntry | string): boolean {
    if (typeof item === 'string') {
      if (this.members.has(item)) return false;
      this.members.add(item);
      return true;
    }
    const key = entryKey(item);
    if (this.entries.has(key)) return false;
    this.entries.set(key, item);
    this.added.push(item);
    return true;
  }

  get imageCount(): number {
    return this.entries.size;
  }

  get images(): VisitEntry[] {
    return [...this.entries.values()];
  }

  get memberList(): string[] {
    return [...this.members].sort();
  }

  /** The content in a canonical order, so equal buckets are equal documents however they were built. */
  toPacked(): Binary | string {
    if (this.entries.size === 0) return packJsonOrText(JSON.stringify(this.memberList));
    return packJsonOrText(JSON.stringify(columnsOf(this.inOrder())));
  }

  /** The images' `DayView`, packed, in the order of `toPacked`. */
  toPackedView(): Binary | string {
    const { stores, runs, perimeters } = columnsOf(this.inOrder());
    return packJsonOrText(JSON.stringify({ stores, runs, perimeters } satisfies DayView));
  }

  /** The images in the canonical order. A live bucket is written again with each batch that adds to it: only what was added is sorted. */
  private inOrder(): VisitEntry[] {
    if (this.added.length > 0) {
      this.sorted = mergeSorted(this.sorted, this.added.sort(compareEntries));
      this.added = [];
    }
    return this.sorted;
  }
}

/** What a packed bucket holds: directory members (or, from older buckets, members and 8-field entries), or image columns. */
type StoredBucket = Array<string | VisitEntry | OldVisitEntry> | EntryColumns;

/** An image as buckets written before 2026-12-02 hold it. */
type OldVisitEntry = [string, string, string, number, number, number, number, number];

const fromOldEntry = (old: OldVisitEntry): VisitEntry => [old[0], old[3], old[4], old[5], old[6], old[7]];

function compareEntries(a: VisitEntry, b: VisitEntry): number {
  return (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) || a[1] - b[1] || a[2] - b[2] || a[3] - b[3] || a[4] - b[4];
}

function mergeSorted(a: VisitEntry[], b: VisitEntry[]): VisitEntry[] {
  if (a.length === 0) return b;
  const merged: VisitEntry[] = new Array<VisitEntry>(a.length + b.length);
  let i = 0;
  let j = 0;
  for (let k = 0; k < merged.length; k++) {
    merged[k] = j >= b.length || (i < a.length && compareEntries(a[i]!, b[j]!) <= 0) ? a[i++]! : b[j++]!;
  }
  return merged;
}

/** Images as columns, in the canonical order. */
export function entryColumns(entries: readonly VisitEntry[]): EntryColumns {
  return columnsOf([...entries].sort(compareEntries));
}

function columnsOf(sorted: VisitEntry[]): EntryColumns {
  const columns: EntryColumns = { stores: [], runs: [], times: [], jobs: [], visits: [], images: [], perimeters: [] };
  for (const [storeId, time, job, visit, image, perimeter] of sorted) {
    const last = columns.stores.length - 1;
    if (last >= 0 && columns.stores[last] === storeId) columns.runs[last]!++;
    else {
      columns.stores.push(storeId);
      columns.runs.push(1);
    }
    columns.times.push(time);
    columns.jobs.push(job);
    columns.visits.push(visit);
    columns.images.push(image);
    columns.perimeters.push(perimeter);
  }
  return columns;
}

/** Calls `each` with every image of the columns, in their order. */
export function forEachEntry(columns: EntryColumns, each: (entry: VisitEntry) => void): void {
  let row = 0;
  columns.stores.forEach((storeId, run) => {
    for (let end = row + columns.runs[run]!; row < end; row++) {
      each([
        storeId,
        columns.times[row]!,
        columns.jobs[row]!,
        columns.visits[row]!,
        columns.images[row]!,
        columns.perimeters[row]!,
      ]);
    }
  });
}

/** A day's or month's bucket read for an answer: its image columns (older layouts converted). */
export function imageColumnsOf(packed: Binary | string): EntryColumns {
  const stored = unpack<StoredBucket>(packed);
  if (!Array.isArray(stored)) return stored;
  const entries = stored.filter((item): item is VisitEntry | OldVisitEntry => typeof item !== 'string');
  return entryColumns(entries.map((entry) => (entry.length === 6 ? entry : fromOldEntry(entry))));
}

/**
 * A day view read for an answer, as image columns: every image at the day's start (the day is all
 * the answer shows of its time) and in the view's order, which is the canonical one.
 */
export function dayViewColumnsOf(packed: Binary | string, date: string): EntryColumns {
  const { stores, runs, perimeters } = unpack<DayView>(packed);
  const zeros = new Array<number>(perimeters.length).fill(0);
  return {
    stores,
    runs,
    times: new Array<number>(perimeters.length).fill(dayStartMs(date)),
    jobs: zeros,
    visits: zeros,
    images: zeros,
    perimeters,
  };
}

export const DAY_MS = 86_400_000;

/** The start of the UTC day `date` (YYYY-MM-DD), in ms. */
const dayStartMs = (date: string) => Date.parse(`${date}T00:00:00.000Z`);

/** Whether the whole UTC day `date` (YYYY-MM-DD) lies within [from, until). */
export function isWholeDayWithin(date: string, from?: Date, until?: Date): boolean {
  const start = dayStartMs(date);
  return (from === undefined || from.getTime() <= start) && (until === undefined || until.getTime() >= start + DAY_MS);
}

/** The UTC days (YYYY-MM-DD) or months (YYYY-MM) among `periods` that overlap [from, until). */
export function periodsWithin(periods: string[], from?: Date, until?: Date): string[] {
  return periods.filter((period) => {
    const start = new Date(period.length === 7 ? `${period}-01T00:00:00.000Z` : `${period}T00:00:00.000Z`);
    const next = new Date(start);
    if (period.length === 7) next.setUTCMonth(next.getUTCMonth() + 1);
    else next.setUTCDate(next.getUTCDate() + 1);
    return (from === undefined || next > from) && (until === undefined || start < until);
  });
}
