import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import {
  BucketContent,
  viewKeyOf,
  type BucketChange,
  type DayView,
  type VisitBucketDocument,
} from '@retail-pulse/shared/readModels';
import { bulkWriteInChunks, unpack } from '@retail-pulse/shared/mongo';

/** Buckets kept in memory after they are written, so the next change to them needs no read. */
const CACHE_BUCKETS = 20_000;
/**
 * Rebuild mode writes once at the end, or early when this many buckets wait or this many images
 * are held in them (bounded memory: ~150 bytes an image). A bucket written early is written again
 * whole when it changes, so the bounds are set for a history of 1,000,000 images (~66,000 buckets,
 * 2,000,000 entries: each image is in its store's month and its area's day) to be written once.
 */
const MAX_WAITING_BUCKETS = 200_000;
const MAX_HELD_ENTRIES = 3_000_000;

/**
 * The visits buckets of one generation, as the projection writes them: changes are merged into
 * each bucket's content (read once, then kept in a bounded cache) and the changed buckets are
 * written whole, by `_id`, in one bulk write. A bucket's content is a set, so a refold after a
 * crash changes nothing it already holds.
 */
export class VisitBuckets {
  private readonly collection: Collection<VisitBucketDocument>;
  private readonly cache = new Map<string, BucketContent>();
  private readonly waiting = new Set<string>();
  /** Buckets known to be stored: a change to one replaces it; any other is inserted. */
  private readonly stored = new Set<string>();
  /**
   * New buckets of a write that failed: it may have stored some (its commands are separate), so
   * the next write upserts them — inserting one again would be refused, batch after batch.
   */
  private readonly maybeStored = new Set<string>();
  private startsEmpty = false;
  /** Images held by the buckets in memory. */
  private heldEntries = 0;

  constructor(db: Db, name: string) {
    this.collection = db.collection<VisitBucketDocument>(name);
  }

  /**
   * A rebuild fills a generation nobody has written: a bucket not written by this instance is
   * known to be empty, so it is not read (and, new, it is inserted, which needs no lookup).
   */
  setStartsEmpty(startsEmpty: boolean): void {
    this.startsEmpty = startsEmpty;
  }

  get waitingBuckets(): number {
    return this.waiting.size;
  }

  /** Merges the changes into the buckets in memory; `write` stores the ones that changed. */
  async apply(changes: BucketChange[]): Promise<void> {
    const keys = [...new Set(changes.map((change) => change.key))];
    const missing = keys.filter((key) => !this.cache.has(key));
    const toRead = missing.filter((key) => !this.startsEmpty || this.stored.has(key));
    const [documents, viewCounts] = await Promise.all([
      Promise.all(toRead.map((key) => this.collection.findOne({ _id: key }))),
      Promise.all(toRead.map((key) => this.viewCount(key))),
    ]);
    for (const key of missing) this.cache.set(key, new BucketContent());
    toRead.forEach((key, index) => {
      const document = documents[index];
      if (!document) return;
      const content = BucketContent.parse(document.entries);
      this.cache.set(key, content);
      this.heldEntries += content.imageCount;
      this.stored.add(key);
      // A view behind its bucket (written before views existed, or a write cut between the two)
      // is written again with the bucket. Buckets only grow: the same count is the same content.
      const viewCount = viewCounts[index];
      if (viewCount !== undefined && viewCount !== content.imageCount) this.waiting.add(key);
    });
    for (const change of changes) {
      const content = this.cache.get(change.key)!;
      if (content.add('entry' in change ? change.entry : change.member)) {
        this.waiting.add(change.key);
        if ('entry' in change) this.heldEntries++;
      }
    }
  }

  /** The images a day bucket's stored view holds (-1 when it has none); undefined for a bucket without a view. */
  private async viewCount(key: string): Promise<number | undefined> {
    const viewKey = viewKeyOf(key);
    if (viewKey === undefined) return undefined;
    const view = await this.collection.findOne({ _id: viewKey });
    return view ? unpack<DayView>(view.entries).perimeters.length : -1;
  }

  get full(): boolean {
    return this.waiting.size >= MAX_WAITING_BUCKETS || this.heldEntries >= MAX_HELD_ENTRIES;
  }

  /**
   * The writes of the changed buckets, each packed when it is taken (while the previous command is
   * written); an area's day is followed by its view (DayView), upserted where the bucket is not
   * new (a bucket written before views existed has none).
   */
  private *operations(): Generator<AnyBulkWriteOperation<VisitBucketDocument>> {
    for (const key of this.waiting) {
      const content = this.cache.get(key)!;
      const document = { _id: key, entries: content.toPacked() };
      const isNew = !this.stored.has(key) && !this.maybeStored.has(key);
      if (this.stored.has(key)) yield { replaceOne: { filter: { _id: key }, replacement: document } };
      else if (this.maybeStored.has(key))
        yield { replaceOne: { filter: { _id: key }, replacement: document, upsert: true } };
      else yield { insertOne: { document } };
      const viewKey = viewKeyOf(key);
      if (viewKey === undefined) continue;
      const view = { _id: viewKey, entries: content.toPackedView() };
      yield isNew
        ? { insertOne: { document: view } }
        : { replaceOne: { filter: { _id: viewKey }, replacement: view, upsert: true } };
    }
  }

  /** Writes every bucket changed since the last write, then trims the cache. */
  async write(): Promise<void> {
    if (this.waiting.size > 0) {
      try {
        await bulkWriteInChunks(this.collection, this.operations());
      } catch (error) {
        for (const key of this.waiting) if (!this.stored.has(key)) this.maybeStored.add(key);
        throw error;
      }
      for (const key of this.waiting) {
        this.stored.add(key);
        this.maybeStored.delete(key);
      }
      this.waiting.clear();
    }
    for (const [key, content] of this.cache) {
      if (this.cache.size <= CACHE_BUCKETS) break;
      this.cache.delete(key);
      this.heldEntries -= content.imageCount;
    }
  }
}
