import type { Db } from 'mongodb';
import { ProjectionState, readModelCollections, type ImageRecordDocument } from '@retail-pulse/shared/readModels';

/** How many image records the served visits generation holds for each job: each image once, or a loss or a double. */
export async function imageRecordsPerJob(db: Db): Promise<Map<number, number>> {
  const active = await new ProjectionState(db).active();
  const records = await db
    .collection<ImageRecordDocument>(readModelCollections(active.visits).images)
    .find({}, { projection: { jobId: 1 } })
    .toArray();
  const perJob = new Map<number, number>();
  for (const record of records) perJob.set(record.jobId, (perJob.get(record.jobId) ?? 0) + 1);
  return perJob;
}
