/**
 * `npm run bench:replay`: writes a realistic event log of at least 1,000,000 events into its own
 * database (jobs of 1–50 visits with 1–20 images each, ~5 % of images failing, jobs interleaved as
 * in production), then rebuilds every read model from it and prints the figures.
 *
 *   npm run bench:replay -- [--events 1000000] [--page-size 5000] [--keep] [--reuse]
 *
 * Its database (MONGO_DB, default retail_pulse_bench_replay; ~2.4 GB at 1,000,000 events on
 * FerretDB) is dropped at the end unless `--keep` is given; `--reuse` replays a kept log again.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@retail-pulse/shared/config';
import { imageSettledEventId, jobSubmittedEventId, type DomainEvent } from '@retail-pulse/shared/contracts';
import { connectMongo } from '@retail-pulse/shared/mongo';
import { ensureIndexes, ProjectionState } from '@retail-pulse/shared/readModels';
import { EventLog, toLogDocument, type EventLogDocument } from '../../services/projection/src/eventLog';
import { hashReadModels } from '../../services/projection/src/replay/contentHash';
import { progressReporter } from '../../services/projection/src/replay/progress';
import { rebuild } from '../../services/projection/src/replay/rebuild';
import { ensureFerretDb } from '../local/services';
import { prng } from '../../test/support/prng';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    'page-size': { type: 'string', default: '5000' },
    reuse: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    hash: { type: 'boolean', default: false },
  },
});
const targetEvents = Number(values.events);
const pageSize = Number(values['page-size']);
const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const dbName = process.env.MONGO_DB ?? 'retail_pulse_bench_replay';

interface OpenJob {
  pending: DomainEvent[];
}

/** Yields events in a production-like order: ~20 jobs in progress at once, their images settling interleaved. */
function* workload(total: number): Generator<DomainEvent> {
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
                areaCode: random() < 0.5 ? '7100015' : '7100016',
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

async function main(): Promise<void> {
  const logger = createLogger('bench', 'warn');
  // Like `npm start`: a MongoDB-protocol server from MONGO_URL, else FerretDB installed and started here.
  const ferretDb = process.env.MONGO_URL ? undefined : await ensureFerretDb((line) => console.log(line));
  const { client, db } = await connectMongo(mongoUrl, dbName);
  const log = new EventLog(db);
  const existing = await log.count();
  if (!(values.reuse && existing >= targetEvents)) {
    await db.dropDatabase();
    await ensureIndexes(db, 1);
    const progress = progressReporter('writing the log', 'events');
    const started = Date.now();
    let batch: EventLogDocument[] = [];
    let position = 0;
    for (const event of workload(targetEvents)) {
      batch.push(toLogDocument(event, ++position));
      if (batch.length === 10_000) {
        await log.collection.insertMany(batch, { ordered: true });
        batch = [];
        progress.update(position, targetEvents);
      }
    }
    if (batch.length > 0) await log.collection.insertMany(batch, { ordered: true });
    progress.stop();
    const state = new ProjectionState(db);
    await state.reserveThrough(position, await state.highestJobId());
    console.log(`wrote ${position} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else console.log(`reusing the log of ${existing} events in ${dbName}`);

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const progress = progressReporter('replay', 'events');
  const result = await rebuild(db, logger, {
    pageSize,
    onProgress: ({ events, total }) => progress.update(events, total),
  });
  progress.stop();
  clearInterval(sampler);
  const seconds = result.durationMs / 1000;
  const figures = {
    events: result.events,
    durationS: Number(seconds.toFixed(1)),
    eventsPerSecond: Math.round(result.events / seconds),
    pageSize,
    peakRssMb: Math.round(peakRss / 2 ** 20),
  };
  if (values.hash) {
    const hashed = await hashReadModels(db, { jobStatus: result.generation, visits: result.generation });
    Object.assign(figures, { hash: hashed.hash });
  }
  console.log(JSON.stringify(figures));
  if (values.keep) console.log(`kept the database ${dbName}: --reuse replays it again; a run without --keep drops it`);
  else await db.dropDatabase();
  await client.close();
  ferretDb?.kill('SIGTERM');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
