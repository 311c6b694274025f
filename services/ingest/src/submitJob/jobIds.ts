import type { Db } from 'mongodb';
import { collectionNames } from '@retail-pulse/shared';

interface CounterDocument {
  _id: string;
  value: number;
}

/**
 * Hands out job ids: integers, unique across every ingest instance, increasing within one.
 * Ids are reserved from MongoDB in blocks so a submit rarely waits for the database.
 * Ids of a block not used before a restart are skipped, never reused.
 */
export class JobIdAllocator {
  private next = 0;
  private last = -1;
  private refilling: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly blockSize = 100,
  ) {}

  async allocate(): Promise<number> {
    while (this.next > this.last) {
      this.refilling ??= this.refill().finally(() => {
        this.refilling = undefined;
      });
      await this.refilling;
    }
    return this.next++;
  }

  private async refill(): Promise<void> {
    const counter = await this.db
      .collection<CounterDocument>(collectionNames.counters)
      .findOneAndUpdate(
        { _id: 'jobId' },
        { $inc: { value: this.blockSize } },
        { upsert: true, returnDocument: 'after' },
      );
    if (!counter) throw new Error('job id counter did not answer');
    this.last = counter.value;
    this.next = counter.value - this.blockSize + 1;
  }
}
