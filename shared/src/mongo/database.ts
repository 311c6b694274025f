import { MongoClient, type Collection, type Db, type MongoBulkWriteError } from 'mongodb';

export const collectionNames = {
  /** The event log: the system of record, append-only, written by the projection alone. */
  events: 'events',
  stores: 'stores',
  /** Jobs the ingest has handed to the broker, so status can answer before the projection folds them. */
  jobReceipts: 'job_receipts',
  counters: 'counters',
  /** Checkpoints, the log's high-water marks and the generations served. */
  projectionState: 'projection_state',
} as const;

/**
 * Read models live in generation-numbered collections so a replay can build a fresh set while the
 * API keeps answering from the current one, then switch at once.
 */
export function readModelCollections(generation: number) {
  return {
    /** Jobs not yet settled, with their counts: few documents, rewritten as images settle. */
    jobProgress: `rm${generation}_job_progress`,
    /** Final answers of settled jobs: written once, never changed. */
    jobOutcomes: `rm${generation}_job_outcomes`,
    /** One record per settled image, with its measurements and provenance. */
    images: `rm${generation}_images`,
  };
}
export type ReadModelCollections = ReturnType<typeof readModelCollections>;

/** The collections of the active generations: job status from one, visits from the other. */
export function activeCollections(active: { jobStatus: number; visits: number }): ReadModelCollections {
  const jobStatus = readModelCollections(active.jobStatus);
  return { ...jobStatus, images: readModelCollections(active.visits).images };
}

export async function connectMongo(url: string, dbName: string): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(url, {
    serverSelectionTimeoutMS: 10_000,
    maxPoolSize: 50,
    retryWrites: false,
  });
  await client.connect();
  return { client, db: client.db(dbName) };
}

/** Indexes the queries need on a real MongoDB (FerretDB accepts and keeps them too). */
export async function ensureIndexes(db: Db, visitsGeneration: number): Promise<void> {
  const readModels = readModelCollections(visitsGeneration);
  await db.collection(collectionNames.events).createIndex({ position: 1 }, { unique: true, name: 'position' });
  await db.collection(collectionNames.stores).createIndex({ areaCode: 1 }, { name: 'areaCode' });
  await db
    .collection(readModels.images)
    .createIndex({ areaCode: 1, storeId: 1, visitTime: 1 }, { name: 'area_store_time' });
  await db.collection(readModels.images).createIndex({ storeId: 1, visitTime: 1 }, { name: 'store_time' });
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
    const writeErrors = (error as MongoBulkWriteError).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (list.length === 0 || !list.every((writeError) => writeError.code === 11000)) throw error;
  }
}
