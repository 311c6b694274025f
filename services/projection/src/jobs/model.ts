import type { AnyBulkWriteOperation, Collection, Db } from 'mongodb';
import type { RecordedEvent } from '@retail-pulse/shared/contracts';
import { bulkWriteInChunks, insertOrReplace } from '@retail-pulse/shared/mongo';
import {
  evolveJobView,
  imagePageDocumentOf,
  jobDocumentOf,
  jobsKeys,
  jobStateOf,
  jobSummaryOf,
  readModelCollections,
  type JobDocument,
  type JobsDocument,
  type JobsHeadDocument,
  type JobSummaryEntry,
  type JobView,
  type LegacyOpenJobsDocument,
  type OpenJobsBlockDocument,
  type ProjectionState,
} from '@retail-pulse/shared/readModels';
import { OpenJobs } from '../openJobs';
import { JobListing } from './listing';
import { settledAmong, type FoldOptions, type ReadModel, type WebhookDue, type WebhookOutboxPort } from '../readModel';

/** Rebuild mode writes the listing blocks at the end, or early when this many wait (bounded memory). */
const MAX_WAITING_BLOCKS = 500;

/**
 * The jobs read model: each job's detail, its images in pages of fixed size in submission order,
 * and the listing blocks, all documents read by `_id`. The projection is the single writer: a
 * job's view lives in memory from its first event until it settles, and each batch writes the
 * documents it changed, whole, in one bulk write. Its list of open jobs (`rm<N>_jobs_open`, in
 * blocks of job ids) names the jobs in memory and where their first event is; after a restart the
 * log is refolded from the oldest of them, and jobs already settled are skipped. A rebuild
 * (deferred) writes a job once, when it settles, and the jobs still open at `flush`.
 */
export class JobsModel implements ReadModel {
  readonly name = 'jobs' as const;
  private readonly views = new Map<number, JobView>();
  /** The jobs listed open: those in `views` and those listed at load not yet folded again. */
  private readonly openJobs = new OpenJobs();
  /** Jobs listed open at load: folded from scratch when their events come again. */
  private readonly reopened = new Set<number>();
  private readonly listing: JobListing;
  private deferred = false;
  private position = 0;
  private readonly names;

  constructor(
    private readonly db: Db,
    private readonly state: ProjectionState,
    readonly generation: number,
    /** Told of the jobs each live fold settles whose submit named a callback URL. */
    private readonly webhooks?: WebhookOutboxPort,
  ) {
    this.names = readModelCollections(generation);
    this.listing = new JobListing(this.collection);
  }

  get checkpoint(): number {
    return this.position;
  }

  get collections(): string[] {
    return [this.names.jobs, this.names.jobsOpen];
  }

  private get collection(): Collection<JobsDocument> {
    return this.db.collection<JobsDocument>(this.names.jobs);
  }

  private get openCollection(): Collection<OpenJobsBlockDocument> {
    return this.db.collection<OpenJobsBlockDocument>(this.names.jobsOpen);
  }

  async load(): Promise<void> {
    this.position = (await this.state.checkpoint(this.name, this.generation)) ?? 0;
    this.views.clear();
    this.openJobs.clear();
    this.reopened.clear();
    const [legacy, head, openBlocks] = await Promise.all([
      this.collection.findOne({ _id: jobsKeys.legacyOpen() }) as Promise<LegacyOpenJobsDocument | null>,
      this.collection.findOne({ _id: jobsKeys.head() }) as Promise<JobsHeadDocument | null>,
      this.openCollection.find({}).toArray(),
    ]);
    this.listing.reset(head?.top ?? null);
    for (const document of legacy ? [legacy, ...openBlocks] : openBlocks) this.openJobs.addListed(document);
    for (const [jobId, openedAt] of this.openJobs.entries()) {
      this.reopened.add(jobId);
      this.position = Math.min(this.position, openedAt - 1);
    }
    if (legacy) {
      // A generation written before the list was kept in blocks: its one list document becomes blocks.
      await insertOrReplace(this.openCollection, this.openJobs.documents());
      await this.collection.deleteOne({ _id: legacy._id });
    }
  }

  setDeferred(deferred: boolean): void {
    this.deferred = deferred;
  }

  async fold(events: RecordedEvent[], options: FoldOptions): Promise<void> {
    const fresh = events.filter((event) => event.position > this.position);
    if (fresh.length === 0) return;
    const settled = await this.settledAmong(fresh, options.verifyTerminal);
    const before = new Map<number, JobView | undefined>();
    const touched = new Map<number, JobView>();
    /** Jobs this fold brings to a terminal state, and the position of the event that does. */
    const settledAt = new Map<number, number>();
    /** Jobs named open at load and folded again now from their first event. */
    const reopenedNow = new Set<number>();
    for (const event of fresh) {
      const jobId = event.data.jobId;
      if (settled.has(jobId)) continue;
      if (!touched.has(jobId)) {
        const known = this.views.get(jobId);
        before.set(jobId, known);
        if (this.reopened.delete(jobId)) reopenedNow.add(jobId);
      }
      const previous = touched.get(jobId) ?? this.views.get(jobId);
      const next = evolveJobView(previous, event);
      // Terminal states are final: a job is seen turning terminal once, whichever event did it.
      if (jobStateOf(next) !== 'ongoing' && (!previous || jobStateOf(previous) === 'ongoing')) {
        settledAt.set(jobId, event.position);
      }
      touched.set(jobId, next);
    }

    const writes: JobsDocument[] = [];
    /** Documents of jobs first written now: inserted (see `write`). */
    const created: JobsDocument[] = [];
    const summaries: JobSummaryEntry[] = [];
    const webhooksDue: WebhookDue[] = [];
    /** First pages of one-page jobs open across a restart, from before such a job kept its images in its detail. */
    const stalePages: string[] = [];
    // Memory moves on only once the writes are stored: a batch that fails is folded again whole.
    const openChange = this.openJobs.change();
    for (const [jobId, view] of touched) {
      const previous = before.get(jobId);
      const settledNow = jobStateOf(view) !== 'ongoing';
      if (settledNow) openChange.close(jobId);
      else if (!this.openJobs.has(jobId)) openChange.open(jobId, view.openedAt);
      // Deferred, an open job is written when it settles or at flush: each of its pages once.
      if (this.deferred && !settledNow) continue;
      const firstWrite = this.deferred || !previous;
      const document = this.documentsOf(view, firstWrite ? undefined : previous, firstWrite ? created : writes);
      if (!document) continue;
      if (reopenedNow.has(jobId) && document.entries !== undefined) stalePages.push(jobsKeys.page(jobId, 0));
      summaries.push(jobSummaryOf(view)!);
      const position = settledAt.get(jobId);
      const callbackUrl = view.layout?.callbackUrl;
      if (position !== undefined && callbackUrl) webhooksDue.push({ document, callbackUrl, position });
    }
    await this.listing.summarize(summaries);
    const listed = !this.deferred || this.listing.waiting >= MAX_WAITING_BLOCKS;
    if (listed) writes.push(...this.listing.documents());

    // Before the terminal state is stored: a crash in between refolds the batch, never loses the webhook.
    const sendWebhooks =
      this.webhooks && !this.deferred && webhooksDue.length > 0 ? await this.webhooks.record(webhooksDue) : undefined;
    await Promise.all([
      this.write(writes, created, stalePages),
      this.deferred ? undefined : openChange.store(this.openCollection),
    ]);
    if (listed) this.listing.stored();
    sendWebhooks?.();
    for (const [jobId, view] of touched) {
      if (jobStateOf(view) === 'ongoing') this.views.set(jobId, view);
      else this.views.delete(jobId);
    }
    openChange.apply();
    this.position = fresh[fresh.length - 1]!.position;
    if (!this.deferred) await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }

  async flush(): Promise<void> {
    const created: JobsDocument[] = [];
    const summaries: JobSummaryEntry[] = [];
    if (this.deferred) {
      for (const view of this.views.values()) {
        if (this.documentsOf(view, undefined, created)) summaries.push(jobSummaryOf(view)!);
      }
    }
    await this.listing.summarize(summaries);
    await Promise.all([
      this.write(this.listing.documents(), created),
      insertOrReplace(this.openCollection, this.openJobs.documents()),
    ]);
    this.listing.stored();
    await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }

  /**
   * Adds a job's detail and the image pages that changed since `previous` (every page without one)
   * to `writes`; a job of one page has its images in its detail.
   */
  private documentsOf(view: JobView, previous: JobView | undefined, writes: JobsDocument[]): JobDocument | undefined {
    const document = jobDocumentOf(view);
    if (!document) return undefined;
    writes.push(document);
    if (document.entries !== undefined) return document;
    view.pages.forEach((page, index) => {
      if (previous?.layout && previous.pages[index] === page) return;
      writes.push(imagePageDocumentOf(view, index));
    });
    return document;
  }

  /** Jobs of the batch that settled earlier (see `settledAmong`): their events are skipped. */
  private settledAmong(events: RecordedEvent[], verifyTerminal: boolean): Promise<Set<number>> {
    return settledAmong(events, {
      verifyTerminal,
      known: (jobId) => this.views.has(jobId) || this.reopened.has(jobId),
      settled: async (jobId) => {
        const document = (await this.collection.findOne(
          { _id: jobsKeys.job(jobId) },
          { projection: { state: 1 } },
        )) as Pick<JobDocument, 'state'> | null;
        return document !== null && document.state !== 'ongoing';
      },
    });
  }

  /**
   * Writes documents whole. Those of jobs first written now (`created`: a job's detail and pages at
   * its first event live, or once per job in a rebuild) are inserted, replacing any already there
   * (a batch folded again after a restart); the rest replace. `deleted` are removed.
   */
  private async write(documents: JobsDocument[], created: JobsDocument[], deleted: string[] = []): Promise<void> {
    const operations = documents.map((document): AnyBulkWriteOperation<JobsDocument> => ({
      replaceOne: { filter: { _id: document._id }, replacement: document, upsert: true },
    }));
    for (const _id of deleted) operations.push({ deleteOne: { filter: { _id } } });
    await Promise.all([insertOrReplace(this.collection, created), bulkWriteInChunks(this.collection, operations)]);
  }
}
