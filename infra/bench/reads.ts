/**
 * `npm run bench:reads`: what the API's reads cost as the history grows, on the product's own read
 * models. For each size it writes a history of that many events (infra/bench/history.ts: 4,944
 * stores in two areas over a year), rebuilds every read model from it with `npm run replay`'s
 * code, serves the rebuilt generation, then times the reads the status API makes — a job's status,
 * one store's visits over 30 days, one area's visits over 30 days — with the status API's own
 * query code, one at a time, and prints p50/p99 for each size and the growth between the first
 * and the last (the curve). Then it folds jobs of 1,000 images each into the jobs model (the
 * projection's own JobsModel) and times a job's detail and a page of 100 of its images
 * (`GET /api/jobs/{id}` and `/api/jobs/{id}/images`) with the status API's query code.
 *
 *   npm run bench:reads -- [--events 100000,1000000] [--samples 200] [--keep]
 *
 * Its database (MONGO_DB, default retail_pulse_bench_reads) is dropped at the end unless --keep.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@retail-pulse/shared/config';
import { connectMongo, IdLookups } from '@retail-pulse/shared/mongo';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { StoreMaster, StoreMasterVersions } from '@retail-pulse/shared/storeMaster';
import type { RecordedEvent } from '@retail-pulse/shared/contracts';
import { imagesCursor } from '@retail-pulse/shared/readModels';
import { JobsModel } from '../../services/projection/src/jobs/model';
import { rebuild } from '../../services/projection/src/replay/rebuild';
import { JobsQuery } from '../../services/status-api/src/jobs/query';
import { JobStatusQuery } from '../../services/status-api/src/jobStatus/query';
import { ActiveReadModels } from '../../services/status-api/src/readModels';
import { VisitsQuery } from '../../services/status-api/src/visits/query';
import { aJobSubmitted, anImageProcessed } from '../../test/support/builders';
import { prng } from '../../test/support/prng';
import { ensureFerretDb } from '../local/services';
import { writeHistory } from './history';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000,1000000' },
    samples: { type: 'string', default: '200' },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = values.events.split(',').map(Number);
const samples = Number(values.samples);
const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const dbName = process.env.MONGO_DB ?? 'retail_pulse_bench_reads';
const DAY_MS = 86_400_000;
/** Jobs of this many images are folded into the jobs model to time its reads. */
const IMAGES_PER_JOB = 1_000;
const BENCH_JOBS = 20;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function timed(run: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const times: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: Number(percentile(times, 0.5).toFixed(2)), p99: Number(percentile(times, 0.99).toFixed(2)) };
}

async function main(): Promise<void> {
  const logger = createLogger('bench', 'warn');
  const ferretDb = process.env.MONGO_URL ? undefined : await ensureFerretDb((line) => console.log(line));
  const { client, db } = await connectMongo(mongoUrl, dbName);
  // The FerretDB serving MONGO_URL may keep its files elsewhere (another checkout's): FERRETDB_SQLITE_DIR says where.
  const idLookups = new IdLookups(db, logger, process.env.FERRETDB_SQLITE_DIR);
  const curve: Array<Record<string, unknown>> = [];
  try {
    for (const events of sizes) {
      await writeHistory(db, events, idLookups);
      // The store master of the history: 4,944 stores, the first half in one area.
      await idLookups.ensure(['store_masters', 'job_receipts']);
      await new StoreMasterVersions(db).importVersion(
        Array.from({ length: 4944 }, (_, index) => ({
          storeId: `RP${String(index + 1).padStart(5, '0')}`,
          areaCode: index + 1 <= 2472 ? '7100015' : '7100016',
          storeName: 'BENCH STORE',
        })),
        'the bench',
      );
      const storeMaster = new StoreMaster(db);
      await storeMaster.start();
      storeMaster.stop();
      const started = Date.now();
      const rebuilt = await rebuild(db, logger, { idLookups });
      const replaySeconds = (Date.now() - started) / 1000;
      await new ProjectionState(db).setActive({
        jobStatus: rebuilt.generation,
        visits: rebuilt.generation,
        jobs: rebuilt.generation,
      });
      const jobs = await db.collection(`rm${rebuilt.generation}_job_outcomes`).estimatedDocumentCount();
      // The history settles every image once: each event is a job's submission or an image's outcome.
      const images = rebuilt.events - jobs;
      const readModels = new ActiveReadModels(db);
      const visits = new VisitsQuery(db, readModels, storeMaster);
      const random = prng(7);
      const window = () => {
        const from = Date.UTC(2024, 0, 1) + Math.floor(random() * 335) * DAY_MS;
        return { from: new Date(from), until: new Date(from + 30 * DAY_MS) };
      };
      // Jobs of 1,000 images above the history's, folded as the projection folds them (not logged:
      // this database is the bench's own and is dropped).
      const jobsModel = new JobsModel(db, new ProjectionState(db), rebuilt.generation);
      await jobsModel.load();
      const firstBenchJob = jobs + 1_000;
      let position = rebuilt.lastPosition;
      for (let index = 0; index < BENCH_JOBS; index++) {
        const jobId = firstBenchJob + index;
        const events = [
          aJobSubmitted({
            jobId,
            visits: Array.from({ length: 10 }, () => ({ imageUrls: urls(IMAGES_PER_JOB / 10) })),
          }),
          ...Array.from({ length: IMAGES_PER_JOB }, (_, ordinal) =>
            anImageProcessed({ jobId, visitIndex: Math.floor(ordinal / 100), imageIndex: ordinal % 100 }),
          ),
        ].map((event): RecordedEvent => ({ ...event, position: ++position }));
        await jobsModel.fold(events, { verifyTerminal: false });
      }
      const jobsQuery = new JobsQuery(db, readModels);
      const benchJob = () => String(firstBenchJob + Math.floor(random() * BENCH_JOBS));
      const row = {
        events,
        images,
        replayEventsPerSecond: Math.round(rebuilt.events / replaySeconds),
        // Every status read goes to the database: a new query object has nothing in memory.
        statusMs: await timed(() =>
          new JobStatusQuery(db, readModels).statusOf(1 + Math.floor(random() * jobs)).catch(() => undefined),
        ),
        storeVisits30dMs: await timed(() =>
          visits.find({ storeId: `RP${String(1 + Math.floor(random() * 4944)).padStart(5, '0')}`, ...window() }),
        ),
        areaVisits30dMs: await timed(() => visits.find({ area: random() < 0.5 ? '7100015' : '7100016', ...window() })),
        jobDetail1000ImagesMs: await timed(() => jobsQuery.detail(benchJob(), {})),
        imagesPage100Of1000Ms: await timed(() => {
          const jobId = benchJob();
          const offset = Math.floor(random() * 9) * 100;
          const cursor = imagesCursor.encode({ jobId: Number(jobId), offset });
          return jobsQuery.images(jobId, offset === 0 ? { limit: '100' } : { limit: '100', cursor });
        }),
      };
      console.log(JSON.stringify(row));
      curve.push(row);
    }
    // The targets (p99, ms) beside the figures of the largest history.
    const targets = {
      statusMs: 10,
      storeVisits30dMs: 25,
      areaVisits30dMs: 100,
      jobDetail1000ImagesMs: 25,
      imagesPage100Of1000Ms: 25,
    };
    const largest = curve[curve.length - 1];
    if (largest) {
      const rows = Object.entries(targets).map(([name, target]) => {
        const p99 = (largest[name as keyof typeof largest] as { p99: number }).p99;
        return { read: name, p99, target: `< ${target}`, met: p99 < target };
      });
      console.log(`targets at ${largest.images} images:`);
      console.table(rows);
    }
    if (curve.length > 1) {
      const first = curve[0]!;
      const last = curve[curve.length - 1]!;
      const growth = (name: string) =>
        Number(((last[name] as { p99: number }).p99 / (first[name] as { p99: number }).p99).toFixed(2));
      console.log(
        JSON.stringify({
          curve: `${first.images} → ${last.images} images`,
          // Flat means within 2× from the first size to the last.
          p99Growth: Object.fromEntries(Object.keys(targets).map((name) => [name, growth(name)])),
        }),
      );
    }
  } finally {
    if (values.keep) console.log(`kept the database ${dbName}`);
    else await db.dropDatabase();
    await client.close();
    ferretDb?.kill('SIGTERM');
  }
}

const urls = (count: number) => Array.from({ length: count }, (_, index) => `https://images.example/${index}.jpg`);

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
