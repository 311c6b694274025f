import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { StoreMasterVersions } from '@retail-pulse/shared/storeMaster';
import { freePort, serviceEnv } from '../support/stack';
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
    expect((await importStores(file)).stdout).toBe(`store master version 1 (3 stores) from ${file} is already current\n`);
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
