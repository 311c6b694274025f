import type { Collection, Db, MongoBulkWriteError } from 'mongodb';
import {
  collectionNames,
  readModelCollections,
  type ImageRecordDocument,
  type JobOutcomeDocument,
  type JobProgressDocument,
  type ProjectionStateDocument,
  type RecordedEvent,
} from '@retail-pulse/shared';
import { evolveJob, fromProgressDocument, outcomeOf, toProgressDocument, type JobProgress } from './jobStatus/fold';
import { imageRecordOf } from './visits/imageRecord';

/** Inserts documents, treating "already there" as success: every write here may be a re-fold. */
async function insertIdempotent<T extends { _id: unknown }>(collection: Collection<T>, documents: T[]): Promise<void> {
  if (documents.length === 0) return;
  try {
    // The driver's OptionalUnlessRequiredId type cannot see that T always carries its _id.
    await collection.insertMany(documents as unknown as Parameters<Collection<T>['insertMany']>[0], { ordered: false });
  } catch (error) {
    const writeErrors = (error as MongoBulkWriteError).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (list.length === 0 || !list.every((writeError) => writeError.code === 11000)) throw error;
  }
}

/**
 * One generation of read models and its checkpoint. Folds batches of recorded events with
 * idempotent writes only: image records and outcomes are inserted once, job progress carries the
 * position of the last event it folded. Ongoing jobs are kept in memory (the projection is the
 * single writer) and written through on every batch.
 */
export class ReadModelStore {
  private readonly progress = new Map<number, JobProgress>();
  private readonly names;
  private state: ProjectionStateDocument;

  constructor(
    private readonly db: Db,
    readonly generation: number,
  ) {
    this.names = readModelCollections(generation);
    this.state = { _id: stateId(generation), generation, checkpoint: 0, reservedThrough: 0, updatedAt: new Date() };
  }

  get checkpoint(): number {
    return this.state.checkpoint;
  }

  get reservedThrough(): number {
    return this.state.reservedThrough;
  }

  get ongoingJobs(): number {
    return this.progress.size;
  }

  private get stateCollection() {
    return this.db.collection<ProjectionStateDocument>(collectionNames.projectionState);
  }
  private get progressCollection() {
    return this.db.collection<JobProgressDocument>(this.names.jobProgress);
  }
  private get outcomeCollection() {
    return this.db.collection<JobOutcomeDocument>(this.names.jobOutcomes);
  }
  private get imageCollection() {
    return this.db.collection<ImageRecordDocument>(this.names.images);
  }

  /** Loads the checkpoint and the ongoing jobs of this generation. */
  async load(): Promise<void> {
    const stored = await this.stateCollection.findOne({ _id: stateId(this.generation) });
    if (stored) this.state = stored;
    this.progress.clear();
    for await (const document of this.progressCollection.find({})) {
      this.progress.set(document._id, fromProgressDocument(document));
    }
  }

  async saveState(changes: Partial<Pick<ProjectionStateDocument, 'checkpoint' | 'reservedThrough'>>): Promise<void> {
    this.state = { ...this.state, ...changes, updatedAt: new Date() };
    await this.stateCollection.replaceOne({ _id: this.state._id }, this.state, { upsert: true });
  }

  /**
   * Folds events (in position order) that lie above the checkpoint, then moves the checkpoint.
   * `verifyTerminal` makes jobs with no progress in memory check for an existing outcome first —
   * needed only when refolding events that may already be folded (catch-up after a restart).
   */
  async fold(events: RecordedEvent[], options: { verifyTerminal: boolean }): Promise<void> {
    const fresh = events.filter((event) => event.position > this.state.checkpoint);
    if (fresh.length === 0) return;
    const settledJobs = options.verifyTerminal ? await this.settledAmong(fresh) : new Set<number>();
    const images: ImageRecordDocument[] = [];
    const touched = new Map<number, JobProgress>();
    for (const event of fresh) {
      const jobId = event.data.jobId;
      if (settledJobs.has(jobId)) continue;
      const record = imageRecordOf(event);
      if (record) images.push(record);
      touched.set(jobId, evolveJob(touched.get(jobId) ?? this.progress.get(jobId), event));
    }
    const outcomes: JobOutcomeDocument[] = [];
    const ongoing: JobProgress[] = [];
    for (const progress of touched.values()) {
      const outcome = outcomeOf(progress);
      if (outcome) outcomes.push(outcome);
      else ongoing.push(progress);
    }
    // Order matters for readers: an outcome exists before its progress document disappears.
    await insertIdempotent(this.imageCollection, images);
    await insertIdempotent(this.outcomeCollection, outcomes);
    if (ongoing.length > 0) {
      await this.progressCollection.bulkWrite(
        ongoing.map((progress) => ({
          replaceOne: { filter: { _id: progress.jobId }, replacement: toProgressDocument(progress), upsert: true },
        })),
        { ordered: false },
      );
    }
    const finished = outcomes.map((outcome) => outcome._id);
    const storedFinished = finished.filter((jobId) => this.progress.has(jobId));
    if (storedFinished.length > 0) await this.progressCollection.deleteMany({ _id: { $in: storedFinished } });
    for (const progress of ongoing) this.progress.set(progress.jobId, progress);
    for (const jobId of finished) this.progress.delete(jobId);
    const last = fresh[fresh.length - 1]!.position;
    await this.saveState({ checkpoint: last, reservedThrough: Math.max(this.state.reservedThrough, last) });
  }

  private async settledAmong(events: RecordedEvent[]): Promise<Set<number>> {
    const unknown = [...new Set(events.map((event) => event.data.jobId))].filter((jobId) => !this.progress.has(jobId));
    const settled = new Set<number>();
    await Promise.all(
      unknown.map(async (jobId) => {
        if (await this.outcomeCollection.findOne({ _id: jobId }, { projection: { _id: 1 } })) settled.add(jobId);
      }),
    );
    return settled;
  }
}

export function stateId(generation: number): string {
  return `generation-${generation}`;
}
