import type { Db } from 'mongodb';
import type { RecordedEvent } from '@retail-pulse/shared/contracts';
import { bulkWriteInChunks, insertIdempotent, insertOrReplace } from '@retail-pulse/shared/mongo';
import {
  evolveJob,
  forkProgress,
  jobKey,
  outcomeOf,
  readModelCollections,
  toOngoingDocument,
  toStoredOutcome,
  type JobOutcomeDocument,
  type JobProgress,
  type LegacyJobProgressDocument,
  type OpenJobsBlockDocument,
  type StoredJobStatus,
  type ProjectionState,
} from '@retail-pulse/shared/readModels';
import { OpenJobs } from '../openJobs';
import { settledAmong, type FoldOptions, type ReadModel, type SettledListener } from '../readModel';

/**
 * The job-status read model: a status document per job, the only one its readers need —
 * inserted as ongoing when the job is first seen (only where the job has none, so it never
 * overwrites an outcome), and written over with the outcome when the job settles — and the
 * projection's own list of open jobs, in blocks of job ids (each batch rewrites the blocks whose
 * jobs opened or settled in it), so a restart reads those and not every job's status.
 * The counts of ongoing jobs live in memory only — the projection is the single writer — so a
 * settling image costs no database write. After a restart, the log is refolded from the oldest
 * open job's first event; `evolveJob` rebuilds those counts exactly, and settled jobs are skipped.
 */
export class JobStatusModel implements ReadModel {
  readonly name = 'jobStatus' as const;
  private readonly progress = new Map<number, JobProgress>();
  /** Jobs listed open and whose ongoing document is stored (or, deferred, will be at `flush`). */
  private readonly openJobs = new OpenJobs();
  /** Jobs whose counts are to be rebuilt from the log before they are trusted. */
  private readonly reopened = new Set<number>();
  private deferred = false;
  private position = 0;
  private readonly names;

  constructor(
    private readonly db: Db,
    private readonly state: ProjectionState,
    readonly generation: number,
    /** Told of the jobs each live fold settles, once their outcomes are stored. */
    private readonly onSettled?: SettledListener,
  ) {
    this.names = readModelCollections(generation);
  }

  get checkpoint(): number {
    return this.position;
  }

  get ongoingJobs(): number {
    return this.openJobs.size;
  }

  get collections(): string[] {
    return [this.names.jobProgress, this.names.jobOutcomes];
  }

  private get progressCollection() {
    return this.db.collection<OpenJobsBlockDocument | LegacyJobProgressDocument>(this.names.jobProgress);
  }
  /** The same collection, as written now: open-jobs blocks only. */
  private get blocksCollection() {
    return this.db.collection<OpenJobsBlockDocument>(this.names.jobProgress);
  }
  private get statusCollection() {
    return this.db.collection<StoredJobStatus>(this.names.jobOutcomes);
  }

  async load(): Promise<void> {
    this.position = (await this.state.checkpoint(this.name, this.generation)) ?? 0;
    this.progress.clear();
    this.openJobs.clear();
    this.reopened.clear();
    const legacyMarkers: string[] = [];
    for await (const document of this.progressCollection.find({})) {
      if ('jobs' in document) this.openJobs.addListed(document);
      else {
        legacyMarkers.push(document._id);
        this.openJobs.add(document.jobId, document.openedAt);
      }
    }
    for (const [jobId, openedAt] of this.openJobs.entries()) {
      this.reopened.add(jobId);
      // Refold from just before the job's first event: its counts are rebuilt from scratch.
      this.position = Math.min(this.position, openedAt - 1);
    }
    if (legacyMarkers.length > 0) await this.replaceLegacyMarkers(legacyMarkers);
  }

  /** A generation written before open-jobs blocks: its per-job markers become blocks, blocks first. */
  private async replaceLegacyMarkers(markers: string[]): Promise<void> {
    await insertOrReplace(this.blocksCollection, this.openJobs.documents());
    await bulkWriteInChunks(
      this.progressCollection,
      markers.map((_id) => ({ deleteOne: { filter: { _id } } })),
    );
  }

  setDeferred(deferred: boolean): void {
    this.deferred = deferred;
  }

  async fold(events: RecordedEvent[], options: FoldOptions): Promise<void> {
    const fresh = events.filter((event) => event.position > this.position);
    if (fresh.length === 0) return;
    const settledJobs = await this.settledAmong(fresh, options.verifyTerminal);
    const touched = new Map<number, JobProgress>();
    for (const event of fresh) {
      const jobId = event.data.jobId;
      if (settledJobs.has(jobId)) continue;
      const known = touched.get(jobId) ?? forkOf(this.progress.get(jobId));
      touched.set(jobId, evolveJob(known, event));
    }
    const outcomes: JobOutcomeDocument[] = [];
    const opened: JobProgress[] = [];
    for (const progress of touched.values()) {
      const outcome = outcomeOf(progress);
      if (outcome) outcomes.push(outcome);
      else if (!this.openJobs.has(progress.jobId)) opened.push(progress);
    }
    // An ongoing document before the job is listed open: a job `load` finds open has its document.
    if (!this.deferred) await insertIdempotent(this.statusCollection, opened.map(toOngoingDocument));
    await this.storeOutcomes(outcomes);
    if (!this.deferred && outcomes.length > 0) {
      this.onSettled?.({
        generation: this.generation,
        jobs: outcomes.map(({ jobId, status, failures, totalImages, failedImages }) => ({
          jobId,
          status,
          failures,
          totalImages,
          failedImages,
          submittedAt: touched.get(jobId)!.submittedAt,
        })),
      });
    }
    const finished = outcomes.map((outcome) => outcome.jobId);
    // Memory moves on only once the changed blocks are stored.
    const change = this.openJobs.change();
    for (const progress of opened) change.open(progress.jobId, progress.openedAt);
    for (const jobId of finished) change.close(jobId);
    if (!this.deferred) await change.store(this.blocksCollection);
    for (const [jobId, progress] of touched) this.progress.set(jobId, progress);
    change.apply();
    for (const jobId of finished) {
      this.progress.delete(jobId);
      this.reopened.delete(jobId);
    }
    this.position = fresh[fresh.length - 1]!.position;
    if (!this.deferred) await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }

  /** Rebuild mode: the ongoing documents and open-jobs blocks of the jobs still open, and the checkpoint, written once. */
  async flush(): Promise<void> {
    await insertIdempotent(
      this.statusCollection,
      [...this.openJobs.entries()].map(([jobId]) => toOngoingDocument(this.progress.get(jobId)!)),
    );
    await insertIdempotent(this.blocksCollection, this.openJobs.documents());
    await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }

  /**
   * Outcomes written over the jobs' ongoing documents, by `_id` (upserted: a job may settle in the
   * batch that opened it, or after a restart that lost which documents were written). An outcome
   * is deterministic, so writing it again on a refold changes nothing. A rebuild folds into a
   * generation of its own whose ongoing documents wait for `flush`: there it has nothing to write
   * over, and an insert costs the embedded database a fraction of an upsert (docs/DATABASE.md).
   */
  private async storeOutcomes(outcomes: JobOutcomeDocument[]): Promise<void> {
    const stored = outcomes.map(toStoredOutcome);
    if (this.deferred) return insertIdempotent(this.statusCollection, stored);
    await bulkWriteInChunks(
      this.statusCollection,
      stored.map((outcome) => ({ replaceOne: { filter: { _id: outcome._id }, replacement: outcome, upsert: true } })),
    );
  }

  /** Jobs of the batch that settled earlier (see `settledAmong`): their events are skipped. */
  private settledAmong(events: RecordedEvent[], verifyTerminal: boolean): Promise<Set<number>> {
    return settledAmong(events, {
      verifyTerminal,
      known: (jobId) => this.progress.has(jobId) || this.reopened.has(jobId),
      settled: async (jobId) => {
        const document = await this.statusCollection.findOne({ _id: jobKey(jobId) }, { projection: { status: 1 } });
        return document !== null && document.status !== 'ongoing';
      },
    });
  }
}

/** Folding a batch into a copy: a batch that fails leaves the counts in memory as they were. */
function forkOf(progress: JobProgress | undefined): JobProgress | undefined {
  return progress && forkProgress(progress);
}
