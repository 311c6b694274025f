import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';

/**
 * Statements sent in one bulk write at most. FerretDB 1.24 on SQLite keeps, for each statement of
 * an update command that replaces a document already there, one connection of its pool of 100
 * until the whole command ends: a command of 101 such statements never ends, and neither does
 * anything else on that database (measured: 99 replaced, 101 hung; the chaos run's FerretDB hung
 * with two commands of 48 and 52 under way). 25 leaves room for the projection's models writing
 * side by side; on MongoDB it only costs a round trip per 25.
 */
export const MAX_STATEMENTS_PER_BULK_WRITE = 25;

/** `collection.bulkWrite`, unordered, in commands of at most `MAX_STATEMENTS_PER_BULK_WRITE` statements. */
export async function bulkWriteInChunks<T extends Document>(
  collection: Collection<T>,
  operations: AnyBulkWriteOperation<T>[],
): Promise<void> {
  for (let start = 0; start < operations.length; start += MAX_STATEMENTS_PER_BULK_WRITE) {
    await collection.bulkWrite(operations.slice(start, start + MAX_STATEMENTS_PER_BULK_WRITE), { ordered: false });
  }
}
