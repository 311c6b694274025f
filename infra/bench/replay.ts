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
import { connectMongo, IdLookups } from '@retail-pulse/shared/mongo';
import { EventLog } from '../../services/projection/src/eventLog';
import { hashReadModels } from '../../services/projection/src/replay/contentHash';
import { progressReporter } from '../../services/projection/src/replay/progress';
import { rebuild } from '../../services/projection/src/replay/rebuild';
import { ensureFerretDb } from '../local/services';
import { writeHistory } from './history';

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

async function main(): Promise<void> {
  const logger = createLogger('bench', 'warn');
  // Like `npm start`: a MongoDB-protocol server from MONGO_URL, else FerretDB installed and started here.
  const ferretDb = process.env.MONGO_URL ? undefined : await ensureFerretDb((line) => console.log(line));
  const { client, db } = await connectMongo(mongoUrl, dbName);
  const log = new EventLog(db);
  const existing = await log.lastPosition();
  const idLookups = new IdLookups(db, logger, process.env.FERRETDB_SQLITE_DIR);
  if (!(values.reuse && existing >= targetEvents)) {
    await writeHistory(db, targetEvents, idLookups);
  } else console.log(`reusing the log of ${existing} events in ${dbName}`);

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const progress = progressReporter('replay', 'events');
  const result = await rebuild(db, logger, {
    pageSize,
    idLookups,
    onProgress: ({ position, total }) => progress.update(position, total),
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
    const hashed = await hashReadModels(db, {
      jobStatus: result.generation,
      visits: result.generation,
      jobs: result.generation,
    });
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
