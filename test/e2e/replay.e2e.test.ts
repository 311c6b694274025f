import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import {
  closeServer,
  connectMongo,
  createLogger,
  listen,
  ProjectionState,
  readModelCollections,
  StoreMaster,
} from '@retail-pulse/shared';
import { storedEventOf, type EventLogDocument } from '../../services/projection/src/eventLog';
import { hashReadModels } from '../../services/projection/src/replay/contentHash';
import { createStatusApp } from '../../services/status-api/src/app';
import { JobStatusQuery } from '../../services/status-api/src/jobStatus/query';
import { ActiveReadModels } from '../../services/status-api/src/readModels';
import { VisitsQuery } from '../../services/status-api/src/visits/query';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/**
 * The event log is the system of record: read models deleted and replayed answer byte for byte
 * as before, duplicates change nothing, and an exported log answers the same elsewhere.
 */
const run = promisify(execFile);
const root = join(__dirname, '../..');
let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;
const jobIds: number[] = [];

const visitQueries = [
  '/api/visits',
  '/api/visits?area=7100015',
  '/api/visits?area=7100016',
  '/api/visits?storeid=S00339218',
  '/api/visits?storeid=S00000201&startdate=2024-01-20',
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
  for (const visits of jobs) {
    const response = await fetch(`${stack.baseUrl}/api/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        count: visits.length,
        visits: visits.map(([store_id, image_url, visit_time]) => ({ store_id, image_url, visit_time })),
      }),
    });
    jobIds.push(((await response.json()) as { job_id: number }).job_id);
  }
  for (const jobId of jobIds) await waitForTerminal(stack.baseUrl, jobId);
});

afterAll(async () => {
  await stack?.stopAll();
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

async function replay(args: string[] = [], dbName = environment.dbName): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'services/projection/src/replay/cli.ts', ...args],
    {
      cwd: root,
      env: { ...process.env, MONGO_URL: environment.mongoUrl, MONGO_DB: dbName },
    },
  );
  return stdout;
}

const hashOf = (output: string) => /content hash (\S+)/.exec(output)?.[1];

describe('replaying the event log', () => {
  it('rebuilds read models that answer byte for byte as before, with a stable hash', async () => {
    const before = await snapshot(stack.baseUrl);
    expect(before.filter((line) => line.includes('"status":"failed"'))).toHaveLength(3);
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
    expect(first).toMatch(/rebuilt jobStatus, visits as generation \d+: \d+ events/);
    expect(hashOf(first)).toBe(servedHash);
    // The live projection switches: the API answers from the rebuilt generation.
    expect(first).toContain('switched by the projection');
    await new Promise((resolve) => setTimeout(resolve, 700)); // the status API re-reads the generation every 500 ms
    expect(await snapshot(stack.baseUrl)).toEqual(before);

    const second = await replay();
    expect(hashOf(second)).toBe(servedHash);
    expect(await snapshot(stack.baseUrl)).toEqual(before);
  });

  it('rebuilds one read model alone', async () => {
    const before = await snapshot(stack.baseUrl);
    const output = await replay(['--model', 'visits']);
    expect(output).toMatch(/rebuilt visits as generation (\d+)/);
    const active = await new ProjectionState(environment.db).active();
    expect(active.visits).toBeGreaterThan(active.jobStatus);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await snapshot(stack.baseUrl)).toEqual(before);
  });

  it('rebuilds the state as of a past position or time, without switching', async () => {
    const lastJob = jobIds[jobIds.length - 1]!;
    const submitted = await environment.db.collection('events').findOne({ type: 'JobSubmitted', jobId: lastJob });
    const output = await replay(['--as-of-position', String((submitted!.position as number) - 1)]);
    const generation = /generation (\d+)/.exec(output)![1];
    expect(output).toContain('not switched');
    const then = await fetch(`${stack.baseUrl}/api/status?jobid=${lastJob}&generation=${generation}`);
    expect(then.status).toBe(400);
    const now = await fetch(`${stack.baseUrl}/api/status?jobid=${lastJob}`);
    expect(now.status).toBe(200);
    // By recording time: before the first event nothing existed; at the last one, everything did.
    const byRecording = environment.db.collection<EventLogDocument>('events');
    const first = await byRecording.findOne({ position: 1 });
    const last = (await byRecording.find({}).sort({ position: -1 }).limit(1).toArray())[0]!;
    const before = await replay(['--as-of', new Date(first!.recordedAt.getTime() - 1).toISOString()]);
    expect(before).toMatch(/: 0 events/);
    const beforeGeneration = /generation (\d+)/.exec(before)![1];
    expect((await fetch(`${stack.baseUrl}/api/status?jobid=${jobIds[0]}&generation=${beforeGeneration}`)).status).toBe(
      400,
    );
    const atLast = await replay(['--as-of', last.recordedAt.toISOString()]);
    const lastGeneration = /generation (\d+)/.exec(atLast)![1];
    const historical = await fetch(`${stack.baseUrl}/api/status?jobid=${lastJob}&generation=${lastGeneration}`);
    expect(await historical.text()).toBe(await now.clone().text());
    const unknown = await fetch(`${stack.baseUrl}/api/status?jobid=${lastJob}&generation=999`);
    expect(await unknown.json()).toEqual({ error: 'unknown generation: 999' });
  });

  it('keeps one log entry and one count per image when a job is delivered and fanned out twice', async () => {
    const before = await snapshot(stack.baseUrl);
    const folded = async () =>
      ((await (await fetch(`http://127.0.0.1:${stack.ports.projection}/health`)).json()) as { eventsReceived: number })
        .eventsReceived;
    const foldedBefore = await folded();
    const events = environment.db.collection('events');
    const countBefore = await events.countDocuments({});
    const submitted = await events.findOne<EventLogDocument>({ type: 'JobSubmitted', jobId: jobIds[0] });
    const connection = await amqp.connect(environment.amqpUrl);
    const channel = await connection.createConfirmChannel();
    const body = Buffer.from(JSON.stringify(storedEventOf(submitted!)));
    for (let copy = 0; copy < 2; copy++) {
      channel.publish(environment.topology.names.eventsExchange, 'JobSubmitted', body, { persistent: true });
    }
    await channel.waitForConfirms();
    await connection.close();
    // The dispatcher fans the job out twice more and the processor settles its 2 images again:
    // the projection receives 2 + 2 × 2 duplicates.
    const deadline = Date.now() + 30_000;
    while ((await folded()) < foldedBefore + 6 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await folded()).toBe(foldedBefore + 6);
    expect(await events.countDocuments({})).toBe(countBefore);
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
      expect(count).toBe(await environment.db.collection('events').countDocuments({}));
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
      const { client, db } = await connectMongo(environment.mongoUrl, targetDb);
      await new StoreMaster(db).replaceAll(await new StoreMaster(environment.db).all());
      const app = createStatusApp({
        jobStatus: new JobStatusQuery(db, new ActiveReadModels(db, 0)),
        visits: new VisitsQuery(db, new ActiveReadModels(db, 0), new StoreMaster(db)),
        health: () => ({ status: 'ok' }),
        logger: createLogger('status-copy', 'silent' as 'info'),
      });
      const server: Server = await listen(app, 0, '127.0.0.1');
      try {
        expect(await snapshot(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)).toEqual(before);
      } finally {
        await closeServer(server);
        await db.dropDatabase();
        await client.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
