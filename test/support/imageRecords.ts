import type { Db } from 'mongodb';
import { unpack } from '@retail-pulse/shared/mongo';
import {
  ProjectionState,
  readModelCollections,
  type ImageEntry,
  type ImagePageDocument,
  type JobDocument,
  type JobsDocument,
} from '@retail-pulse/shared/readModels';

/**
 * How many settled images the served jobs generation holds for each job: each image once, or a
 * loss or a double. An image is one slot of its job's pages; a job whose counts disagree with
 * its settled slots (an outcome counted twice) is reported as -1.
 */
export async function imageRecordsPerJob(db: Db): Promise<Map<number, number>> {
  const active = await new ProjectionState(db).active();
  const documents = await db.collection<JobsDocument>(readModelCollections(active.jobs).jobs).find({}).toArray();
  const slots = new Map<number, number>();
  const counted = new Map<number, number>();
  const addSlots = (jobId: number, entries: ImagePageDocument['entries']) => {
    const settled = unpack<ImageEntry[]>(entries).filter((entry) => entry[3] !== 'pending').length;
    slots.set(jobId, (slots.get(jobId) ?? 0) + settled);
  };
  for (const document of documents) {
    if (document._id.startsWith('p|')) {
      const page = document as ImagePageDocument;
      addSlots(page.jobId, page.entries);
    } else if (document._id.startsWith('j|')) {
      const job = document as JobDocument;
      counted.set(job.jobId, job.succeeded + job.failed);
      // A job of one page holds its images in its detail.
      if (job.entries !== undefined) addSlots(job.jobId, job.entries);
    }
  }
  const perJob = new Map<number, number>();
  for (const [jobId, settled] of slots) perJob.set(jobId, counted.get(jobId) === settled ? settled : -1);
  return perJob;
}
