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
 * JSON object. The phases: historyReads.ts, throughput.ts, loads.ts; the targets: targets.ts.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@retail-pulse/shared/config';
import { connectMongo, IdLookups } from '@retail-pulse/shared/mongo';
import { rebuild } from '../../services/projection/src/replay/rebuild';
import { startImageServer } from '../../test/support/imageServer';
import { ensureFerretDb, ensureRabbitMq, LOCAL_AMQP_URL, projectRoot } from '../local/services';
import { say } from './clients';
import { historyPhase } from './historyReads';
import { loadPhases } from './loads';
import { peakRssMb } from './procStats';
import { startBenchStack, dropDatabase } from './stack';
import { printTargets } from './targets';
import { throughput } from './throughput';

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
      const result = await throughput(stack, images, { imageCount, imagesPerJob, pollMs, amqpUrl, masterToImport });
      say(`throughput: ${JSON.stringify(result)}`);
      scaling.push({ processors, imagesPerSecond: result.imagesPerSecond });
      if (round === 0) {
        summary = { ...result, delayMode, processors };
        if (!values['skip-load'])
          summary = { ...summary, ...(await loadPhases(stack, images, { submitJobs, statusRps })) };
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
