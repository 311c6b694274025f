import { MongoClient, type Collection, type Db, type MongoBulkWriteError } from 'mongodb';

export const collectionNames = {
  /**
   * The event log, the system of record, append-only and written by the projection alone: pages of
   * consecutive events (services/projection/src/eventLog), and every event id with its page.
   */
  eventPages: 'event_pages',
  eventIds: 'event_ids',
  /** The log as first kept, one document per event: read once by the projection, to become pages. */
  legacyEvents: 'events',
  /** The store master's versions, each whole and immutable, and which one is current (shared/src/storeMaster). */
  storeMasters: 'store_masters',
  /** The store master as kept before versions (one document per store): read once, to become version 1. */
  stores: 'stores',
  /** Jobs the ingest has handed to the broker, so status can answer before the projection folds them. */
  jobReceipts: 'job_receipts',
  counters: 'counters',
  /** Submits' Idempotency-Keys, by `_id`: the job each created, for 24 h. */
  idempotencyKeys: 'idempotency_keys',
  /** Checkpoints, the log's high-water marks and the generations served. */
  projectionState: 'projection_state',
  /** Webhooks of settled jobs, stored before the settlement is, until the broker has taken them. */
  webhookOutbox: 'webhook_outbox',
} as const;

export async function connectMongo(url: string, dbName: string): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: 10_000,
    maxPoolSize: 50,
    retryWrites: false,
  });
  await client.connect();
  return { client, db: client.db(dbName) };
}

/** Inserts documents, treating "already there" as success: every write here may be a re-fold. */
export async function insertIdempotent<T extends { _id: unknown }>(
  collection: Collection<T>,
  documents: T[],
): Promise<void> {
  if (documents.length === 0) return;
  try {
    // The driver's OptionalUnlessRequiredId type cannot see that T always carries its _id.
    await collection.insertMany(documents as unknown as Parameters<Collection<T>['insertMany']>[0], {
      ordered: false,
    });
  } catch (error) {
    duplicateIndexes(error);
  }
}

/**
 * The places in an unordered insert whose `_id` was already taken. Rethrows the error when any
 * write failed for another reason.
 */
export function duplicateIndexes(error: unknown): Set<number> {
  const writeErrors = (error as MongoBulkWriteError).writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  if (list.length === 0 || !list.every((writeError) => writeError.code === 11000)) throw error;
  return new Set(list.map((writeError) => writeError.index));
}
