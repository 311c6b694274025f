import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { StoreMasterVersions } from '@retail-pulse/shared/storeMaster';
import { loggedEvents } from '../support/eventLog';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { freePort, serviceEnv, startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/** The store master's two ways in: the import command, and the image-processor's seeding at start. */
const run = promisify(execFile);
const root = resolve(__dirname, '../..');
let environment: TestEnvironment;
let directory: string;

beforeAll(async () => {
  environment = await createTestEnvironment('stores');
  directory = await mkdtemp(join(tmpdir(), 'rp-stores-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
  await environment.cleanup();
});

const env = () => serviceEnv(environment);
const current = () => new StoreMasterVersions(environment.db).loadCurrent();

const importStores = (file: string) =>
  run(process.execPath, ['--import', 'tsx', 'shared/src/storeMaster/importCli.ts', file], { cwd: root, env: env() });

/** Starts the image-processor until it answers its health check, then stops it. */
async function startAndStopProcessor(extraEnv: Record<string, string>): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/image-processor/src/index.ts'], {
    cwd: root,
    env: { ...env(), PROCESSOR_HEALTH_PORT: String(port), ...extraEnv },
    stdio: 'ignore',
  });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`image-processor exited with ${child.exitCode}`);
      const healthy = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) break;
      if (Date.now() > deadline) throw new Error('image-processor not healthy in time');
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  } finally {
    await new Promise<void>((resolveExit) => {
      if (child.exitCode !== null) return resolveExit();
      child.once('exit', () => resolveExit());
      child.kill('SIGTERM');
    });
  }
}

describe('the store master', () => {
  it('is imported from a CSV with other header spellings, quoted commas and CRLF line ends', async () => {
    const file = join(directory, 'stores.csv');
    await writeFile(
      file,
      'area_code,store_name,store_id\r\n7100015,"PATEL, SONS",S1\r\n7100015,B STORE,S2\r\n7100016,"C ""THE"" SHOP",S3\r\n',
    );
    const { stdout, stderr } = await importStores(file);
    expect(stderr).toMatch(
      new RegExp(`^stores:import: acting on database ${environment.dbName} at ${environment.mongoUrl} and broker `),
    );
    expect(stdout).toMatch(
      new RegExp(
        `^imported 3 stores in 2 areas from ${file} as store master version 1 \\(0 removed\\) in \\d+ ms\\n` +
          `announced on ${environment.prefix}.store-master: running services switch now\\n$`,
      ),
    );
    const stores = await current();
    expect(stores.store('S1')).toMatchObject({ storeId: 'S1', areaCode: '7100015', storeName: 'PATEL, SONS' });
    expect(stores.store('S3')).toMatchObject({ storeName: 'C "THE" SHOP' });
    expect((await importStores(file)).stdout).toBe(
      `store master version 1 (3 stores) from ${file} is already current\n`,
    );
  });

  it('refuses a file without the columns it needs, with the reason and a failing exit', async () => {
    const file = join(directory, 'bad.csv');
    await writeFile(file, 'name,id\nA,1\n');
    const failure = await importStores(file).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/AreaCode|area/i);
    expect((await current()).size).toBe(3);
  });

  it('is kept by an image-processor started without a file, and replaced by one started with a file', async () => {
    await startAndStopProcessor({});
    expect((await current()).size).toBe(3);
    await startAndStopProcessor({ STORE_MASTER_FILE: join(root, 'infra/data/sample-stores.csv') });
    expect((await current()).size).toBe(12);
    expect((await current()).store('S1')).toBeUndefined();
  });

  it('is seeded with the sample by an image-processor that finds no stores', async () => {
    await environment.db.collection('store_masters').deleteMany({});
    await startAndStopProcessor({});
    expect((await current()).size).toBe(12);
    expect((await current()).store('S00339218')).toMatchObject({
      storeName: 'SHREE GANESH STORES',
    });
  });
});

describe('a store master imported while the stack runs', () => {
  let running: TestEnvironment;
  let stack: Stack;
  let images: ImageServer;
  beforeAll(async () => {
    running = await createTestEnvironment('stores-live');
    images = await startImageServer();
    stack = await startStack(running, { IMAGE_MAX_ATTEMPTS: '1' });
  });
  afterAll(async () => {
    await stack?.stopAll();
    await images?.close();
    await running?.cleanup();
  });

  const get = async (path: string) => {
    const response = await fetch(`${stack.baseUrl}${path}`);
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const submit = async (visits: Array<[storeId: string, visitTime: string]>) => {
    const response = await fetch(`${stack.baseUrl}/api/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        count: visits.length,
        visits: visits.map(([store_id, visit_time]) => ({
          store_id,
          image_url: [images.url('/img/shelf.jpg')],
          visit_time,
        })),
      }),
    });
    expect(response.status).toBe(201);
    const { job_id: jobId } = (await response.json()) as { job_id: number };
    return { jobId, status: await waitForTerminal(stack, jobId) };
  };
  /** The master version a running service holds, from its /health details (the processor) or its answers. */
  const processorVersion = async () => {
    const health = (await (await fetch(`http://127.0.0.1:${stack.ports['image-processor']}/health`)).json()) as {
      storeMaster: { version: number };
    };
    return health.storeMaster.version;
  };
  const storeMasterVersions = async (jobId: number) =>
    (await loggedEvents(running.db))
      .filter(({ event }) => event.data.jobId === jobId)
      .map(
        ({ event }) =>
          [event.type as string, (event.data as { storeMasterVersion?: number }).storeMasterVersion] as const,
      );
  const areaStores = async (area: string) =>
    (
      (await get(`/api/visits?area=${area}`)).body as { results: Array<{ store_id: string; store_name: string }> }
    ).results.map((result) => `${result.store_id} ${result.store_name}`);

  it('is used by the running processor and status API without a restart, and the events say which master each image met', async () => {
    const before = await submit([
      ['S00339218', '2024-01-21T09:00:00Z'],
      ['S01408764', '2024-01-21T10:00:00Z'],
    ]);
    expect(before.status).toEqual({ status: 'completed', job_id: before.jobId });
    expect(await areaStores('7100015')).toEqual(['S00339218 SHREE GANESH STORES', 'S01408764 A.K ENTERPRISES, KIRANA']);

    // The next master: S00339218 removed, S01408764 moved to 7100016 and renamed, S09000001 new.
    const file = join(directory, 'next-master.csv');
    const sample = await readFile(join(root, 'infra/data/sample-stores.csv'), 'utf8');
    await writeFile(
      file,
      sample
        .split(/\r?\n/)
        .filter((line) => !line.endsWith('S00339218') && !line.endsWith('S01408764'))
        .join('\n')
        .trimEnd() + '\n7100016,"A.K ENTERPRISES, NEW ROAD",S01408764\n7100015,FRESH MART,S09000001\n',
    );
    const imported = await run(process.execPath, ['--import', 'tsx', 'shared/src/storeMaster/importCli.ts', file], {
      cwd: root,
      env: serviceEnv(running),
    });
    expect(imported.stdout).toMatch(/as store master version 2 \(1 removed\)/);
    expect(imported.stdout).toMatch(/announced on .*: running services switch now/);
    // The notice travels on its own exchange: wait (briefly, without asserting a speed) until it is in.
    const deadline = Date.now() + 10_000;
    while ((await processorVersion()) !== 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await processorVersion()).toBe(2);

    const after = await submit([
      ['S00339218', '2024-01-22T09:00:00Z'],
      ['S09000001', '2024-01-22T10:00:00Z'],
    ]);
    expect(after.status).toEqual({
      status: 'failed',
      job_id: after.jobId,
      error: [{ store_id: 'S00339218', error: 'unknown store_id S00339218' }],
    });
    expect(await storeMasterVersions(before.jobId)).toEqual(
      expect.arrayContaining([
        ['ImageProcessed', 1],
        ['ImageProcessed', 1],
      ]),
    );
    expect(await storeMasterVersions(after.jobId)).toEqual(
      expect.arrayContaining([
        ['ImageFailed', 2],
        ['ImageProcessed', 2],
      ]),
    );

    const answers = async () => ({
      area15: await areaStores('7100015'),
      area16: await areaStores('7100016'),
      removed: await get('/api/visits?storeid=S00339218'),
      moved: await get('/api/visits?area=7100015&storeid=S01408764'),
    });
    const expected = {
      area15: ['S09000001 FRESH MART'],
      area16: ['S01408764 A.K ENTERPRISES, NEW ROAD'],
      removed: { status: 400, body: { error: 'unknown store_id: S00339218' } },
      moved: { status: 400, body: { error: 'store S01408764 is not in area 7100015' } },
    };
    expect(await answers()).toEqual(expected);

    // A replay rebuilds the read models from the log: the same answers.
    const replayed = await run(process.execPath, ['--import', 'tsx', 'services/projection/src/replay/cli.ts'], {
      cwd: root,
      env: serviceEnv(running),
    });
    expect(replayed.stdout).toMatch(/switch/i);
    expect(await answers()).toEqual(expected);
    expect(await storeMasterVersions(after.jobId)).toEqual(
      expect.arrayContaining([
        ['ImageFailed', 2],
        ['ImageProcessed', 2],
      ]),
    );
  });
});
