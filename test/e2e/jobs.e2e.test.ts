import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import amqp from 'amqplib';
import { imageIdOf, type ImageFailed } from '@retail-pulse/shared/contracts';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { runReplay } from '../support/replayCli';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { openEventStream } from '../support/sse';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

/**
 * The jobs routes on the running stack, through the gateway: a job of real images held ongoing by
 * one image whose download waits for the test, its detail and its images walked page by page
 * while it runs, a second outcome of an image not counted, the listing filtered by status, and
 * a replay answering byte for byte as before.
 */
let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;
let gate: Server;
let held: ServerResponse[] = [];
let open = false;
let gateUrl: string;

const KNOWN_STORE = 'S00339218';
const OTHER_STORE = 'S01408764';

beforeAll(async () => {
  environment = await createTestEnvironment('jobs-e2e');
  images = await startImageServer();
  // One image's download waits until the test opens the gate: the job stays ongoing until then.
  const jpeg = Buffer.from(await (await fetch(images.url('/img/shelf.jpg'))).arrayBuffer());
  gate = createServer((_request, response) => {
    if (open) response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    else held.push(response);
  });
  await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
  gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/held.jpg`;
  stack = await startStack(environment, { IMAGE_MAX_ATTEMPTS: '1', IMAGE_TIMEOUT_MS: '120000' });
});

afterAll(async () => {
  open = true;
  for (const response of held) response.writeHead(200, { 'content-type': 'image/jpeg' }).end();
  await stack?.stopAll();
  await images?.close();
  await new Promise((resolve) => gate?.close(resolve));
  await environment?.cleanup();
});

async function get(path: string): Promise<{ status: number; text: string; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.baseUrl}${path}`);
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

async function submit(visits: Array<{ store_id: string; image_url: string[]; visit_time: string }>): Promise<number> {
  const response = await fetch(`${stack.baseUrl}/api/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count: visits.length, visits }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { job_id: number }).job_id;
}

const projectionHealth = async () =>
  (await (await fetch(`http://127.0.0.1:${stack.ports.projection}/health`)).json()) as { eventsFolded: number };

describe('the jobs routes on the running stack', () => {
  let manyUrls: string[];
  let running: number;
  let failing: number;
  let urls: string[];

  it('detail, images page by page while the job runs, a second outcome not counted, listing, then settled', async () => {
    manyUrls = Array.from({ length: 250 }, (_, index) => images.url(`/img/front.png?n=${index}`));
    urls = [images.url('/img/shelf.jpg'), gateUrl, ...manyUrls];
    running = await submit([
      { store_id: KNOWN_STORE, image_url: urls.slice(0, 2), visit_time: '2024-01-21T16:23:40.898Z' },
      { store_id: OTHER_STORE, image_url: manyUrls, visit_time: '2024-01-22T09:10:00.000Z' },
    ]);
    failing = await submit([
      { store_id: 'S99999999', image_url: [images.url('/img/shelf.jpg')], visit_time: '2024-01-21T10:00:00.000Z' },
    ]);
    expect(await waitForTerminal(stack, failing)).toMatchObject({ status: 'failed' });

    // Everything but the held image settles; the job stays ongoing.
    await until(async () => ((await get(`/api/jobs/${running}`)).body.images as { pending: number }).pending === 1, {
      what: 'all but the held image settled',
      timeoutMs: 60_000,
    });
    const ongoing = await get(`/api/jobs/${running}`);
    expect(ongoing.body).toEqual({
      job_id: running,
      status: 'ongoing',
      images: { total: 252, succeeded: 251, failed: 0, pending: 1 },
      submitted_at: expect.any(String),
      visits: [
        {
          store_id: KNOWN_STORE,
          visit_time: '2024-01-21T16:23:40.898Z',
          images: { total: 2, succeeded: 1, failed: 0, pending: 1 },
        },
        {
          store_id: OTHER_STORE,
          visit_time: '2024-01-22T09:10:00.000Z',
          images: { total: 250, succeeded: 250, failed: 0, pending: 0 },
        },
      ],
    });

    // The images, walked with a cursor while the job runs: in submission order, none skipped or repeated.
    const walked: Array<Record<string, unknown>> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`/api/jobs/${running}/images?limit=90${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      walked.push(...(page.body.images as Array<Record<string, unknown>>));
      cursor = page.body.next_cursor as string | null;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(walked.map((image) => image.url)).toEqual(urls);
    expect(walked[0]).toEqual({
      url: urls[0],
      store_id: KNOWN_STORE,
      visit_time: '2024-01-21T16:23:40.898Z',
      status: 'succeeded',
      width: 640,
      height: 480,
      perimeter: 2240,
      attempts: 1,
    });
    expect(walked[1]).toEqual({
      url: gateUrl,
      store_id: KNOWN_STORE,
      visit_time: '2024-01-21T16:23:40.898Z',
      status: 'pending',
      width: null,
      height: null,
      perimeter: null,
      attempts: 0,
    });
    expect((await get(`/api/jobs/${running}/images?limit=1001`)).status).toBe(400);
    expect((await get(`/api/jobs/${running}/images?cursor=bogus`)).status).toBe(400);

    // A second outcome of an image already measured, under another event id (processed again after
    // a crash): logged, folded, and counted nowhere — the job must not settle on it.
    const before = await projectionHealth();
    const again: ImageFailed = {
      eventId: 'jobs-e2e-processed-again',
      type: 'ImageFailed',
      version: 1,
      metadata: { correlationId: String(running), occurredAt: new Date().toISOString() },
      data: {
        jobId: running,
        imageId: imageIdOf(running, 0, 0),
        visitIndex: 0,
        imageIndex: 0,
        storeId: KNOWN_STORE,
        visitTime: '2024-01-21T16:23:40.898Z',
        url: urls[0]!,
        kind: 'download',
        reason: 'connection reset',
        attempts: 1,
      },
    };
    const connection = await amqp.connect(environment.amqpUrl);
    const channel = await connection.createConfirmChannel();
    channel.publish(environment.topology.names.eventsExchange, 'ImageFailed', Buffer.from(JSON.stringify(again)), {
      persistent: true,
    });
    await channel.waitForConfirms();
    await connection.close();
    await until(async () => (await projectionHealth()).eventsFolded > before.eventsFolded, {
      what: 'the second outcome folded',
    });
    expect((await get(`/api/jobs/${running}`)).text).toBe(ongoing.text);
    expect((await get(`/api/status?jobid=${running}`)).text).toBe(`{"status":"ongoing","job_id":${running}}`);

    // The listing: newest first, filtered by status.
    const listed = await get('/api/jobs');
    expect((listed.body.jobs as Array<{ job_id: number }>).map((job) => job.job_id)).toEqual([failing, running]);
    expect((await get('/api/jobs?status=ongoing')).body).toEqual({
      jobs: [
        {
          job_id: running,
          status: 'ongoing',
          images: { total: 252, succeeded: 251, failed: 0, pending: 1 },
          submitted_at: ongoing.body.submitted_at,
        },
      ],
      next_cursor: null,
    });
    const failedList = await get('/api/jobs?status=failed&limit=1');
    expect(failedList.body.jobs).toEqual([
      expect.objectContaining({
        job_id: failing,
        status: 'failed',
        images: { total: 1, succeeded: 0, failed: 1, pending: 0 },
      }),
    ]);
    expect((await get('/api/jobs?status=done')).status).toBe(400);
    expect((await get('/api/jobs/424242')).status).toBe(404);
    expect((await get('/api/jobs/x1')).status).toBe(400);

    // Its live progress through the gateway, as a dashboard follows it: ongoing, one image held.
    const events = await openEventStream(`${stack.baseUrl}/api/jobs/${running}/events`);
    expect(events.contentType).toBe('text/event-stream; charset=utf-8');
    const first = await events.next();
    expect({ id: first?.id, ...JSON.parse(first!.data) }).toMatchObject({
      id: '251',
      status: 'ongoing',
      images: { total: 252, succeeded: 251, pending: 1 },
    });

    // Open the gate: the job settles, completed.
    open = true;
    for (const response of held) response.writeHead(200, { 'content-type': 'image/jpeg' }).end(await heldBody());
    held = [];
    expect(await waitForTerminal(stack, running)).toEqual({ status: 'completed', job_id: running });
    const streamed: Array<Record<string, unknown>> = [];
    for (let event = await events.next(); event; event = await events.next()) streamed.push(JSON.parse(event.data));
    const settled = await get(`/api/jobs/${running}`);
    expect(streamed).toEqual([settled.body]); // the last event is the settled detail, then the stream ends
    expect(settled.body).toMatchObject({
      status: 'completed',
      images: { total: 252, succeeded: 252, failed: 0, pending: 0 },
      settled_at: expect.any(String),
    });
    expect((await get('/api/jobs?status=completed')).body.jobs).toEqual([
      expect.objectContaining({ job_id: running, status: 'completed' }),
    ]);
  }, 180_000);

  it('answers byte for byte the same after npm run replay', async () => {
    const paths = [
      `/api/jobs/${running}`,
      `/api/jobs/${failing}`,
      `/api/jobs/${running}/images?limit=1000`,
      `/api/jobs/${failing}/images`,
      '/api/jobs',
      '/api/jobs?status=failed',
    ];
    const snapshot = () => Promise.all(paths.map(async (path) => `${path} ${(await get(path)).text}`));
    const before = await snapshot();
    const served = await new ProjectionState(environment.db).active();
    const stdout = await runReplay(environment);
    expect(stdout).toMatch(/rebuilt jobStatus, visits, jobs as generation \d+/);
    const now = await new ProjectionState(environment.db).active();
    expect(now.jobs).toBeGreaterThan(served.jobs);
    // The status API re-reads what is served every 500 ms.
    let after = await snapshot();
    await until(async () => JSON.stringify((after = await snapshot())) === JSON.stringify(before), {
      what: 'the rebuilt jobs model answering as before',
      timeoutMs: 10_000,
    }).catch(() => undefined);
    expect(after).toEqual(before);
  }, 120_000);
});

async function heldBody(): Promise<Buffer> {
  return Buffer.from(await (await fetch(images.url('/img/shelf.jpg'))).arrayBuffer());
}
