/**
 * A realistic history for the benchmarks: jobs of 1–50 visits with 1–20 images each over a year
 * and 4,944 stores in two areas, ~5 % of images failing, ~20 jobs in progress at once with their
 * images settling interleaved, as in production. Deterministic (a fixed seed).
 */
import type { Db } from 'mongodb';
import { collectionNames, type IdLookups } from '@retail-pulse/shared/mongo';
import { imageSettledEventId, jobSubmittedEventId, type DomainEvent } from '@retail-pulse/shared/contracts';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import type { Store } from '@retail-pulse/shared/storeMaster';
import { EventLog } from '../../services/projection/src/eventLog';
import { progressReporter } from '../../services/projection/src/replay/progress';
import { prng } from '../../test/support/prng';

interface OpenJob {
  pending: DomainEvent[];
}

/** A store's area, as in the real master's two areas: the first half of the ids in one, the rest in the other. */
const areaOf = (storeId: string) => (Number(storeId.slice(2)) <= 2472 ? '7100015' : '7100016');

/** The history's stores, as a store master holds them. */
export function historyStores(): Store[] {
  return Array.from({ length: 4944 }, (_, index) => {
    const storeId = `RP${String(index + 1).padStart(5, '0')}`;
    return { storeId, areaCode: areaOf(storeId), storeName: `BENCH STORE ${index + 1}` };
  });
}

/** Yields events in a production-like order: ~20 jobs in progress at once, their images settling interleaved. */
export function* workload(total: number): Generator<DomainEvent> {
  const random = prng(42);
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  const open: OpenJob[] = [];
  let produced = 0;
  let jobId = 0;
  const start = Date.UTC(2024, 0, 1);
  while (produced < total || open.length > 0) {
    while (open.length < 20 && produced < total) {
      jobId++;
      const visits = Array.from({ length: between(1, 50) }, (_, visitIndex) => ({
        storeId: `RP${String(between(1, 4944)).padStart(5, '0')}`,
        visitTime: new Date(
          start + between(0, 365) * 86_400_000 + between(0, 86_399) * 1000 + visitIndex,
        ).toISOString(),
        imageUrls: Array.from(
          { length: between(1, 20) },
          (_, index) => `https://images.example/${jobId}/${visitIndex}/${index}.jpg`,
        ),
      }));
      const imageCount = visits.reduce((sum, visit) => sum + visit.imageUrls.length, 0);
      const metadata = { correlationId: String(jobId), occurredAt: new Date(start).toISOString() };
      yield {
        eventId: jobSubmittedEventId(jobId),
        type: 'JobSubmitted',
        version: 1,
        metadata,
        data: { jobId, imageCount, visits },
      };
      produced++;
      const pending: DomainEvent[] = [];
      visits.forEach((visit, visitIndex) =>
        visit.imageUrls.forEach((url, imageIndex) => {
          const imageId = `${jobId}:${visitIndex}:${imageIndex}`;
          const ref = {
            jobId,
            imageId,
            visitIndex,
            imageIndex,
            storeId: visit.storeId,
            visitTime: visit.visitTime,
            url,
          };
          if (random() < 0.05) {
            pending.push({
              eventId: imageSettledEventId(imageId),
              type: 'ImageFailed',
              version: 1,
              metadata,
              data: { ...ref, kind: 'http_status', reason: `HTTP 404 fetching ${url}`, attempts: 1 },
            });
          } else {
            const width = between(320, 4000);
            const height = between(240, 3000);
            pending.push({
              eventId: imageSettledEventId(imageId),
              type: 'ImageProcessed',
              version: 2,
              metadata,
              data: {
                ...ref,
                areaCode: areaOf(visit.storeId),
                storeName: 'BENCH STORE',
                width,
                height,
                perimeter: 2 * (width + height),
                format: 'jpeg',
                bytes: between(50_000, 400_000),
                attempts: 1,
                processedAt: metadata.occurredAt,
              },
            });
          }
        }),
      );
      open.push({ pending });
    }
    const index = Math.floor(random() * open.length);
    const job = open[index]!;
    yield job.pending.shift()!;
    produced++;
    if (job.pending.length === 0) open.splice(index, 1);
  }
}

/** What `writeHistory` wrote: its events, and each job with its number of images. */
export interface History {
  events: number;
  jobs: Array<{ jobId: number; images: number }>;
}

/** Empties the database and writes a log of `total` events of the workload, as the projection would have. */
export async function writeHistory(db: Db, total: number, idLookups: IdLookups): Promise<History> {
  const log = new EventLog(db);
  await db.dropDatabase();
  await idLookups.ensure([collectionNames.eventPages, collectionNames.eventIds, collectionNames.projectionState]);
  const progress = progressReporter('writing the log', 'events');
  const started = Date.now();
  let batch: DomainEvent[] = [];
  let position = 0;
  let highestJobId = 0;
  const jobs: History['jobs'] = [];
  // In the projection's batches, through its own append: pages and ids as it writes them.
  for (const event of workload(total)) {
    if (event.type === 'JobSubmitted') {
      highestJobId = Math.max(highestJobId, event.data.jobId);
      jobs.push({ jobId: event.data.jobId, images: event.data.imageCount });
    }
    batch.push(event);
    if (batch.length === 1_000) {
      await log.append(batch, position + 1);
      position += batch.length;
      batch = [];
      progress.update(position, total);
    }
  }
  if (batch.length > 0) await log.append(batch, position + 1);
  position += batch.length;
  progress.stop();
  const state = new ProjectionState(db);
  await state.reserveThrough(position, highestJobId);
  await state.markLogPaged(0);
  console.log(`wrote ${position} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { events: position, jobs };
}
