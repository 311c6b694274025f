import type { Collection, Db } from 'mongodb';
import { BucketContent, type BucketChange, type VisitBucketDocument } from '@retail-pulse/shared/readModels';

/** Buckets kept in memory after they are written, so the next change to them needs no read. */
const CACHE_BUCKETS = 20_000;
/** Rebuild mode writes once at the end, or early when this many buckets wait (bounded memory). */
const MAX_WAITING_BUCKETS = 50_000;

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

  constructor(db: Db, name: string) {
    this.collection = db.collection<VisitBucketDocument>(name);
  }

  get waitingBuckets(): number {
    return this.waiting.size;
  }

  /** Merges the changes into the buckets in memory; `write` stores the ones that changed. */
  async apply(changes: BucketChange[]): Promise<void> {
    const keys = [...new Set(changes.map((change) => change.key))];
    const missing = keys.filter((key) => !this.cache.has(key));
    const documents = await Promise.all(missing.map((key) => this.collection.findOne({ _id: key })));
    missing.forEach((key, index) => this.cache.set(key, BucketContent.parse(documents[index]?.entries)));
    for (const change of changes) {
      const content = this.cache.get(change.key)!;
      if (content.add('entry' in change ? change.entry : change.member)) this.waiting.add(change.key);
    }
  }

  get full(): boolean {
    return this.waiting.size >= MAX_WAITING_BUCKETS;
  }

  /** Writes every bucket changed since the last write, then trims the cache. */
  async write(): Promise<void> {
    if (this.waiting.size > 0) {
      const operations = [...this.waiting].map((key) => ({
        replaceOne: {
          filter: { _id: key },
          replacement: { _id: key, entries: this.cache.get(key)!.toJson() },
          upsert: true,
        },
      }));
      for (let start = 0; start < operations.length; start += 1_000) {
        await this.collection.bulkWrite(operations.slice(start, start + 1_000), { ordered: false });
      }
      this.waiting.clear();
    }
    for (const key of this.cache.keys()) {
      if (this.cache.size <= CACHE_BUCKETS) break;
      this.cache.delete(key);
    }
  }
}
