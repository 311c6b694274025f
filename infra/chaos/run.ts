/**
 * `npm run chaos`: runs at least 2,000 images through the whole stack while it kill -9s the
 * image-processor and the projection, restarts RabbitMQ and the MongoDB-protocol server, and
 * serves hostile images; then checks that every accepted job reached the right terminal state,
 * every image is recorded exactly once, and the read models equal a fresh replay.
 *
 *   npm run chaos -- [--jobs 100] [--images-per-job 20]
 *
 * It starts its own FerretDB on 127.0.0.1:27018 (data in .data/ferretdb-chaos) so it can kill and
 * restart it; RabbitMQ is the local one, restarted with `rabbitmqctl stop_app` / `start_app`.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import amqp from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import { ProjectionState, readModelCollections, type ImageRecordDocument } from '@retail-pulse/shared/readModels';
import { hashReadModels } from '../../services/projection/src/replay/contentHash';
import { rebuild } from '../../services/projection/src/replay/rebuild';
import { SERVED_IMAGES, startImageServer } from '../../test/support/imageServer';
import { startStack, type ServiceName } from '../../test/support/stack';
import { createTestEnvironment } from '../../test/support/testEnvironment';
import { ensureFerretDb, ensureRabbitMq, projectRoot, waitForPort } from '../local/services';
import { prng } from '../../test/support/prng';

const run = promisify(execFile);
const { values } = parseArgs({
  options: { jobs: { type: 'string', default: '100' }, 'images-per-job': { type: 'string', default: '20' } },
});
const jobCount = Number(values.jobs);
const imagesPerJob = Number(values['images-per-job']);
const CHAOS_PORT = 27018;
const dataDir = join(projectRoot, '.data', 'ferretdb-chaos');
const say = (message: string) => console.log(`${new Date().toISOString().slice(11, 23)} [chaos] ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const HOSTILE = [
  '/img/never-answers.jpg',
  '/img/endless.jpg',
  '/img/loop.jpg',
  '/img/page.html',
  '/img/truncated.jpg',
  '/img/gone.jpg',
];
const KNOWN_STORES = ['S00339218', 'S01408764', 'S00000101', 'S00000201', 'S00000202', 'S00000203'];

interface PlannedJob {
  body: { count: number; visits: Array<{ store_id: string; image_url: string[]; visit_time: string }> };
  images: number;
  expected: 'completed' | 'failed';
}

function plan(baseUrl: string): PlannedJob[] {
  const random = prng(7);
  return Array.from({ length: jobCount }, (_, job) => {
    const visitCount = 1 + Math.floor(random() * 3);
    let failing = false;
    const visits = Array.from({ length: visitCount }, (_, visit) => {
      const unknownStore = random() < 0.04;
      failing ||= unknownStore;
      return {
        store_id: unknownStore
          ? `S9${String(job).padStart(7, '0')}`
          : KNOWN_STORES[Math.floor(random() * KNOWN_STORES.length)]!,
        visit_time: new Date(Date.UTC(2024, 0, 1 + Math.floor(random() * 60), 8, visit)).toISOString(),
        image_url: [] as string[],
      };
    });
    for (let image = 0; image < imagesPerJob; image++) {
      const roll = random();
      let path: string;
      if (roll < 0.03) {
        path = HOSTILE[Math.floor(random() * HOSTILE.length)]!;
        failing = true;
      } else if (roll < 0.08)
        path = `/img/flaky-1-${job}-${image}.jpg`; // one 503, then the image
      else path = SERVED_IMAGES[Math.floor(random() * SERVED_IMAGES.length)]!.path;
      visits[image % visitCount]!.image_url.push(`${baseUrl}${path}?job=${job}&image=${image}`);
    }
    return { body: { count: visitCount, visits }, images: imagesPerJob, expected: failing ? 'failed' : 'completed' };
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  await ensureRabbitMq(say);
  rmSync(dataDir, { recursive: true, force: true });
  let ferretDb: ChildProcess | undefined = await ensureFerretDb(say, dataDir, CHAOS_PORT);
  if (!ferretDb) throw new Error(`port ${CHAOS_PORT} is taken; the chaos run needs its own FerretDB there`);
  process.env.AMQP_URL ??= 'amqp://guest:guest@127.0.0.1:5672';
  process.env.MONGO_URL = `mongodb://127.0.0.1:${CHAOS_PORT}`;
  const environment = await createTestEnvironment('chaos');
  const images = await startImageServer();
  const stack = await startStack(environment, {
    LOG_LEVEL: 'error',
    GPU_DELAY_MIN_MS: '100',
    GPU_DELAY_MAX_MS: '400',
    IMAGE_MAX_ATTEMPTS: '3',
    IMAGE_TIMEOUT_MS: '2000',
    IMAGE_CONNECT_TIMEOUT_MS: '1000',
    IMAGE_MAX_BYTES: String(4 * 1024 * 1024),
    RATE_LIMIT_PER_SECOND: '0',
  });

  // Like `npm start`'s supervisor: a service that dies is started again; deaths we did not cause are counted.
  const expectedDeaths = new Set<string>();
  const unexpectedDeaths: string[] = [];
  let stopping = false;
  const watch = (name: ServiceName) => {
    stack.services.get(name)!.child.once('exit', (code, signal) => {
      if (stopping) return;
      if (!expectedDeaths.delete(name)) unexpectedDeaths.push(`${name} (${signal ?? `code ${code}`})`);
      void (async () => {
        for (;;) {
          try {
            await stack.start(name);
            watch(name);
            return;
          } catch {
            await sleep(1_000);
          }
        }
      })();
    });
  };
  (['gateway', 'ingest', 'status-api', 'projection', 'image-processor'] as const).forEach(watch);
  const kill9 = (name: ServiceName) => {
    expectedDeaths.add(name);
    stack.services.get(name)!.child.kill('SIGKILL');
    say(`kill -9 ${name}`);
  };

  const jobs = plan(images.baseUrl);
  const accepted = new Map<number, PlannedJob>();
  let refusedAttempts = 0;
  const submitAll = async () => {
    for (const job of jobs) {
      for (;;) {
        const answer = await fetch(`${stack.baseUrl}/api/submit`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(job.body),
        }).catch(() => undefined);
        if (answer?.status === 201) {
          accepted.set(((await answer.json()) as { job_id: number }).job_id, job);
          break;
        }
        refusedAttempts++; // 503 while a backing service restarts, or the gateway itself restarting
        await sleep(500);
      }
      await sleep(150);
    }
  };
  const chaos = async () => {
    await sleep(2_000);
    kill9('image-processor');
    await sleep(3_000);
    kill9('projection');
    await sleep(3_000);
    say('restarting RabbitMQ (stop_app, start_app)');
    await run('rabbitmqctl', ['stop_app']);
    await sleep(2_000);
    await run('rabbitmqctl', ['start_app']);
    await sleep(4_000);
    say('kill -9 the MongoDB-protocol server (FerretDB), restart it 3 s later');
    ferretDb!.kill('SIGKILL');
    await sleep(3_000);
    ferretDb = await ensureFerretDb(say, dataDir, CHAOS_PORT);
    await waitForPort(CHAOS_PORT, 30_000);
    await sleep(3_000);
    kill9('image-processor');
  };
  say(`submitting ${jobs.length} jobs of ${imagesPerJob} images while the chaos runs`);
  await Promise.all([submitAll(), chaos()]);

  say(`${accepted.size} jobs accepted; waiting for every one to settle`);
  const outcomes = new Map<number, { status: string; error?: unknown[] }>();
  const deadline = Date.now() + 10 * 60_000;
  while (outcomes.size < accepted.size && Date.now() < deadline) {
    for (const jobId of accepted.keys()) {
      if (outcomes.has(jobId)) continue;
      const answer = await fetch(`${stack.baseUrl}/api/status?jobid=${jobId}`).catch(() => undefined);
      if (answer?.status !== 200) continue;
      const body = (await answer.json()) as { status: string; error?: unknown[] };
      if (body.status !== 'ongoing') outcomes.set(jobId, body);
    }
    await sleep(500);
  }
  const settledAt = Date.now();

  const wrong = [...accepted].filter(([jobId, job]) => outcomes.get(jobId)?.status !== job.expected);
  const state = new ProjectionState(environment.db);
  const active = await state.active();
  const records = await environment.db
    .collection<ImageRecordDocument>(readModelCollections(active.visits).images)
    .find({}, { projection: { jobId: 1 } })
    .toArray();
  const perJob = new Map<number, number>();
  for (const record of records) perJob.set(record.jobId, (perJob.get(record.jobId) ?? 0) + 1);
  const miscounted = [...accepted].filter(([jobId, job]) => perJob.get(jobId) !== job.images);
  const events = environment.db.collection('events');
  const settlementEvents = await events.countDocuments({ type: { $in: ['ImageProcessed', 'ImageFailed'] } });
  const submittedEvents = await events.countDocuments({ type: 'JobSubmitted' });
  const totalImages = [...accepted.values()].reduce((sum, job) => sum + job.images, 0);
  const served = await hashReadModels(environment.db, active);
  const replayed = await rebuild(environment.db, createLogger('chaos', 'error'));
  const fresh = await hashReadModels(environment.db, { jobStatus: replayed.generation, visits: replayed.generation });
  const connection = await amqp.connect(process.env.AMQP_URL);
  const channel = await connection.createChannel();
  const deadLetters = (await channel.checkQueue(environment.topology.names.deadLetterQueue)).messageCount;
  await connection.close();

  const figures = {
    jobsAccepted: accepted.size,
    images: totalImages,
    completed: [...outcomes.values()].filter((outcome) => outcome.status === 'completed').length,
    failed: [...outcomes.values()].filter((outcome) => outcome.status === 'failed').length,
    unsettled: accepted.size - outcomes.size,
    wrongTerminalState: wrong.length,
    imagesNotRecordedExactlyOnce: miscounted.length,
    settlementEvents,
    jobSubmittedEvents: submittedEvents,
    readModelsEqualFreshReplay: served.hash === fresh.hash,
    deadLetters,
    submitRetries: refusedAttempts,
    unexpectedServiceDeaths: unexpectedDeaths,
    secondsToSettle: Math.round((settledAt - started) / 1000),
  };
  const ok =
    figures.unsettled === 0 &&
    figures.wrongTerminalState === 0 &&
    figures.imagesNotRecordedExactlyOnce === 0 &&
    settlementEvents === totalImages &&
    submittedEvents === accepted.size &&
    figures.readModelsEqualFreshReplay &&
    deadLetters === 0;
  if (wrong.length > 0)
    say(
      `wrong states, e.g. ${JSON.stringify(wrong.slice(0, 3).map(([id, job]) => ({ id, expected: job.expected, got: outcomes.get(id) })))}`,
    );
  if (unexpectedDeaths.length > 0) say(`services that died on their own: ${unexpectedDeaths.join(', ')}`);

  stopping = true;
  await stack.stopAll();
  await images.close();
  await environment.cleanup();
  ferretDb?.kill('SIGTERM');
  say(ok ? 'every check passed' : 'CHECKS FAILED');
  console.log(JSON.stringify(figures));
  process.exit(ok ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
