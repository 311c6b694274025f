import type { Binary } from 'mongodb';
import type { RecordedEvent } from '../../contracts/events';
import { packJson, unpack } from '../../mongo/packed';

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
  /** Packed (shared/src/mongo/packed.ts): `VisitEntry[]` for a day's bucket, `string[]` (dates, or area codes) for a directory. */
  entries: Binary | string;
}

/** One measured image as a bucket holds it. */
export type VisitEntry = [
  storeId: string,
  storeName: string,
  areaCode: string,
  visitTimeMs: number,
  jobId: number,
  visitIndex: number,
  imageIndex: number,
  perimeter: number,
];

export const bucketKeys = {
  storeMonth: (storeId: string, month: string) => `s|${storeId}|${month}`,
  areaDay: (areaCode: string, date: string) => `a|${areaCode}|${date}`,
  /** The months (YYYY-MM) a store has visits in. */
  storeMonths: (storeId: string) => `S|${storeId}`,
  /** The dates an area has visits on. */
  areaDays: (areaCode: string) => `A|${areaCode}`,
  /** The areas with any visit. */
  areas: () => 'areas',
};

export type BucketChange = { key: string; entry: VisitEntry } | { key: string; member: string };

/** The bucket changes one event makes: a measured image goes into its store's month and its area's day. Pure. */
export function bucketChangesOf(event: RecordedEvent): BucketChange[] {
  if (event.type !== 'ImageProcessed') return [];
  const { data } = event;
  const visitTime = new Date(data.visitTime);
  const date = visitTime.toISOString().slice(0, 10);
  const entry: VisitEntry = [
    data.storeId,
    data.storeName,
    data.areaCode,
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
  ];
}

const entryKey = (entry: VisitEntry) => `${entry[4]}:${entry[5]}:${entry[6]}`;

/** What a bucket holds, as a set: images by their place in their job, directory members by value. */
export class BucketContent {
  private readonly entries = new Map<string, VisitEntry>();
  private readonly members = new Set<string>();

  static parse(packed: Binary | string | undefined): BucketContent {
    const content = new BucketContent();
    for (const item of packed ? unpack<Array<VisitEntry | string>>(packed) : []) content.add(item);
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
    return true;
  }

  get images(): VisitEntry[] {
    return [...this.entries.values()];
  }

  get memberList(): string[] {
    return [...this.members].sort();
  }

  /** The content in a canonical order, so equal buckets are equal documents however they were built. */
  toPacked(): Binary {
    const members = [...this.members].sort();
    const entries = [...this.entries.values()].sort(compareEntries);
    return packJson(JSON.stringify([...members, ...entries]));
  }
}

function compareEntries(a: VisitEntry, b: VisitEntry): number {
  return (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) || a[3] - b[3] || a[4] - b[4] || a[5] - b[5] || a[6] - b[6];
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
