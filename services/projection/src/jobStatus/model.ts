import type { Db } from 'mongodb';
import {
  readModelCollections,
  type JobOutcomeDocument,
  type JobProgressDocument,
  type ProjectionState,
  type RecordedEvent,
  insertIdempotent,
} from '@retail-pulse/shared';
import type { FoldOptions, ReadModel } from '../readModel';
import { evolveJob, fromProgressDocument, outcomeOf, toProgressDocument, type JobProgress } from './fold';

/** How often the counts of ongoing jobs are written back (their documents exist from the start). */
const PROGRESS_FLUSH_MS = 1_000;

/**
 * The job-status read model: outcomes of settled jobs (inserted once, never changed) and the
 * progress of ongoing ones. Ongoing jobs are held in memory — the projection is the single
 * writer. A job's progress document is written when the job is first seen (so status answers
 * "ongoing" and a restart knows the job), and its counts at most every second after that: one
 * write per job per second instead of one per batch. A restart refolds from the oldest position
 * a stored count has not yet seen; `evolveJob` skips what a job already counted.
 */
export class JobStatusModel implements ReadModel {
  readonly name = 'jobStatus' as const;
  private readonly progress = new Map<number, JobProgress>();
  /** Ongoing jobs changed since the last write (deferred mode only). */
  private readonly unwritten = new Set<number>();
  private deferred = false;
  private position = 0;
  private flushedAt = 0;
  private readonly names;

  constructor(
    private readonly db: Db,
    private readonly state: ProjectionState,
    readonly generation: number,
  ) {
    this.names = readModelCollections(generation);
  }

  get checkpoint(): number {
    return this.position;
  }

  get ongoingJobs(): number {
    return this.progress.size;
  }

  get collections(): string[] {
    return [this.names.jobProgress, this.names.jobOutcomes];
  }

  private get progressCollection() {
    return this.db.collection<JobProgressDocument>(this.names.jobProgress);
  }
  private get outcomeCollection() {
    return this.db.collection<JobOutcomeDocument>(this.names.jobOutcomes);
  }

  async load(): Promise<void> {
    this.position = (await this.state.checkpoint(this.name, this.generation)) ?? 0;
    this.progress.clear();
    for await (const document of this.progressCollection.find({})) {
      this.progress.set(document._id, fromProgressDocument(document));
      this.position = Math.min(this.position, document.lastPosition);
    }
  }

  setDeferred(deferred: boolean): void {
    this.deferred = deferred;
  }

  async fold(events: RecordedEvent[], options: FoldOptions): Promise<void> {
    const fresh = events.filter((event) => event.position > this.position);
    if (fresh.length === 0) return;
    const settledJobs = options.verifyTerminal ? await this.settledAmong(fresh) : new Set<number>();
    const touched = new Map<number, JobProgress>();
    for (const event of fresh) {
      const jobId = event.data.jobId;
      if (settledJobs.has(jobId)) continue;
      touched.set(jobId, evolveJob(touched.get(jobId) ?? this.progress.get(jobId), event));
    }
    const outcomes: JobOutcomeDocument[] = [];
    const newJobs: JobProgress[] = [];
    const ongoing: JobProgress[] = [];
    for (const progress of touched.values()) {
      const outcome = outcomeOf(progress);
      if (outcome) outcomes.push(outcome);
      else {
        ongoing.push(progress);
        if (!this.progress.has(progress.jobId)) newJobs.push(progress);
      }
    }
    // Order matters for readers: an outcome exists before its progress document disappears.
    await insertIdempotent(this.outcomeCollection, outcomes);
    const finished = outcomes.map((outcome) => outcome._id);
    if (!this.deferred) {
      await this.writeProgress(newJobs);
      const stored = finished.filter((jobId) => this.progress.has(jobId));
      if (stored.length > 0) await this.progressCollection.deleteMany({ _id: { $in: stored } });
    }
    for (const progress of ongoing) {
      this.progress.set(progress.jobId, progress);
      this.unwritten.add(progress.jobId);
    }
    for (const progress of newJobs) if (!this.deferred) this.unwritten.delete(progress.jobId);
    for (const jobId of finished) {
      this.progress.delete(jobId);
      this.unwritten.delete(jobId);
    }
    this.position = fresh[fresh.length - 1]!.position;
    if (!this.deferred) {
      if (Date.now() - this.flushedAt >= PROGRESS_FLUSH_MS) await this.flushProgress();
      await this.state.saveCheckpoint(this.name, this.generation, this.position);
    }
  }

  /** Writes the counts of ongoing jobs changed since they were last written. */
  async flushProgress(): Promise<void> {
    this.flushedAt = Date.now();
    const ongoing = [...this.unwritten].map((jobId) => this.progress.get(jobId)!);
    this.unwritten.clear();
    await this.writeProgress(ongoing);
  }

  async flush(): Promise<void> {
    await this.flushProgress();
    await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }

  private async writeProgress(ongoing: JobProgress[]): Promise<void> {
    if (ongoing.length === 0) return;
    await this.progressCollection.bulkWrite(
      ongoing.map((progress) => ({
        replaceOne: { filter: { _id: progress.jobId }, replacement: toProgressDocument(progress), upsert: true },
      })),
      { ordered: false },
    );
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
