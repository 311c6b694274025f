import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { bulkWriteInChunks } from '@retail-pulse/shared/mongo';
import {
  openJobsBlockDocument,
  openJobsBlockKey,
  openJobsBlockOf,
  type OpenJobsBlockDocument,
} from '@retail-pulse/shared/readModels';

/** Job id → the position of its first event, for the jobs of one block. */
type Block = Map<number, number>;

/**
 * A read model's own list of the jobs it has seen and not settled, with the position of each one's
 * first event (where a restart refolds it from), kept in memory and stored in blocks of job ids
 * (OpenJobsBlockDocument). A batch rewrites only the blocks whose jobs opened or settled in it, so
 * its cost does not grow with the number of jobs open: one list document for all of them made
 * every batch rewrite it whole.
 */
export class OpenJobs {
  private readonly blocks = new Map<number, Block>();

  get size(): number {
    let count = 0;
    for (const jobs of this.blocks.values()) count += jobs.size;
    return count;
  }

  has(jobId: number): boolean {
    return this.blocks.get(openJobsBlockOf(jobId))?.has(jobId) ?? false;
  }

  /** Every open job and the position of its first event. */
  *entries(): IterableIterator<[number, number]> {
    for (const jobs of this.blocks.values()) yield* jobs;
  }

  clear(): void {
    this.blocks.clear();
  }

  /** Lists a job as open, as `load` finds it. */
  add(jobId: number, openedAt: number): void {
    const block = openJobsBlockOf(jobId);
    if (!this.blocks.has(block)) this.blocks.set(block, new Map());
    this.blocks.get(block)!.set(jobId, openedAt);
  }

  /** Lists every job a stored block (or list document of the same shape) names, as `load` finds them. */
  addListed(document: Pick<OpenJobsBlockDocument, 'jobs'>): void {
    for (const [jobId, openedAt] of JSON.parse(document.jobs) as Array<[number, number]>) this.add(jobId, openedAt);
  }

  /** The blocks a batch changes, built beside the list: memory moves on only once they are stored (`apply`). */
  change(): OpenJobsChange {
    return new OpenJobsChange(this.blocks);
  }

  /** Every block's document, for a rebuild's `flush`. */
  documents(): OpenJobsBlockDocument[] {
    return [...this.blocks].map(([block, jobs]) => openJobsBlockDocument(block, jobs));
  }
}

export class OpenJobsChange {
  private readonly changed = new Map<number, Block>();

  constructor(private readonly blocks: Map<number, Block>) {}

  get empty(): boolean {
    return this.changed.size === 0;
  }

  open(jobId: number, openedAt: number): void {
    this.changing(jobId).set(jobId, openedAt);
  }

  close(jobId: number): void {
    const block = openJobsBlockOf(jobId);
    if (this.changed.has(block) || this.blocks.get(block)?.has(jobId)) this.changing(jobId).delete(jobId);
  }

  /** The changed blocks as writes by `_id`: each stored whole, an empty one deleted. */
  writes(): Array<AnyBulkWriteOperation<OpenJobsBlockDocument>> {
    return [...this.changed].map(([block, jobs]) =>
      jobs.size === 0
        ? { deleteOne: { filter: { _id: openJobsBlockKey(block) } } }
        : {
            replaceOne: {
              filter: { _id: openJobsBlockKey(block) },
              replacement: openJobsBlockDocument(block, jobs),
              upsert: true,
            },
          },
    );
  }

  /** Stores the changed blocks in one bulk write. */
  store(collection: Collection<OpenJobsBlockDocument>): Promise<void> {
    return bulkWriteInChunks(collection, this.writes());
  }

  /** The list moves on to what was stored. */
  apply(): void {
    for (const [block, jobs] of this.changed) {
      if (jobs.size > 0) this.blocks.set(block, jobs);
      else this.blocks.delete(block);
    }
  }

  private changing(jobId: number): Block {
    const block = openJobsBlockOf(jobId);
    let jobs = this.changed.get(block);
    if (!jobs) this.changed.set(block, (jobs = new Map(this.blocks.get(block))));
    return jobs;
  }
}
