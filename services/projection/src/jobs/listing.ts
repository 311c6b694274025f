import type { Collection } from 'mongodb';
import {
  blockOf,
  jobsKeys,
  type JobBlockDocument,
  type JobsDocument,
  type JobsHeadDocument,
  type JobSummaryEntry,
} from '@retail-pulse/shared/readModels';

/** Listing blocks kept in memory once read or written: the newest ones are the ones that change. */
const CACHE_BLOCKS = 1_000;

interface Block {
  below: number | null;
  /** Job id → its summary. */
  jobs: Map<number, JobSummaryEntry>;
}

/**
 * The jobs listing as the projection writes it: the jobs' summaries in blocks of job ids, newest
 * first, each linked to the next lower block that holds a job, and the head naming the top block.
 * Blocks are kept in memory once read or written; `documents` hands over those changed since.
 */
export class JobListing {
  private readonly blocks = new Map<number, Block>();
  private top: number | null = null;
  /** Blocks (and the head) changed in memory and not yet stored. */
  private readonly dirtyBlocks = new Set<number>();
  private headDirty = false;

  constructor(private readonly collection: Collection<JobsDocument>) {}

  /** Starts again from what is stored: the top block the head names (null: no job yet). */
  reset(top: number | null): void {
    this.blocks.clear();
    this.dirtyBlocks.clear();
    this.headDirty = false;
    this.top = top;
  }

  /** Blocks changed and not yet stored. */
  get waiting(): number {
    return this.dirtyBlocks.size;
  }

  /** Puts the summaries into their listing blocks in memory (and the head, when a new top block appears). */
  async summarize(summaries: JobSummaryEntry[]): Promise<void> {
    const changed = this.dirtyBlocks;
    for (const summary of summaries) {
      const number = blockOf(summary[0]);
      let block = await this.block(number);
      if (!block) {
        block = { below: null, jobs: new Map() };
        if (this.top === null || number > this.top) {
          block.below = this.top;
          this.top = number;
          this.headDirty = true;
        } else {
          // A block below the top (ids handed out out of order): linked in where it belongs.
          let above = this.top;
          let aboveBlock = (await this.block(above))!;
          while (aboveBlock.below !== null && aboveBlock.below > number) {
            above = aboveBlock.below;
            aboveBlock = (await this.block(above))!;
          }
          block.below = aboveBlock.below;
          aboveBlock.below = number;
          changed.add(above);
        }
        this.blocks.set(number, block);
      }
      block.jobs.set(summary[0], summary);
      changed.add(number);
    }
  }

  /**
   * The listing blocks (and head) changed since they were last stored. They count as stored only
   * once `stored` is called: a write that fails hands them over again with the next batch, the
   * head too (a batch folded again finds its new top block in memory and would not mark it).
   */
  documents(): JobsDocument[] {
    const writes: JobsDocument[] = [...this.dirtyBlocks].map((number): JobBlockDocument => {
      const block = this.blocks.get(number)!;
      const jobs = [...block.jobs.values()].sort((a, b) => b[0] - a[0]);
      return { _id: jobsKeys.block(number), block: number, below: block.below, jobs: JSON.stringify(jobs) };
    });
    if (this.headDirty) writes.push({ _id: jobsKeys.head(), top: this.top! } satisfies JobsHeadDocument);
    return writes;
  }

  /** What `documents` handed over last is stored. */
  stored(): void {
    this.dirtyBlocks.clear();
    this.headDirty = false;
    for (const number of this.blocks.keys()) {
      if (this.blocks.size <= CACHE_BLOCKS) break;
      this.blocks.delete(number);
    }
  }

  private async block(number: number): Promise<Block | undefined> {
    const cached = this.blocks.get(number);
    if (cached) return cached;
    const document = (await this.collection.findOne({ _id: jobsKeys.block(number) })) as JobBlockDocument | null;
    if (!document) return undefined;
    const block: Block = {
      below: document.below,
      jobs: new Map((JSON.parse(document.jobs) as JobSummaryEntry[]).map((entry) => [entry[0], entry])),
    };
    this.blocks.set(number, block);
    return block;
  }
}
