import type { Collection, Db } from 'mongodb';
import { unpack } from '../../mongo/packed';
import {
  IMAGES_PER_PAGE,
  JOBS_PER_BLOCK,
  jobsKeys,
  type ImageEntry,
  type ImagePageDocument,
  type JobBlockDocument,
  type JobDocument,
  type JobsDocument,
  type JobsHeadDocument,
  type JobState,
  type JobSummaryEntry,
  type VisitCountsEntry,
} from './documents';

/** Listing blocks read for one page at most: a rare status filter answers a short page and a cursor. */
export const MAX_BLOCKS_PER_LISTING = 50;

export interface JobDetail {
  document: JobDocument;
  visits: VisitCountsEntry[];
}

export interface ImagesSlice {
  images: ImageEntry[];
  total: number;
}

export interface ListingPage {
  jobs: JobSummaryEntry[];
  /** Where to go on (the block to read and the job id to stay below), or null at the oldest job. */
  next: { block: number; before: number } | null;
}

/** The jobs model's reads, every one a lookup by `_id`; several of a step at once. */
export class JobsReader {
  constructor(private readonly db: Db) {}

  private collection(name: string): Collection<JobsDocument> {
    return this.db.collection<JobsDocument>(name);
  }

  async job(collection: string, jobId: number): Promise<JobDetail | null> {
    const document = (await this.collection(collection).findOne({ _id: jobsKeys.job(jobId) })) as JobDocument | null;
    return document && { document, visits: JSON.parse(document.visits) as VisitCountsEntry[] };
  }

  /**
   * `limit` images of the job from `offset` in submission order; null when the job is not in the
   * model. Its pages are read, and where it has no first page, its detail (a job of one page keeps
   * its images there).
   */
  async images(collection: string, jobId: number, offset: number, limit: number): Promise<ImagesSlice | null> {
    const first = Math.floor(offset / IMAGES_PER_PAGE);
    const last = Math.floor((offset + limit - 1) / IMAGES_PER_PAGE);
    const pageNumbers = [...new Set([0, ...range(first, last)])];
    const documents = (await Promise.all(
      pageNumbers.map((page) => this.collection(collection).findOne({ _id: jobsKeys.page(jobId, page) })),
    )) as Array<Pick<ImagePageDocument, 'total' | 'entries'> | null>;
    const byPage = new Map(pageNumbers.map((page, index) => [page, documents[index]]));
    if (!byPage.get(0)) {
      const detail = (await this.collection(collection).findOne({ _id: jobsKeys.job(jobId) })) as JobDocument | null;
      if (!detail?.entries) return null;
      byPage.set(0, { total: detail.total, entries: detail.entries });
    }
    const firstPage = byPage.get(0)!;
    const images: ImageEntry[] = [];
    for (const page of range(first, last)) {
      const document = byPage.get(page);
      if (!document) break;
      const entries = unpack<ImageEntry[]>(document.entries);
      const from = Math.max(offset - page * IMAGES_PER_PAGE, 0);
      const to = Math.min(offset + limit - page * IMAGES_PER_PAGE, entries.length);
      images.push(...entries.slice(from, to));
    }
    return { images, total: firstPage.total };
  }

  /**
   * Jobs newest first (highest id first), optionally in one state: walks the listing blocks down
   * from `from` (or the top), at most `MAX_BLOCKS_PER_LISTING` of them.
   */
  async listing(
    collection: string,
    options: { from?: { block: number; before: number }; state?: JobState; limit: number },
  ): Promise<ListingPage> {
    let block: number | null;
    let before: number;
    if (options.from) {
      ({ block, before } = options.from);
    } else {
      const head = (await this.collection(collection).findOne({ _id: jobsKeys.head() })) as JobsHeadDocument | null;
      block = head?.top ?? null;
      before = Number.MAX_SAFE_INTEGER;
    }
    const jobs: JobSummaryEntry[] = [];
    for (let read = 0; block !== null && read < MAX_BLOCKS_PER_LISTING; read++) {
      const document = (await this.collection(collection).findOne({
        _id: jobsKeys.block(block),
      })) as JobBlockDocument | null;
      if (!document) return { jobs, next: null };
      for (const entry of JSON.parse(document.jobs) as JobSummaryEntry[]) {
        if (entry[0] >= before || (options.state && entry[1] !== options.state)) continue;
        jobs.push(entry);
        // The next page starts in this block again, below the last job given.
        if (jobs.length === options.limit) return { jobs, next: { block, before: entry[0] } };
      }
      block = document.below;
      before = block === null ? 0 : (block + 1) * JOBS_PER_BLOCK;
    }
    return { jobs, next: block === null ? null : { block, before } };
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(to - from + 1, 0) }, (_, index) => from + index);
}
