import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureFerretDb } from '../../infra/local/services';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { freePort, startStack, waitForTerminal, type ServiceName, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

/**
 * The database goes away under a running stack: status reads answer 503 with Retry-After (never
 * a 500, never a hang past the driver's server-selection timeout); submits are still accepted
 * from the ingest's reserved job ids, since RabbitMQ holds them durably; once the database is
 * back every job settles. Every service that uses the database says so on its readiness probe
 * while it is away, and stays live. The stack runs on a MongoDB-protocol server of this test's own, so it
 * can be killed without touching anyone else's.
 */
let ferretDb: ChildProcess | undefined;
let port: number;
let dataDir: string;
let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;
const say = () => undefined;

beforeAll(async () => {
  port = await freePort();
  dataDir = await mkdtemp(join(tmpdir(), 'rp-outage-db-'));
  ferretDb = await ensureFerretDb(say, dataDir, port);
  const shared = await createTestEnvironment('dboutage');
  environment = { ...shared, mongoUrl: `mongodb://127.0.0.1:${port}` };
  images = await startImageServer();
  stack = await startStack(environment, { FERRETDB_SQLITE_DIR: dataDir });
});

afterAll(async () => {
  await stack?.stopAll();
  await images?.close();
  ferretDb?.kill('SIGKILL');
  await environment?.cleanup();
  await rm(dataDir, { recursive: true, force: true });
});

const submit = () =>
  fetch(`${stack.baseUrl}/api/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      count: 1,
      visits: [
        { store_id: 'S00339218', image_url: [images.url('/img/shelf.jpg')], visit_time: '2024-01-21T10:00:00Z' },
      ],
    }),
  });

describe('a stack whose database goes away', () => {
  it('answers status reads 503 while it is down, keeps accepting jobs, and settles them all once it is back', async () => {
    const before = await submit();
    expect(before.status).toBe(201);
    const { job_id: jobId } = (await before.json()) as { job_id: number };
    await waitForTerminal(stack, jobId);

    ferretDb!.kill('SIGKILL');
    await new Promise((resolve) => ferretDb!.once('exit', resolve));
    const [submitted, status] = await Promise.all([
      submit(),
      // A job not answered from memory: the status API must read the database for it.
      fetch(`${stack.baseUrl}/api/status?jobid=${jobId + 1}`),
    ]);
    expect(submitted.status).toBe(201);
    const { job_id: duringOutage } = (await submitted.json()) as { job_id: number };
    expect(status.status).toBe(503);
    expect(Number(status.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await status.json()).toEqual({ error: 'service temporarily unavailable; retry shortly' });

    ferretDb = await ensureFerretDb(say, dataDir, port);
    expect(await waitForTerminal(stack, duringOutage)).toEqual({ status: 'completed', job_id: duringOutage });
    const after = await submit();
    expect(after.status).toBe(201);
    const { job_id: afterId } = (await after.json()) as { job_id: number };
    expect(await waitForTerminal(stack, afterId)).toEqual({ status: 'completed', job_id: afterId });
    expect(await waitForTerminal(stack, jobId)).toEqual({ status: 'completed', job_id: jobId });
  });

  it('turns readiness 503 naming the database on every service that uses it, keeps liveness, and recovers', async () => {
    const usingDatabase: ServiceName[] = ['ingest', 'status-api', 'projection', 'image-processor'];
    const probe = async (name: ServiceName, path: string) => {
      const response = await fetch(`http://127.0.0.1:${stack.ports[name]}${path}`);
      return { name, status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const readiness = () => Promise.all(usingDatabase.map((name) => probe(name, '/health/ready')));
    expect((await readiness()).map(({ name, status }) => ({ name, status }))).toEqual(
      usingDatabase.map((name) => ({ name, status: 200 })),
    );

    ferretDb!.kill('SIGKILL');
    await new Promise((resolve) => ferretDb!.once('exit', resolve));
    let down: Awaited<ReturnType<typeof readiness>> = [];
    await until(async () => (down = await readiness()).every(({ status }) => status === 503), {
      timeoutMs: 15_000,
      everyMs: 200,
      what: 'every database user unready',
    });
    for (const answer of down) {
      expect(answer).toEqual({
        name: answer.name,
        status: 503,
        body: { status: 'unavailable', down: ['database'], checks: expect.objectContaining({ database: 'down' }) },
      });
    }
    for (const name of [...usingDatabase, 'gateway' as const]) {
      expect(await probe(name, '/health/live')).toEqual({ name, status: 200, body: { status: 'ok' } });
    }
    // The gateway's upstreams still answer (the ingest takes jobs, the status API says 503 itself).
    expect((await probe('gateway', '/health/ready')).status).toBe(200);

    ferretDb = await ensureFerretDb(say, dataDir, port);
    await until(async () => (await readiness()).every(({ status }) => status === 200), {
      timeoutMs: 30_000,
      everyMs: 200,
      what: 'every database user ready again',
    });
  });
});
