import type { AnyBulkWriteOperation, Collection, Document, Filter } from 'mongodb';
import { duplicateIndexes } from './database';

/**
 * Statements that change a stored document, sent in one bulk write at most. FerretDB 1.24 on
 * SQLite keeps, for each statement of an update command that replaces a document already there,
 * one connection of its pool of 100 until the whole command ends: a command of 101 such
 * statements never ends, and neither does anything else on that database (measured: 99 replaced,
 * 101 hung; the chaos run's FerretDB hung with two commands of 48 and 52 under way). 25 leaves
 * room for the projection's models writing side by side; on MongoDB it only costs a round trip per 25.
 */
export const MAX_STATEMENTS_PER_BULK_WRITE = 25;

/**
 * Inserts sent in one bulk write at most. An insert holds no connection per document, and fewer,
 * larger commands cost less per document on both sides (14,000 small documents: 1.0 s in
 * commands of 25, 0.4 s in commands of 1,000, on FerretDB here).
 */
export const MAX_INSERTS_PER_BULK_WRITE = 500;

/**
 * `collection.bulkWrite`, unordered, in commands of at most `MAX_STATEMENTS_PER_BULK_WRITE`
 * statements that change a stored document and `MAX_INSERTS_PER_BULK_WRITE` in all. The
 * operations are taken from the iterable one command ahead: a caller that builds each one as it
 * is taken (packing a document, say) does so while the previous command is being written.
 */
export async function bulkWriteInChunks<T extends Document>(
  collection: Collection<T>,
  operations: Iterable<AnyBulkWriteOperation<T>>,
): Promise<void> {
  let writing: Promise<unknown> = Promise.resolve();
  for (const chunk of chunksOf(operations)) {
    await writing;
    writing = collection.bulkWrite(chunk, { ordered: false });
  }
  await writing;
}

function* chunksOf<T extends Document>(
  operations: Iterable<AnyBulkWriteOperation<T>>,
): Generator<AnyBulkWriteOperation<T>[]> {
  let chunk: AnyBulkWriteOperation<T>[] = [];
  let changes = 0;
  for (const operation of operations) {
    if (!('insertOne' in operation)) changes++;
    chunk.push(operation);
    if (changes >= MAX_STATEMENTS_PER_BULK_WRITE || chunk.length >= MAX_INSERTS_PER_BULK_WRITE) {
      yield chunk;
      chunk = [];
      changes = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Writes documents whole that are most likely new: inserted, in commands of at most
 * `MAX_INSERTS_PER_BULK_WRITE`, and those whose `_id` is already taken (a batch folded again after
 * a restart) replaced. On FerretDB an insert command stores all its documents in one transaction,
 * while each replacing statement is a transaction of its own (500 new jobs' two documents each:
 * 1.9–2.5 s replaced, measured in the projection here).
 */
export async function insertOrReplace<T extends Document & { _id: unknown }>(
  collection: Collection<T>,
  documents: T[],
): Promise<void> {
  const taken: T[] = [];
  for (let start = 0; start < documents.length; start += MAX_INSERTS_PER_BULK_WRITE) {
    const chunk = documents.slice(start, start + MAX_INSERTS_PER_BULK_WRITE);
    try {
      // The driver's OptionalUnlessRequiredId type cannot see that T always carries its _id.
      await collection.insertMany(chunk as unknown as Parameters<Collection<T>['insertMany']>[0], { ordered: false });
    } catch (error) {
      for (const index of duplicateIndexes(error)) taken.push(chunk[index]!);
    }
  }
  await bulkWriteInChunks(
    collection,
    taken.map((document): AnyBulkWriteOperation<T> => ({
      replaceOne: { filter: { _id: document._id } as Filter<T>, replacement: document, upsert: true },
    })),
  );
}
