import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { buildTopology, deleteTopology } from '@retail-pulse/shared/messaging';
import { connectMongo } from '@retail-pulse/shared/mongo';
import { ProjectionState, readModelCollections } from '@retail-pulse/shared/readModels';
import { loggedCount, loggedEvents } from '../support/eventLog';
import { hashReadModels } from '../../services/projection/src/replay/contentHash';
import { startHeldImages, type HeldImages } from '../support/heldImages';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

/**
 * The event log is the system of record: read models deleted and replayed answer byte for byte
 * as before, duplicates change nothing, and an exported log answers the same elsewhere.
 */
const run = promisify(execFile);
const root = join(__dirname, '../..');
let environment: TestEnvironment;
let images: ImageServer;
let held: HeldImages;
let stack: Stack;
const jobIds: number[] = [];

const visitQueries = [
  '/api/visits',
  '/api/visits?area=7100015',
  '/api/visits?area=7100016',
  '/api/visits?storeid=S00339218',
  '/api/visits?storeid=S00000201&startdate=2024-01-20',
  '/api/visits?storeid=S00000203',
  '/api/visits?area=7100015&startdate=2024-01-21&enddate=2024-01-21',
  '/api/visits?area=7100015&startdate=2024-01-22T00:00:00Z&enddate=2024-02-01',
];

beforeAll(async () => {
  environment = await createTestEnvironment('replay');
  images = await startImageServer();
  stack = await startStack(environment, { IMAGE_MAX_ATTEMPTS: '1' });
  const good = (name: string) => images.url(`/img/${name}`);
  const jobs = [
    [['S00339218', [good('shelf.jpg'), good('front.png')], '2024-01-21T09:00:00Z']],
    [
      ['S01408764', [good('aisle.webp')], '2024-01-22T23:59:59Z'],
      ['S99999999', [good('shelf.jpg')], '2024-01-22T10:00:00Z'],
    ],
    [['S00000201', [good('sign.gif'), good('page.html'), good('missing.jpg')], '2024-01-20T00:00:00Z']],
    [['S00000202', [good('receipt.tiff'), good('moved.jpg')], '2024-01-23T12:00:00+05:30']],
    [['S00339218', [good('front.png'), good('truncated.jpg')], '2024-01-21T18:30:00Z']],
  ] as const;
  for (const visits of jobs) jobIds.push(await submit(visits));
  for (const jobId of jobIds) await waitForTerminal(stack, jobId);
  const cancelled = await cancelledJob();
  jobIds.push(cancelled, await retriedJob(cancelled));
});

/** The retry of the cancelled job: its held image, served at once now, as a job of its own. */
async function retriedJob(of: number): Promise<number> {
  const response = await fetch(`${stack.baseUrl}/api/jobs/${of}/retry`, { method: 'POST' });
  const { job_id: jobId } = (await response.json()) as { job_id: number };
  expect(response.status).toBe(201);
  expect(await waitForTerminal(stack, jobId)).toEqual({ status: 'completed', job_id: jobId });
  return jobId;
}

/**
 * A job cancelled while one download was held, whose image measured before the cancel stays and
 * whose held one, measured after it, is in the log and counts nowhere: the replay must agree.
 */
async function cancelledJob(): Promise<number> {
  held = await startHeldImages();
  const jobId = await submit([
    ['S00000203', [images.url('/img/front.png?cancelled'), held.url('late.jpg')], '2024-01-24T10:00:00Z'],
  ]);
  const settledImages = async () =>
    ((await (await fetch(`${stack.baseUrl}/api/jobs/${jobId}`)).json()) as { images?: { succeeded: number } }).images
      ?.succeeded;
  await until(async () => held.waiting() === 1 && (await settledImages()) === 1, { what: 'the job held ongoing' });
  expect((await fetch(`${stack.baseUrl}/api/jobs/${jobId}/cancel`, { method: 'POST' })).status).toBe(202);
  expect(await waitForTerminal(stack, jobId)).toMatchObject({ status: 'failed' });
  held.release();
  await until(async () => (await loggedCount(environment.db, jobId, 'ImageProcessed')) === 2, {
    what: 'the held image measured after the cancel',
  });
  return jobId;
}

type Visit = readonly [string, readonly string[], string];

async function submit(visits: readonly Visit[]): Promise<number> {
  const response = await fetch(`${stack.baseUrl}/api/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      count: visits.length,
      visits: visits.map(([store_id, image_url, visit_time]) => ({ store_id, image_url, visit_time })),
    }),
  });
  const body = await response.text();
  expect(`${response.status} ${body}`).toMatch(/^201 /);
  return (JSON.parse(body) as { job_id: number }).job_id;
}

/** The API keeps moving: a job submitted now settles, and its visit shows up in the visits answer. */
async function expectReadModelsMoving(storeId: string, day: string): Promise<void> {
  const jobId = await submit([[storeId, [images.url('/img/shelf.jpg')], `${day}T08:00:00Z`]]);
  expect(await waitForTerminal(stack, jobId)).toEqual({ status: 'completed', job_id: jobId });
  const visits = await fetch(`${stack.baseUrl}/api/visits?storeid=${storeId}&startdate=${day}&enddate=${day}`);
  expect(await visits.json()).toMatchObject({ results: [{ store_id: storeId, data: [{ date: day }] }] });
}

/** The status API re-reads the served generations every 500 ms: wait until it answers `expected`. */
async function expectSnapshot(expected: string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let current = await snapshot(stack.baseUrl);
  while (JSON.stringify(current) !== JSON.stringify(expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    current = await snapshot(stack.baseUrl);
  }
  expect(current).toEqual(expected);
}

afterAll(async () => {
  held?.release();
  await stack?.stopAll();
  await held?.close();
  await images?.close();
  await environment?.cleanup();
});

async function snapshot(baseUrl: string): Promise<string[]> {
  const paths = [...jobIds.map((jobId) => `/api/status?jobid=${jobId}`), ...visitQueries];
  return Promise.all(
    paths.map(async (path) => {
      const response = await fetch(`${baseUrl}${path}`);
      return `${path} ${response.status} ${await response.text()}`;
    }),
  );
}

/** `npm run replay` against the stack's installation (or, with `dbName`, an installation with no services). */
async function replay(args: string[] = [], dbName = environment.dbName): Promise<string> {
  const prefix = dbName === environment.dbName ? environment.prefix : `${environment.prefix}-elsewhere`;
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'services/projection/src/replay/cli.ts', ...args],
    {
      cwd: root,
      env: {
        ...process.env,
        AMQP_URL: environment.amqpUrl,
        TOPOLOGY_PREFIX: prefix,
        MONGO_URL: environment.mongoUrl,
        MONGO_DB: dbName,
      },
    },
  );
  return stdout;
}

const hashOf = (output: string) => /content hash (\S+)/.exec(output)?.[1];

describe('replaying the event log', () => {
  it('rebuilds read models that answer byte for byte as before, with a stable hash', async () => {
    const before = await snapshot(stack.baseUrl);
    expect(before.filter((line) => line.includes('"status":"failed"'))).toHaveLength(4);
    expect(before).toContain(
      `/api/status?jobid=${jobIds[5]} 200 {"status":"failed","job_id":${jobIds[5]},"error":[{"store_id":"S00000203","error":"cancelled"}]}`,
    );
    expect(before).toContain(
      // front.png measured before the cancel, and the held image by the retry (not by the cancelled job).
      '/api/visits?storeid=S00000203 200 {"results":[{"store_id":"S00000203","area":"7100016","store_name":"KRISHNA  KIRANA","data":[{"date":"2024-01-24","perimeter":[1000,2240]}]}]}',
    );
    const state = new ProjectionState(environment.db);
    const served = await state.active();
    const servedHash = (await hashReadModels(environment.db, served)).hash;

    for (const name of Object.values(readModelCollections(served.jobStatus))) {
      await environment.db
        .collection(name)
        .drop()
        .catch(() => undefined);
    }
    const first = await replay();
    expect(first).toMatch(/rebuilt jobStatus, visits, jobs as generation \d+: \d+ events/);
    expect(hashOf(first)).toBe(servedHash);
    // The live projection switches: the API answers from the rebuilt generation.
    expect(first).toContain('switched by the projection');
    await expectSnapshot(before);

    const second = await replay();
    expect(hashOf(second)).toBe(servedHash);
    await expectSnapshot(before);
  });

  it('rebuilds one read model alone', async () => {
    const before = await snapshot(stack.baseUrl);
    const output = await replay(['--model', 'visits']);
    expect(output).toMatch(/rebuilt visits as generation (\d+)/);
    const active = await new ProjectionState(environment.db).active();
    expect(active.visits).toBeGreaterThan(active.jobStatus);
    await expectSnapshot(before);
  });

  it('rebuilds the state as of a past position or time, without switching', async () => {
    const lastJob = jobIds[jobIds.length - 1]!;
    const logged = await loggedEvents(environment.db);
    const submitted = logged.find(({ event }) => event.type === 'JobSubmitted' && event.data.jobId === lastJob);
    const output = await replay(['--as-of-position', String(submitted!.position - 1)]);
    const generation = /generation (\d+)/.exec(output)![1];
    expect(output).toContain('not switched');
    const then = await fetch(`${stack.baseUrl}/api/status?jobid=${lastJob}&generation=${generation}`);
    expect(then.status).toBe(400);
    const now = await fetch(`${stack.baseUrl}/api/status?jobid=${lastJob}`);
    expect(now.status).toBe(200);
    // By recording time: before the first event nothing existed; at the last one, everything did.
    const first = logged[0]!;
    const last = logged[logged.length - 1]!;
    const before = await replay(['--as-of', new Date(Date.parse(first.recordedAt) - 1).toISOString()]);
    expect(before).toMatch(/: 0 events/);
    const beforeGeneration = /generation (\d+)/.exec(before)![1];
    expect((await fetch(`${stack.baseUrl}/api/status?jobid=${jobIds[0]}&generation=${beforeGeneration}`)).status).toBe(
      400,
    );
    const atLast = await replay(['--as-of', last.recordedAt]);
    const lastGeneration = /generation (\d+)/.exec(atLast)![1];
    const historical = await fetch(`${stack.baseUrl}/api/status?jobid=${lastJob}&generation=${lastGeneration}`);
    expect(await historical.text()).toBe(await now.clone().text());
    const unknown = await fetch(`${stack.baseUrl}/api/status?jobid=${lastJob}&generation=999`);
    expect(await unknown.json()).toEqual({ error: 'unknown generation: 999' });
  });

  it('keeps one log entry and one count per job when a settled job is delivered and fanned out twice', async () => {
    const before = await snapshot(stack.baseUrl);
    const folded = async () =>
      ((await (await fetch(`http://127.0.0.1:${stack.ports.projection}/health`)).json()) as { eventsReceived: number })
        .eventsReceived;
    const foldedBefore = await folded();
    const requestsDropped = async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${stack.ports['image-processor']}/metrics`)).text();
      return Number(/^rp_image_requests_dropped_total (\d+)$/m.exec(metrics)?.[1] ?? 0);
    };
    const droppedBefore = await requestsDropped();
    const countBefore = (await loggedEvents(environment.db)).length;
    const submitted = (await loggedEvents(environment.db)).find(
      ({ event }) => event.type === 'JobSubmitted' && event.data.jobId === jobIds[0],
    );
    const connection = await amqp.connect(environment.amqpUrl);
    const channel = await connection.createConfirmChannel();
    const body = Buffer.from(JSON.stringify(submitted!.event));
    for (let copy = 0; copy < 2; copy++) {
      channel.publish(environment.topology.names.eventsExchange, 'JobSubmitted', body, { persistent: true });
    }
    await channel.waitForConfirms();
    await connection.close();
    // The dispatcher fans the job out twice more. The job settled long ago, so the processor drops
    // its 2 × 2 image requests unprocessed: the projection receives the 2 duplicates alone.
    await until(async () => (await requestsDropped()) >= droppedBefore + 4, {
      what: 'the fanned-out requests dropped',
    });
    await until(async () => (await folded()) >= foldedBefore + 2, { what: 'the duplicates received' });
    expect(await requestsDropped()).toBe(droppedBefore + 4);
    expect(await folded()).toBe(foldedBefore + 2);
    expect(await loggedEvents(environment.db)).toHaveLength(countBefore);
    expect(await snapshot(stack.baseUrl)).toEqual(before);
  });

  it('moves the log to an empty installation, which answers every query as the source did', async () => {
    const before = await snapshot(stack.baseUrl);
    const directory = await mkdtemp(join(tmpdir(), 'rp-export-'));
    const file = join(directory, 'events.ndjson');
    const targetDb = `${environment.dbName}_copy`;
    const env = { ...process.env, MONGO_URL: environment.mongoUrl };
    try {
      const exported = await run(
        process.execPath,
        ['--import', 'tsx', 'services/projection/src/backup/cli.ts', 'export', file],
        {
          cwd: root,
          env: { ...env, MONGO_DB: environment.dbName },
        },
      );
      const count = Number(/exported (\d+) events/.exec(exported.stdout)![1]);
      expect(count).toBe((await loggedEvents(environment.db)).length);
      // Without a file, the export goes under the data directory, which git ignores.
      const byDefault = await run(
        process.execPath,
        ['--import', 'tsx', 'services/projection/src/backup/cli.ts', 'export'],
        {
          cwd: root,
          env: { ...env, MONGO_DB: environment.dbName },
        },
      );
      const defaultFile = / to (\S+\.ndjson) in /.exec(byDefault.stdout)![1]!;
      expect(defaultFile.startsWith(join(root, '.data', 'exports'))).toBe(true);
      await run('git', ['check-ignore', '--quiet', defaultFile], { cwd: root });
      await rm(defaultFile);
      const imported = await run(
        process.execPath,
        ['--import', 'tsx', 'services/projection/src/backup/cli.ts', 'import', file],
        {
          cwd: root,
          env: { ...env, MONGO_DB: targetDb },
        },
      );
      expect(imported.stdout).toContain(`imported ${count} events`);
      const refused = await run(
        process.execPath,
        ['--import', 'tsx', 'services/projection/src/backup/cli.ts', 'import', file],
        {
          cwd: root,
          env: { ...env, MONGO_DB: targetDb },
        },
      ).catch((error: { code: number; stderr: string }) => error);
      expect(refused).toMatchObject({ code: 2, stderr: expect.stringContaining('already has events') });

      const replayed = await replay([], targetDb);
      expect(replayed).toContain('switched by the replay');

      // The restored installation runs: it answers as the source did, and new work gets ids of its own.
      const restored = { ...environment, dbName: targetDb, prefix: `${environment.prefix}-elsewhere` };
      const restoredStack = await startStack(restored as TestEnvironment, { IMAGE_MAX_ATTEMPTS: '1' });
      try {
        expect(await snapshot(restoredStack.baseUrl)).toEqual(before);
        const response = await fetch(`${restoredStack.baseUrl}/api/submit`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            count: 1,
            visits: [
              { store_id: 'S00000202', image_url: [images.url('/img/shelf.jpg')], visit_time: '2024-02-02T10:00:00Z' },
            ],
          }),
        });
        const { job_id: newJob } = (await response.json()) as { job_id: number };
        expect(newJob).toBeGreaterThan(Math.max(...jobIds));
        expect(await waitForTerminal(restoredStack, newJob)).toEqual({ status: 'completed', job_id: newJob });
        const visits = await fetch(`${restoredStack.baseUrl}/api/visits?storeid=S00000202&startdate=2024-02-02`);
        expect(await visits.json()).toMatchObject({
          results: [{ data: [{ date: '2024-02-02', perimeter: [expect.any(Number)] }] }],
        });
        // The old jobs' answers are unchanged by the new one.
        const statuses = (lines: string[]) => lines.filter((line) => line.startsWith('/api/status'));
        expect(statuses(await snapshot(restoredStack.baseUrl))).toEqual(statuses(before));
      } finally {
        await restoredStack.stopAll();
        await deleteTopology(environment.amqpUrl, buildTopology(restored.prefix)).catch(() => undefined);
        const { client, db } = await connectMongo(environment.mongoUrl, targetDb);
        await db.dropDatabase();
        await client.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('is carried out by a projection in the first second of its life, and the read models keep moving', async () => {
    await stack.stop('projection');
    await stack.start('projection');
    const output = await replay();
    expect(output).toContain('switched by the projection');
    await expectReadModelsMoving('S00339218', '2024-03-01');
  });

  it('switches between two batches of a long fold, losing nothing of it', async () => {
    const urls = Array.from({ length: 400 }, (_, index) => images.url(`/img/shelf.jpg?copy=${index}`));
    const big = await submit([['S01408764', urls, '2024-03-02T07:00:00Z']]);
    const output = await replay();
    expect(output).toContain('switched by the projection');
    expect(await waitForTerminal(stack, big)).toEqual({ status: 'completed', job_id: big });
    const visits = await fetch(`${stack.baseUrl}/api/visits?storeid=S01408764&startdate=2024-03-02&enddate=2024-03-02`);
    const [result] = ((await visits.json()) as { results: Array<{ data: Array<{ perimeter: number[] }> }> }).results;
    expect(result!.data[0]!.perimeter).toHaveLength(400);
    await expectReadModelsMoving('S01408764', '2024-03-03');
  });

  it('is switched by the replay itself when no projection holds the queue, and a projection started later serves it', async () => {
    await stack.stop('projection');
    const output = await replay();
    expect(output).toContain('switched by the replay');
    await stack.start('projection');
    await expectReadModelsMoving('S00000201', '2024-03-04');
  });
});
