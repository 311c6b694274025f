import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, serviceEnv } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/**
 * The first five minutes: `npm run demo` brings the stack up with its sample photos, submits the
 * README's first job and watches it settle — completed, with the perimeters the README shows.
 */
const root = resolve(__dirname, '../..');
let environment: TestEnvironment;
let dataDir: string;

beforeAll(async () => {
  environment = await createTestEnvironment('demo');
  dataDir = mkdtempSync(join(tmpdir(), 'rp-demo-'));
});
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await environment?.cleanup();
});

describe('npm run demo', () => {
  it("submits the README's first job on its sample photos, and it completes", async () => {
    const ports: Record<string, string> = {};
    for (const name of ['PORT', 'INGEST_PORT', 'STATUS_API_PORT', 'PROJECTION_HEALTH_PORT', 'PROCESSOR_HEALTH_PORT']) {
      ports[name] = String(await freePort());
    }
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/demo.ts', '--exit'], {
      cwd: root,
      detached: true, // its own process group: nothing it started outlives the test
      env: {
        ...serviceEnv(environment),
        ...ports,
        DEMO_IMAGES_PORT: String(await freePort()),
        RP_DATA_DIR: dataDir,
        IMAGE_PROCESSORS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const kill = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 150_000);
    const code = await new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
    clearTimeout(kill);
    const log = output.join('');
    if (code !== 0) console.log(log);
    expect({ code, completed: /→ \{"status":"completed","job_id":\d+\}/.test(log) }).toEqual({
      code: 0,
      completed: true,
    });
    expect(log).toContain(
      '{"results":[{"store_id":"S00339218","area":"7100015","store_name":"SHREE GANESH STORES","data":[{"date":"2024-01-21","perimeter":[2240,1000]}]},' +
        '{"store_id":"S01408764","area":"7100015","store_name":"A.K ENTERPRISES, KIRANA","data":[{"date":"2024-01-22","perimeter":[2240]}]}]}',
    );
  });
});
