import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startHeldImages, type HeldImages } from '../../test/support/heldImages';
import { startImageServer, type ImageServer } from '../../test/support/imageServer';
import { freePort, serviceEnv, startStack, type Stack } from '../../test/support/stack';
import { createTestEnvironment, type TestEnvironment } from '../../test/support/testEnvironment';
import { until } from '../../test/support/until';
import type { JobDetailBody } from '@retail-pulse/shared/contracts';

/** `rp`, the command-line client, as a person runs it: its own process, against the running stack. */
const bin = resolve(__dirname, '../bin/rp.cjs');
let environment: TestEnvironment;
let images: ImageServer;
let held: HeldImages;
let stack: Stack;
let dir: string;

beforeAll(async () => {
  environment = await createTestEnvironment('cli');
  images = await startImageServer();
  held = await startHeldImages();
  stack = await startStack(environment, { IMAGE_MAX_ATTEMPTS: '1' });
  dir = mkdtempSync(join(tmpdir(), 'rp-cli-'));
});
afterAll(async () => {
  held?.release();
  await stack?.stopAll();
  await held?.close();
  await images?.close();
  await environment?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `rp args…` (asynchronously: the images it asks for are served by this very process). */
function rp(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...serviceEnv(environment), RP_URL: stack.baseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

function jobFile(name: string, storeId: string, paths: string[], urls: string[] = []): string {
  const file = join(dir, name);
  const visit = {
    store_id: storeId,
    image_url: [...paths.map((path) => images.url(path)), ...urls],
    visit_time: '2024-05-02T10:00:00Z',
  };
  writeFileSync(file, JSON.stringify({ count: 1, visits: [visit] }));
  return file;
}

describe('rp against the running stack', () => {
  it('submits and waits for a job, then reads it every way the API offers', async () => {
    const good = await rp(
      '--json',
      'submit',
      jobFile('good.json', 'S00339218', ['/img/shelf.jpg', '/img/front.png']),
      '--wait',
    );
    expect(good).toMatchObject({ code: 0, stderr: '' });
    const detail = JSON.parse(good.stdout) as { job_id: number; status: string; images: Record<string, number> };
    expect(detail).toMatchObject({ status: 'completed', images: { total: 2, succeeded: 2, failed: 0, pending: 0 } });
    const jobId = String(detail.job_id);

    expect(JSON.parse((await rp('--json', 'status', jobId)).stdout)).toEqual({
      status: 'completed',
      job_id: detail.job_id,
    });
    expect(JSON.parse((await rp('--json', 'job', jobId)).stdout)).toEqual(detail);
    const pictures = JSON.parse((await rp('--json', 'images', jobId)).stdout) as {
      images: Array<{ perimeter: number }>;
    };
    expect(pictures.images.map((image) => image.perimeter)).toEqual([2240, 1000]);
    const visits = JSON.parse(
      (await rp('--json', 'visits', '--store', 'S00339218', '--from', '2024-05-02', '--to', '2024-05-02')).stdout,
    ) as { results: Array<{ data: Array<{ perimeter: number[] }> }> };
    expect(visits.results[0]?.data[0]?.perimeter.sort()).toEqual([1000, 2240]);

    // Watching a settled job shows its final state and ends; people get a line, scripts JSON.
    const watched = await rp('watch', jobId);
    expect(watched).toEqual({ code: 0, stdout: `job ${jobId} completed: 2/2 images settled, 0 failed\n`, stderr: '' });
    const table = await rp('jobs', '--status', 'completed');
    expect(table.stdout.split('\n')[0]).toBe('job_id  status     images  succeeded  failed  pending  submitted_at');
    expect(table.stdout).toContain(`${jobId.padEnd(6)}  completed  2       2          0       0`);
  });

  it('exits 1 for a job that failed, with its reasons, and for an error answer', async () => {
    const failed = await rp('submit', jobFile('bad.json', 'S99999999', ['/img/shelf.jpg']), '--wait');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^job \d+: failed — 1 images, 0 succeeded, 1 failed, 0 pending/);
    const jobId = /^job (\d+)/.exec(failed.stdout)![1]!;
    const status = await rp('status', jobId);
    expect(status.stdout).toBe(`job ${jobId}: failed\nstore_id   error\nS99999999  unknown store_id S99999999\n`);

    expect(await rp('job', '999999999')).toEqual({ code: 1, stdout: '', stderr: 'rp: no job 999999999\n' });
    expect((await rp('jobs', '--status', 'lost')).code).toBe(2);
    const nobody = await freePort(); // nothing listens there
    const unreachable = await rp('--url', `http://127.0.0.1:${nobody}`, 'status', '1');
    expect(unreachable).toEqual({
      code: 1,
      stdout: '',
      stderr: `rp: cannot reach http://127.0.0.1:${nobody} (ECONNREFUSED); is the stack running (npm start)?\n`,
    });
  });

  it('never makes a second job for the same --key', async () => {
    const file = jobFile('keyed.json', 'S00339218', ['/img/shelf.jpg?cli-key']);
    const first = await rp('--json', 'submit', file, '--key', `cli-${environment.prefix}`);
    const again = await rp('--json', 'submit', file, '--key', `cli-${environment.prefix}`);
    expect(first.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(first.stdout));
  });

  it('cancels a running job and shows it settled, then retries it; what cannot be done is an error', async () => {
    const file = jobFile('held.json', 'S00339218', ['/img/shelf.jpg?cli-cancel'], [held.url('cli.jpg')]);
    const jobId = JSON.parse((await rp('--json', 'submit', file)).stdout).job_id as number;
    const detail = async () => JSON.parse((await rp('--json', 'job', String(jobId))).stdout) as JobDetailBody;
    await until(async () => held.waiting() === 1 && (await detail()).images.succeeded === 1, {
      what: 'the job held ongoing',
    });
    const cancelled = await rp('cancel', String(jobId), '--wait');
    expect(cancelled).toMatchObject({ code: 0, stderr: '' });
    const [summary, ...rows] = cancelled.stdout.trimEnd().split('\n');
    expect(summary).toMatch(
      new RegExp(
        `^job ${jobId}: failed — 2 images, 1 succeeded, 1 failed, 0 pending \\(submitted \\S+, cancelled \\S+\\)$`,
      ),
    );
    expect(rows).toEqual([
      'store_id   visit_time            total  succeeded  failed  pending',
      'S00339218  2024-05-02T10:00:00Z  2      1          1       0',
    ]);
    expect((await rp('status', String(jobId))).stdout).toBe(
      `job ${jobId}: failed\nstore_id   error\nS00339218  cancelled\n`,
    );
    expect(await rp('--json', 'cancel', String(jobId))).toEqual({
      code: 1,
      stdout: '',
      stderr: `rp: job ${jobId} has already settled (failed); only an ongoing job can be cancelled\n`,
    });
    expect((await rp('cancel', '424242')).stderr).toBe('rp: no job 424242\n');

    // Its failed (here: cancelled) image, submitted again as a job of its own.
    held.release();
    const retried = await rp('--json', 'retry', String(jobId), '--wait');
    expect(retried).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(retried.stdout)).toMatchObject({
      retry_of: jobId,
      status: 'completed',
      images: { total: 1, succeeded: 1, failed: 0, pending: 0 },
      visits: [{ store_id: 'S00339218', visit_time: '2024-05-02T10:00:00Z' }],
    });
    const again = await rp('retry', String(jobId));
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(new RegExp(`^job \\d+ submitted: the failed images of job ${jobId}\n$`));
    const completed = String(JSON.parse(retried.stdout).job_id);
    expect(await rp('retry', completed)).toEqual({
      code: 1,
      stdout: '',
      stderr: `rp: job ${completed} has completed; only a failed job can be retried\n`,
    });
  });

  it("runs the operator tools under the same roof, with this stack's settings", async () => {
    const letters = await rp('dead-letters', 'list');
    expect(letters.code).toBe(0);
    expect(letters.stderr).toContain(`dead-letters: acting on`);
    expect(letters.stdout).toContain(`0 dead letter(s) shown from ${environment.topology.names.deadLetterQueue}`);
  });
});
