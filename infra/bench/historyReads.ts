/**
 * The bench's history phase: what the API's reads cost over HTTP as the history grows. For each
 * size it writes a history of that many events into a database of its own (history.ts: 4,944
 * stores in two areas over a year), rebuilds the read models from it with `npm run replay`'s code
 * (timed: the replay at scale), serves the rebuilt generation, starts the whole stack on that
 * database and times, one request at a time through the gateway, a job's status, one store's
 * visits over 30 days, one area's visits over 30 days, a large job's detail and a page of 100 of
 * its images, after as many untimed requests of every kind. An area's 30-day answer holds ten
 * times the images in a history ten times larger, so the area is also timed over a window that
 * holds about as many images at every size (for the record, beside the targets).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '@retail-pulse/shared/config';
import { connectMongo, IdLookups } from '@retail-pulse/shared/mongo';
import { imagesCursor, ProjectionState } from '@retail-pulse/shared/readModels';
import { parseStoreMaster, type Store } from '@retail-pulse/shared/storeMaster';
import { rebuild } from '../../services/projection/src/replay/rebuild';
import { prng } from '../../test/support/prng';
import { projectRoot } from '../local/services';
import { historyStores, writeHistory } from './history';
import { dropDatabase, startBenchStack, type ApiClient, type BenchStack, type StackSettings } from './stack';

const DAY_MS = 86_400_000;
/** Untimed requests of each kind before the timed ones. */
const WARM_UP_SAMPLES = 200;
/** Jobs at least this large are the ones whose detail and images pages are timed. */
const LARGE_JOB_IMAGES = 500;

export interface Timing {
  p50: number;
  p99: number;
}

export interface HistoryRow {
  events: number;
  images: number;
  replayEventsPerSecond: number;
  replayPeakRssMb: number;
  statusMs: Timing;
  storeVisits30dMs: Timing;
  areaVisits30dMs: Timing;
  jobDetailMs: Timing;
  imagesPageMs: Timing;
  /** The mean size of the jobs whose detail and pages were timed. */
  largeJobImages: number;
  /** The mean number of images (perimeters) in an area's 30-day answer: it grows with the history. */
  areaImages30d: number;
  /**
   * An area's visits over a window holding about as many images at every size (30 days on the
   * run's smallest history, 3 on one ten times larger): what the history's size alone does to the read.
   */
  areaVisitsSameAnswerMs: Timing;
  areaSameAnswerDays: number;
  areaImagesSameAnswer: number;
}

/** The p99 targets of the reads (ms), by the row's names. */
export const readTargets = {
  statusMs: 10,
  storeVisits30dMs: 25,
  areaVisits30dMs: 100,
  jobDetailMs: 25,
  imagesPageMs: 25,
} as const;

export interface HistoryPhase {
  rows: HistoryRow[];
  /** The largest history's database and master, left for the throughput phase to run on. */
  kept: { dbName: string; masterFile: string };
}

/** The store master a history's stack imports: the history's stores and the sample stores the bench's jobs use. */
export function historyMasterFile(stores: Store[] = historyStores()): string {
  const all = [...stores, ...parseStoreMaster(readFileSync(resolve(projectRoot, 'infra/data/sample-stores.csv')))];
  const quoted = (field: string) => `"${field.replaceAll('"', '""')}"`;
  const file = join(mkdtempSync(join(tmpdir(), 'rp-bench-master-')), 'master.csv');
  const rows = all.map((store) => [store.areaCode, store.storeName, store.storeId].map(quoted).join(','));
  writeFileSync(file, ['AreaCode,StoreName,StoreID', ...rows].join('\n') + '\n');
  return file;
}

export async function historyPhase(
  sizes: number[],
  options: { samples: number; settings: StackSettings; say: (message: string) => void },
): Promise<HistoryPhase> {
  const { samples, settings, say } = options;
  const logger = createLogger('bench', 'warn');
  const masterFile = historyMasterFile();
  const rows: HistoryRow[] = [];
  let kept: HistoryPhase['kept'] | undefined;
  for (const [index, size] of sizes.entries()) {
    const dbName = `rp_bench_history_${size}`;
    const { client, db } = await connectMongo(settings.mongoUrl, dbName);
    const idLookups = new IdLookups(db, logger, process.env.FERRETDB_SQLITE_DIR);
    say(`history: writing ${size} events into ${dbName}`);
    const history = await writeHistory(db, size, idLookups);
    let peakRss = process.memoryUsage().rss;
    const started = Date.now();
    const rebuilt = await rebuild(db, logger, {
      idLookups,
      onProgress: () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)),
    });
    const replayEventsPerSecond = Math.round(rebuilt.events / ((Date.now() - started) / 1000));
    say(`history: replayed ${rebuilt.events} events at ${replayEventsPerSecond} events/s`);
    const generation = rebuilt.generation;
    await new ProjectionState(db).setActive({ jobStatus: generation, visits: generation, jobs: generation });
    await client.close();
    const stack = await startBenchStack(1, settings, { dbName, masterFile });
    try {
      await untilStoresKnown(stack.api);
      const row: HistoryRow = {
        events: history.events,
        images: history.events - history.jobs.length,
        replayEventsPerSecond,
        replayPeakRssMb: Math.round(peakRss / 2 ** 20),
        ...(await timeReads(stack, history.jobs, samples, sameAnswerDays(size, Math.min(...sizes)))),
      };
      say(`history: ${JSON.stringify(row)}`);
      rows.push(row);
    } finally {
      await stack.stop();
    }
    if (index === sizes.length - 1) kept = { dbName, masterFile };
    else await dropDatabase(settings.mongoUrl, dbName);
  }
  return { rows, kept: kept! };
}

/** The services import the master at start, in the background: reads wait until its stores answer. */
async function untilStoresKnown(api: ApiClient): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    if ((await api.get('/api/visits?storeid=RP00001')).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("the history's store master was not imported within 60 s");
}

/** The days of an area's window that hold about as many images in a history of `size` events as 30 days of one of `smallest`. */
const sameAnswerDays = (size: number, smallest: number) =>
  Math.min(30, Math.max(1, Math.round((30 * smallest) / size)));

async function timeReads(
  stack: BenchStack,
  jobs: Array<{ jobId: number; images: number }>,
  samples: number,
  /** The days of the same-answer area window (HistoryRow.areaVisitsSameAnswerMs). */
  days: number,
) {
  const random = prng(7);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
  const large = jobs.filter((job) => job.images >= LARGE_JOB_IMAGES);
  const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const window = (days = 30) => {
    const from = Date.UTC(2024, 0, 1) + Math.floor(random() * (365 - days)) * DAY_MS;
    // Dates are inclusive: 30 days are the first and the 29 after it.
    return `startdate=${date(from)}&enddate=${date(from + (days - 1) * DAY_MS)}`;
  };
  const store = () => `RP${String(1 + Math.floor(random() * 4944)).padStart(5, '0')}`;
  /** Images in the answers of each area read, and how many answers, counted in the untimed pass. */
  const answered = new Map<string, { images: number; answers: number }>();
  const get = async (target: string, count?: string) => {
    const started = performance.now();
    const { status, body } = await stack.api.get(target);
    if (status !== 200) throw new Error(`GET ${target} answered ${status}: ${body.slice(0, 200)}`);
    const ms = performance.now() - started;
    if (count) {
      const sum = answered.get(count) ?? { images: 0, answers: 0 };
      answered.set(count, { images: sum.images + imagesIn(body), answers: sum.answers + 1 });
    }
    return ms;
  };
  const meanImages = (name: string) => {
    const { images, answers } = answered.get(name) ?? { images: 0, answers: 0 };
    return Math.round(images / Math.max(1, answers));
  };
  const timed = async (path: () => string): Promise<Timing> => {
    const times: number[] = [];
    for (let sample = 0; sample < samples; sample++) times.push(await get(path()));
    times.sort((a, b) => a - b);
    const at = (p: number) => Number(times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!.toFixed(2));
    return { p50: at(0.5), p99: at(0.99) };
  };
  const reads = {
    status: () => `/api/status?jobid=${pick(jobs).jobId}`,
    store: () => `/api/visits?storeid=${store()}&${window()}`,
    area: () => `/api/visits?area=${random() < 0.5 ? '7100015' : '7100016'}&${window()}`,
    areaSameAnswer: () => `/api/visits?area=${random() < 0.5 ? '7100015' : '7100016'}&${window(days)}`,
    jobDetail: () => `/api/jobs/${pick(large).jobId}`,
    imagesPage: () => {
      const job = pick(large);
      const offset = Math.floor((random() * job.images) / 100) * 100;
      const cursor = imagesCursor.encode({ jobId: job.jobId, offset });
      return `/api/jobs/${job.jobId}/images?limit=100${offset === 0 ? '' : `&cursor=${cursor}`}`;
    },
  };
  // Requests of every kind first, untimed: the services have just started (their code not yet
  // optimised, their start-up work still running), and the figures are of running ones.
  for (let sample = 0; sample < Math.min(samples, WARM_UP_SAMPLES); sample++) {
    for (const [name, path] of Object.entries(reads)) await get(path(), name.startsWith('area') ? name : undefined);
  }
  return {
    statusMs: await timed(reads.status),
    storeVisits30dMs: await timed(reads.store),
    areaVisits30dMs: await timed(reads.area),
    jobDetailMs: await timed(reads.jobDetail),
    imagesPageMs: await timed(reads.imagesPage),
    largeJobImages: Math.round(large.reduce((sum, job) => sum + job.images, 0) / Math.max(1, large.length)),
    areaImages30d: meanImages('area'),
    areaVisitsSameAnswerMs: await timed(reads.areaSameAnswer),
    areaSameAnswerDays: days,
    areaImagesSameAnswer: meanImages('areaSameAnswer'),
  };
}

/** The perimeters (one per image) in a visits answer. */
function imagesIn(body: string): number {
  const { results } = JSON.parse(body) as { results: Array<{ data: Array<{ perimeter: number[] }> }> };
  return results.reduce((sum, store) => sum + store.data.reduce((days, day) => days + day.perimeter.length, 0), 0);
}
