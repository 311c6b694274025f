import type { Db } from 'mongodb';
import { collectionNames } from '@retail-pulse/shared/mongo';
import { ProjectionState } from '@retail-pulse/shared/readModels';

interface CounterDocument {
  _id: string;
  value: number;
}

interface Block {
  next: number;
  last: number;
}

/** Job ids are reserved this many at a time. Every ingest instance must use the same size. */
export const JOB_ID_BLOCK_SIZE = 100;

/**
 * Hands out job ids: integers, unique across every ingest instance, increasing within one.
 * Ids are reserved from MongoDB in blocks, always above every job id the event log holds (so a
 * restored installation never hands out an id its log already has); the next block is reserved in the background once half
 * of the current one is used, so a submit waits for the database only when ids run out faster
 * than one round trip. Ids of a block not used before a restart are skipped, never reused.
 *
 * A block is owned by whoever inserts its claim document (`jobId:<last id>`): the unique `_id`
 * decides, atomically, on any MongoDB-protocol server. The counter only suggests the next block:
 * FerretDB 1.24 applies a findOneAndUpdate as a read then a write, so two concurrent `$inc`s can
 * return the same value (docs/DATABASE.md). A suggestion already claimed is skipped by asking again.
 */
export class JobIdAllocator {
  private current: Block | undefined;
  /** The following block: being reserved, or reserved and not yet in use. At most one. */
  private spare: Promise<Block> | undefined;

  constructor(
    private readonly db: Db,
    private readonly blockSize = JOB_ID_BLOCK_SIZE,
  ) {}

  async allocate(): Promise<number> {
    for (;;) {
      const block = this.current;
      if (block && block.next <= block.last) {
        const id = block.next++;
        if (block.last - block.next < this.blockSize / 2) this.reserveSpare();
        return id;
      }
      const spare = this.reserveSpare();
      const reserved = await spare;
      // Of the submits that waited for this block, the first to resume puts it in use.
      if (this.spare === spare) {
        this.spare = undefined;
        this.current = reserved;
      }
    }
  }

  private reserveSpare(): Promise<Block> {
    if (this.spare) return this.spare;
    const spare = this.reserve();
    this.spare = spare;
    // A failed reservation is forgotten at once, so the next submit tries again; whoever awaits it
    // gets the error.
    spare.catch(() => {
      if (this.spare === spare) this.spare = undefined;
    });
    return spare;
  }

  private async reserve(): Promise<Block> {
    const counters = this.db.collection<CounterDocument>(collectionNames.counters);
    for (;;) {
      try {
        const counter = await counters.findOneAndUpdate(
          { _id: 'jobId' },
          { $inc: { value: this.blockSize } },
          { upsert: true, returnDocument: 'after' },
        );
        if (!counter) throw new Error('job id counter did not answer');
        let last = counter.value;
        const inLog = await new ProjectionState(this.db).highestJobId();
        if (last - this.blockSize < inLog) {
          // The log holds ids the counter never handed out here (a restored installation): move
          // the counter past them. Blocks stay aligned to the block size, so claims still collide.
          last = (Math.ceil(inLog / this.blockSize) + 1) * this.blockSize;
          await counters.updateOne({ _id: 'jobId' }, { $max: { value: last } });
        }
        await counters.insertOne({ _id: `jobId:${last}`, value: last });
        return { next: last - this.blockSize + 1, last };
      } catch (error) {
        // A duplicate key: another instance created the counter, or claimed the suggested block, at
        // the same moment. Ask the counter again.
        if ((error as { code?: unknown }).code !== 11000) throw error;
      }
    }
  }
}
