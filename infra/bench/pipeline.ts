/**
 * `npm run bench`: the whole pipeline under load, on this machine, with real services.
 *
 *   npm run bench                                   first the history phase (historyReads.ts): histories
 *                                                   of 100,000 and 1,000,000 events written, replayed
 *                                                   (timed) and served, the API's reads timed over HTTP
 *                                                   at each size (the curve); then, on the largest
 *                                                   history, 20,000 images at the spec's GPU delay with
 *                                                   one image-processor, the submit, status and replay
 *                                                   phases; then the throughput phase again with 2 and
 *                                                   4 processors on fresh databases (the scale-out
 *                                                   curve); last, every target beside its figure
 *   npm run bench -- --history 100000 --samples 100 other history sizes, samples per read
 *   npm run bench -- --skip-history                 no history phase (throughput on a fresh database)
 *   npm run bench -- --history-only                 the history phase alone (`npm run bench:reads`)
 *   npm run bench -- --delay zero                   no GPU delay
 *   npm run bench -- --processors 1                 one processor only (no curve)
 *   npm run bench -- --images 5000 --images-per-job 50 --concurrency 800 --submit-jobs 2000
 *   npm run bench -- --poll-ms 1000                 clients poll each open job once a second (default 250)
 *   npm run bench -- --import-master [file.csv]     halfway through the throughput phase, `npm run
 *                                                   stores:import` a ~5,000-store master (the file, by
 *                                                   default ../shared/data/StoreMasterAssignment.csv or a
 *                                                   generated one, plus the sample stores the jobs use)
 *                                                   and print the images/s just before and after it
 *
 * Each run uses its own databases and queue prefixes, on the local RabbitMQ and FerretDB (started
 * if missing, as `npm start` does) or on AMQP_URL/MONGO_URL. Every service is its own process;
 * images come from a local HTTP server (a 1280×960 JPEG of about 180 KB). The last line is one
 * JSON object.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@retail-pulse/shared/config';
import { buildTopology, connectToAnyNode } from '@retail-pulse/shared/messaging';
import { connectMongo, IdLookups } from '@retail-pulse/shared/mongo';
import { parseStoreMaster } from '@retail-pulse/shared/storeMaster';
import { rebuild } from '../../services/projection/src/replay/rebuild';
import { PHOTO, startImageServer, type ImageServer } from '../../test/support/imageServer';
import { ensureFerretDb, ensureRabbitMq, LOCAL_AMQP_URL, projectRoot } from '../local/services';
import { historyStores } from './history';
import { historyMasterFile, historyPhase } from './historyReads';
import { printTargets } from './targets';
import { peakRssMb } from './procStats';
import {
  cpuAccounts,
  cpuBetween,
  cpuPercent,
  startBenchStack,
  dropDatabase,
  type ApiClient,
  type BenchStack,
  type Service,
} from './stack';

const { values, positionals } = parseArgs({
  options: {
    images: { type: 'string', default: '20000' },
    'images-per-job': { type: 'string', default: '100' },
    delay: { type: 'string', default: 'spec' },
    processors: { type: 'string', default: '1,2,4' },
    concurrency: { type: 'string' },
    'submit-jobs': { type: 'string', default: '2000' },
    'status-rps': { type: 'string', default: '1000' },
    'poll-ms': { type: 'string', default: '250' },
    'skip-load': { type: 'boolean', default: false },
    'skip-replay': { type: 'boolean', default: false },
    'import-master': { type: 'boolean', default: false },
    history: { type: 'string', default: '100000,1000000' },
    'skip-history': { type: 'boolean', default: false },
    'history-only': { type: 'boolean', default: false },
    // A p99 of 200 samples is their third worst: one pause of the machine's made it 12.8 ms where
    // 1,000 samples of the same reads gave 4.3 (docs/BENCHMARKS.md).
    samples: { type: 'string', default: '1000' },
  },
  allowPositionals: true,
});
/** The master `--import-master` imports: the file given, else the real one beside the checkout if there, else generated. */
const masterToImport = values['import-master']
  ? (positionals[0] ?? resolve(projectRoot, '../shared/data/StoreMasterAssignment.csv'))
  : undefined;
const imageCount = Number(values.images);
const imagesPerJob = Number(values['images-per-job']);
const delayMode = values.delay === 'zero' ? 'zero' : 'spec';
const processorCounts = values.processors.split(',').map(Number);
/** IMAGE_CONCURRENCY of each processor: the image-processor's own default unless given. */
const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
const submitJobs = Number(values['submit-jobs']);
const statusRps = Number(values['status-rps']);
/** How often the throughput phase's clients ask for the status of each of their open jobs. */
const pollMs = Number(values['poll-ms']);
/** The history sizes (events) the reads are timed at, smallest first; the throughput phase runs on the largest. */
const historySizes = values['skip-history'] ? [] : values.history.split(',').map(Number);
const amqpUrl = process.env.AMQP_URL ?? LOCAL_AMQP_URL;
const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const say = (message: string) => console.log(`${new Date().toISOString().slice(11, 19)} [bench] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;

function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
}

async function submit(api: ApiClient, body: unknown): Promise<{ jobId: number; ms: number }> {
  for (;;) {
    const started = performance.now();
    const response = await api.post('/api/submit', body);
    const ms = performance.now() - started;
    if (response.status === 201) return { jobId: (JSON.parse(response.body) as { job_id: number }).job_id, ms };
    await sleep(200);
  }
}

function job(images: ImageServer, size: number, tag: string) {
  const visits = Math.max(1, Math.min(size, Math.ceil(size / 10)));
  const stores = ['S00339218', 'S01408764', 'S00000201', 'S00000202'];
  return {
    count: visits,
    visits: Array.from({ length: visits }, (_, visit) => ({
      store_id: stores[visit % stores.length],
      visit_time: new Date(Date.UTC(2024, 0, 1 + (visit % 28), 9)).toISOString(),
      image_url: Array.from(
        { length: Math.floor(size / visits) + (visit < size % visits ? 1 : 0) },
        (_, image) => `${images.url(PHOTO.path)}?${tag}-${visit}-${image}`,
      ),
    })),
  };
}

/** Phase 1: jobs of many images, first submit to last terminal status. */
async function throughput(stack: BenchStack, images: ImageServer) {
  const jobs = Math.ceil(imageCount / imagesPerJob);
  const submittedAt = new Map<number, number>();
  const settledAt = new Map<number, number>();
  const started = Date.now();
  const cpuBefore = cpuAccounts(stack);
  const processors = stack.services.filter((service) => service.name.startsWith('image-processor'));
  const projection = stack.services.find((service) => service.name === 'projection')!;
  const queue = buildTopology(stack.prefix).names.imageRequestsQueue;
  const { connection } = await connectToAnyNode(amqpUrl);
  const channel = await connection.createChannel();
  let maxQueued = 0;
  let sampling = true;
  const sampler = (async () => {
    let last = { at: Date.now(), processed: 0, folded: 0 };
    while (sampling) {
      await sleep(2_000);
      const processed = (
        await Promise.all(
          processors.map(async (service) => {
            const health = (await (await fetch(`http://127.0.0.1:${service.port}/health`)).json()) as {
              processed: number;
            };
            return health.processed;
          }),
        )
      ).reduce((sum, value) => sum + value, 0);
      const folded = (
        (await (await fetch(`http://127.0.0.1:${projection.port}/health`)).json()) as { eventsFolded: number }
      ).eventsFolded;
      const queued = (await channel.checkQueue(queue)).messageCount;
      maxQueued = Math.max(maxQueued, queued);
      const seconds = (Date.now() - last.at) / 1000;
      say(
        `processed ${Math.round((processed - last.processed) / seconds)} images/s, projection folded ` +
          `${Math.round((folded - last.folded) / seconds)} events/s, ${queued} messages of image requests queued, ` +
          `${submittedAt.size}/${jobs} jobs submitted, ${settledAt.size} settled`,
      );
      last = { at: Date.now(), processed, folded };
    }
  })();
  const poll = (async () => {
    while (settledAt.size < jobs) {
      await sleep(pollMs);
      const open = [...submittedAt.keys()].filter((jobId) => !settledAt.has(jobId));
      await Promise.all(
        open.map(async (jobId) => {
          const status = await stack.api.statusOf(jobId);
          if (status && status !== 'ongoing') settledAt.set(jobId, Date.now());
        }),
      );
    }
  })();
  const importing = masterToImport ? importMasterMidway(stack, processors) : undefined;
  const pending = Array.from({ length: jobs }, (_, index) => index);
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let index = pending.shift(); index !== undefined; index = pending.shift()) {
        const size = Math.min(imagesPerJob, imageCount - index * imagesPerJob);
        const { jobId } = await submit(stack.api, job(images, size, `j${index}`));
        submittedAt.set(jobId, Date.now());
      }
    }),
  );
  await poll;
  const storeMasterImport = await importing;
  const cpuAfter = cpuAccounts(stack);
  sampling = false;
  await sampler;
  await connection.close();
  const finished = Math.max(...settledAt.values());
  // Where the two cores went: CPU milliseconds per image, by process, over the whole phase.
  const cpuMsPerImage = cpuBetween(cpuBefore, cpuAfter, (used) => round1((used * 1000) / imageCount));
  // The total from the unrounded figures: eight processes rounded to 0.1 ms each could be 0.4 ms off.
  const cpuMsPerImageTotal = round2(
    Object.values(cpuBetween(cpuBefore, cpuAfter, (used) => (used * 1000) / imageCount)).reduce<number>(
      (sum, value) => sum + (value ?? 0),
      0,
    ),
  );
  const latencies = [...settledAt].map(([jobId, at]) => at - submittedAt.get(jobId)!);
  return {
    jobs,
    images: imageCount,
    seconds: (finished - started) / 1000,
    imagesPerSecond: Math.round(imageCount / ((finished - started) / 1000)),
    jobLatencyP50Ms: percentile(latencies, 50),
    jobLatencyP99Ms: percentile(latencies, 99),
    maxImageRequestMessagesQueued: maxQueued,
    cpuMsPerImage,
    cpuMsPerImageTotal,
    ...(storeMasterImport ? { storeMasterImport } : {}),
  };
}

/** Images the processors have settled so far, from their /health details. */
async function processedNow(processors: Service[]): Promise<number> {
  const counts = await Promise.all(
    processors.map(async (service) => {
      const health = (await (await fetch(`http://127.0.0.1:${service.port}/health`)).json()) as { processed: number };
      return health.processed;
    }),
  );
  return counts.reduce((sum, value) => sum + value, 0);
}

/**
 * The `--import-master` phase: the throughput from 15 % to 30 % of the images, then `npm run
 * stores:import` of a ~5,000-store master (one that keeps the stores the bench's jobs use, so the
 * images still succeed), then the throughput over the next 15 % of the images. Early, while the
 * work queue is deep, so both windows measure the processor and not the submitting clients.
 */
async function importMasterMidway(stack: BenchStack, processors: Service[]) {
  const at = async (share: number) => {
    for (;;) {
      const processed = await processedNow(processors);
      if (processed >= imageCount * share) return { at: Date.now(), processed, cpu: cpuAccounts(stack) };
      await sleep(100);
    }
  };
  type Reading = Awaited<ReturnType<typeof at>>;
  const rate = (from: Reading, to: Reading) => Math.round((to.processed - from.processed) / ((to.at - from.at) / 1000));
  // CPU per image of the processor and the database: the figures a per-image database read would move.
  const cpuMsPerImage = (from: Reading, to: Reading) => {
    const used = cpuBetween(from.cpu, to.cpu, (seconds) => round1((seconds * 1000) / (to.processed - from.processed)));
    return { 'image-processor': used['image-processor-1'] ?? null, mongodb: used.mongodb ?? null };
  };
  const file = masterFile();
  const a = await at(0.15);
  const b = await at(0.3);
  const output = execFileSync(process.execPath, ['--import', 'tsx', 'shared/src/storeMaster/importCli.ts', file], {
    cwd: projectRoot,
    env: { ...process.env, ...stack.env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c = { at: Date.now(), processed: await processedNow(processors), cpu: cpuAccounts(stack) };
  const d = await at(c.processed / imageCount + 0.15);
  const result = {
    file,
    output: output.trim().split('\n'),
    importMs: c.at - b.at,
    imagesPerSecondBefore: rate(a, b),
    imagesPerSecondAfter: rate(c, d),
    cpuMsPerImageBefore: cpuMsPerImage(a, b),
    cpuMsPerImageAfter: cpuMsPerImage(c, d),
  };
  say(`store master import: ${JSON.stringify(result)}`);
  return result;
}

/** The master to import with the bench's sample stores added, written to a scratch file. */
function masterFile(): string {
  return historyMasterFile(
    masterToImport && existsSync(masterToImport) ? parseStoreMaster(readFileSync(masterToImport)) : historyStores(),
  );
}

/** Phase 2: many small jobs (one visit, 5 images), as fast as 64 concurrent clients can send them. */
async function submitLoad(stack: BenchStack, images: ImageServer, tag: string) {
  const samples: number[] = [];
  const ids: number[] = [];
  const pending = Array.from({ length: submitJobs }, (_, index) => index);
  const cpuBefore = cpuAccounts(stack);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let index = pending.shift(); index !== undefined; index = pending.shift()) {
        const { jobId, ms } = await submit(stack.api, job(images, 5, `${tag}${index}`));
        samples.push(ms);
        ids.push(jobId);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  say(`submit load: CPU, % of one core: ${JSON.stringify(cpuPercent(cpuBefore, cpuAccounts(stack), seconds))}`);
  return {
    ids,
    submitRps: Math.round(submitJobs / seconds),
    p50SubmitMs: percentile(samples, 50),
    p99SubmitMs: percentile(samples, 99),
  };
}

async function settle(stack: BenchStack, jobIds: number[]): Promise<void> {
  const open = new Set(jobIds);
  while (open.size > 0) {
    for (const jobId of [...open].slice(0, 200)) {
      const status = await stack.api.statusOf(jobId);
      if (status && status !== 'ongoing') open.delete(jobId);
    }
    await sleep(200);
  }
}

/** Phase 3: status requests at a fixed rate (open loop), for 5 seconds. */
async function statusLoad(stack: BenchStack, jobIds: number[]) {
  const samples: number[] = [];
  const total = statusRps * 5;
  const cpuBefore = cpuAccounts(stack);
  const started = performance.now();
  const requests: Promise<void>[] = [];
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / statusRps;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const jobId = jobIds[index % jobIds.length]!;
    requests.push(
      (async () => {
        const sent = performance.now();
        await stack.api.get(`/api/status?jobid=${jobId}`);
        samples.push(performance.now() - sent);
      })(),
    );
  }
  await Promise.all(requests);
  const seconds = (performance.now() - started) / 1000;
  say(`status load: CPU, % of one core: ${JSON.stringify(cpuPercent(cpuBefore, cpuAccounts(stack), seconds))}`);
  return {
    statusRps: Math.round(total / seconds),
    statusP50Ms: percentile(samples, 50),
    statusP99Ms: percentile(samples, 99),
  };
}

async function main(): Promise<void> {
  await ensureRabbitMq(say);
  const ferretDb = process.env.MONGO_URL ? undefined : await ensureFerretDb(say);
  const settings = { amqpUrl, mongoUrl, concurrency, delayMode } as const;
  const history =
    historySizes.length > 0
      ? await historyPhase(historySizes, { samples: Number(values.samples), settings, say })
      : undefined;
  if (values['history-only']) {
    if (history) await dropDatabase(mongoUrl, history.kept.dbName);
    ferretDb?.kill('SIGTERM');
    printTargets({}, history?.rows ?? [], delayMode);
    console.log(JSON.stringify({ history: history?.rows }));
    return;
  }
  const images = await startImageServer();
  const scaling: Array<{ processors: number; imagesPerSecond: number }> = [];
  let summary: Record<string, unknown> = {};
  for (const [round, processors] of processorCounts.entries()) {
    // The first round runs on the largest history: the figures a user with that history sees.
    const onHistory = round === 0 ? history?.kept : undefined;
    say(
      `throughput: ${imageCount} images in jobs of ${imagesPerJob}, ${processors} image-processor(s), ${delayMode} delay` +
        (onHistory ? `, on the history of ${historySizes[historySizes.length - 1]} events` : ''),
    );
    const stack = await startBenchStack(processors, settings, onHistory ?? {});
    try {
      const result = await throughput(stack, images);
      say(`throughput: ${JSON.stringify(result)}`);
      scaling.push({ processors, imagesPerSecond: result.imagesPerSecond });
      if (round === 0) {
        summary = { ...result, delayMode, processors };
        if (!values['skip-load']) {
          // Twice: the first load is the ingest's first few thousand submits (its code not yet
          // optimised by V8: ~2× the CPU per submit, measured), the second its steady state.
          say(`submit load: ${submitJobs} single-visit jobs of 5 images, 64 concurrent clients, on a fresh ingest`);
          const cold = await submitLoad(stack, images, 'c');
          say(`submit load (fresh ingest): ${JSON.stringify({ ...cold, ids: undefined })}`);
          say(`submit load: ${submitJobs} more, the same way`);
          const submitted = await submitLoad(stack, images, 's');
          say(`submit load (steady): ${JSON.stringify({ ...submitted, ids: undefined })}`);
          say('waiting for the submit-phase jobs to settle');
          const settleStarted = performance.now();
          await settle(stack, [...cold.ids, ...submitted.ids]);
          const submitSettleSeconds = round1((performance.now() - settleStarted) / 1000);
          say(`submit-phase jobs settled ${submitSettleSeconds} s after the last submit`);
          say(`status load: ${statusRps} requests/s for 5 s`);
          const status = await statusLoad(stack, submitted.ids);
          say(`status load: ${JSON.stringify(status)}`);
          summary = {
            ...summary,
            coldSubmitRps: cold.submitRps,
            coldP99SubmitMs: cold.p99SubmitMs,
            ...submitted,
            ids: undefined,
            submitSettleSeconds,
            ...status,
          };
        }
        summary.peakRssMb = Object.fromEntries(
          stack.services.map((service) => [service.name, peakRssMb(service.child.pid)]),
        );
      }
    } finally {
      await stack.stop();
    }
    if (round === 0 && !values['skip-replay']) {
      const { client, db } = await connectMongo(mongoUrl, stack.dbName);
      const logger = createLogger('bench', 'warn');
      // As `npm run replay` does: the rebuilt generation's reads by _id indexed on the embedded database.
      const idLookups = new IdLookups(db, logger, process.env.FERRETDB_SQLITE_DIR);
      const rebuilt = await rebuild(db, logger, { idLookups });
      summary.replayEventsPerSecond = Math.round(rebuilt.events / (rebuilt.durationMs / 1000));
      summary.replayEvents = rebuilt.events;
      say(`replay: ${rebuilt.events} events in ${(rebuilt.durationMs / 1000).toFixed(1)} s`);
      await client.close();
    }
    await dropDatabase(mongoUrl, stack.dbName);
  }
  await images.close();
  ferretDb?.kill('SIGTERM');
  if (scaling.length > 1) summary.scaling = scaling;
  if (history) summary.history = history.rows;
  printTargets(summary, history?.rows ?? [], delayMode);
  console.log(JSON.stringify(summary));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
