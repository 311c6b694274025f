import { loggedCount } from '../support/eventLog';
import { HELD_IMAGE, startHeldImages, type HeldImages } from '../support/heldImages';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

/**
 * Cancelling and retrying jobs on the running stack, through the gateway. The image-processor
 * takes two images at a time, so a job whose downloads are held by the test has images in flight
 * and images still queued when it is cancelled: the queued ones must be dropped unseen, the ones
 * in flight must change nothing when they finish, and what was measured before stays.
 */
let environment: TestEnvironment;
let images: ImageServer;
let held: HeldImages;
let stack: Stack;

const UNKNOWN_STORE = 'S99999999';
const KNOWN_STORE = 'S00339218';
const OTHER_STORE = 'S01408764';

beforeAll(async () => {
  environment = await createTestEnvironment('cancel-retry');
  images = await startImageServer();
  held = await startHeldImages();
  stack = await startStack(environment, { IMAGE_MAX_ATTEMPTS: '1', IMAGE_CONCURRENCY: '2' });
});

afterAll(async () => {
  held?.release();
  await stack?.stopAll();
  await held?.close();
  await images?.close();
  await environment?.cleanup();
});

async function call(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; replayed?: string }> {
  const response = await fetch(`${stack.baseUrl}${path}`, { method, headers });
  const replayed = response.headers.get('idempotent-replayed');
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    ...(replayed ? { replayed } : {}),
  };
}
const get = (path: string) => call('GET', path);
const post = (path: string, headers: Record<string, string> = {}) => call('POST', path, headers);

type Visit = { store_id: string; image_url: string[]; visit_time: string };

async function submit(visits: Visit[]): Promise<number> {
  const response = await fetch(`${stack.baseUrl}/api/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ count: visits.length, visits }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { job_id: number }).job_id;
}

/** A sample of the image-processor's /metrics (0 when the series has none yet). */
async function processorMetric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${stack.ports['image-processor']}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

const processorHealth = async () =>
  (await (await fetch(`http://127.0.0.1:${stack.ports['image-processor']}/health`)).json()) as {
    settledJobs: { remembered: number };
  };

/** The job cancelled below, and its visits: retried further down. */
let cancelled: number;
const visits: Visit[] = [];

describe('cancelling a job on the running stack', () => {
  it('drops what was not processed, keeps what was, settles failed with the visits cancelled', async () => {
    visits.push(
      { store_id: UNKNOWN_STORE, image_url: [images.url('/img/front.png')], visit_time: '2024-03-01T08:00:00.000Z' },
      {
        store_id: KNOWN_STORE,
        image_url: [images.url('/img/shelf.jpg?cancel'), held.url('a1.jpg'), held.url('a2.jpg')],
        visit_time: '2024-03-02T09:00:00.000Z',
      },
      {
        store_id: OTHER_STORE,
        image_url: ['b1', 'b2', 'b3', 'b4', 'b5'].map((name) => held.url(`${name}.jpg`)),
        visit_time: '2024-03-03T10:00:00.000Z',
      },
    );
    cancelled = await submit(visits);
    // The unknown store fails, shelf.jpg is measured, two held downloads fill the processor; five wait queued.
    await until(
      async () => {
        const { body } = await get(`/api/jobs/${cancelled}`);
        return held.waiting() === 2 && (body.images as { pending: number } | undefined)?.pending === 7;
      },
      { what: 'two downloads held, the first two images settled' },
    );
    const droppedBefore = await processorMetric('rp_image_requests_dropped_total');

    expect(await post(`/api/jobs/${cancelled}/cancel`)).toEqual({ status: 202, body: { job_id: cancelled } });
    expect(await waitForTerminal(stack, cancelled)).toEqual({
      status: 'failed',
      job_id: cancelled,
      error: [
        { store_id: UNKNOWN_STORE, error: `unknown store_id ${UNKNOWN_STORE}` },
        { store_id: KNOWN_STORE, error: 'cancelled' },
        { store_id: OTHER_STORE, error: 'cancelled' },
      ],
    });
    const settled = await get(`/api/jobs/${cancelled}`);

    // The processor learns of it from the settled-jobs feed; then the held downloads finish.
    await until(async () => (await processorHealth()).settledJobs.remembered > 0, { what: 'the processor told' });
    held.release();
    await until(async () => (await processorMetric('rp_image_requests_dropped_total')) === droppedBefore + 5, {
      what: 'the five queued requests dropped',
    });
    expect(held.requests()).toBe(2);
    // The two measured after the cancellation are in the log, and count nowhere.
    await until(async () => (await loggedCount(environment.db, cancelled, 'ImageProcessed')) === 3, {
      what: 'the held images measured',
    });
    expect(await loggedCount(environment.db, cancelled, 'JobCancelled')).toBe(1);
    expect(await get(`/api/jobs/${cancelled}`)).toEqual(settled);
    expect(settled.body).toEqual({
      job_id: cancelled,
      status: 'failed',
      images: { total: 9, succeeded: 1, failed: 8, pending: 0 },
      submitted_at: expect.any(String),
      settled_at: settled.body.cancelled_at,
      cancelled_at: expect.any(String),
      visits: [
        {
          store_id: UNKNOWN_STORE,
          visit_time: visits[0]!.visit_time,
          images: { total: 1, succeeded: 0, failed: 1, pending: 0 },
        },
        {
          store_id: KNOWN_STORE,
          visit_time: visits[1]!.visit_time,
          images: { total: 3, succeeded: 1, failed: 2, pending: 0 },
        },
        {
          store_id: OTHER_STORE,
          visit_time: visits[2]!.visit_time,
          images: { total: 5, succeeded: 0, failed: 5, pending: 0 },
        },
      ],
    });
    const page = (await get(`/api/jobs/${cancelled}/images`)).body.images as Array<Record<string, unknown>>;
    expect(page.map((image) => [image.status, image.error ?? null])).toEqual([
      ['failed', `unknown store_id ${UNKNOWN_STORE}`],
      ['succeeded', null],
      ...Array(7).fill(['cancelled', 'cancelled']),
    ]);
    expect(page[2]).toEqual({
      url: held.url('a1.jpg'),
      store_id: KNOWN_STORE,
      visit_time: visits[1]!.visit_time,
      status: 'cancelled',
      width: null,
      height: null,
      perimeter: null,
      error: 'cancelled',
      attempts: 0,
    });
    const listed = (await get('/api/jobs?status=failed')).body.jobs as Array<{ job_id: number }>;
    expect(listed.map((job) => job.job_id)).toContain(cancelled);
    // Visits hold the image measured before the cancellation, and neither held one measured after it.
    expect((await get(`/api/visits?storeid=${KNOWN_STORE}&startdate=2024-03-02&enddate=2024-03-02`)).body).toEqual({
      results: [
        {
          store_id: KNOWN_STORE,
          area: '7100015',
          store_name: expect.any(String),
          // shelf.jpg's alone: the held images, measured later, are of the same size.
          data: [{ date: '2024-03-02', perimeter: [HELD_IMAGE.perimeter] }],
        },
      ],
    });
    expect((await get(`/api/visits?storeid=${OTHER_STORE}&startdate=2024-03-03&enddate=2024-03-03`)).body).toEqual({
      results: [],
    });
  }, 120_000);

  it('answers 409 for a settled job, 404 for an unknown one, 400 for a malformed id', async () => {
    expect(await post(`/api/jobs/${cancelled}/cancel`)).toEqual({
      status: 409,
      body: { error: `job ${cancelled} has already settled (failed); only an ongoing job can be cancelled` },
    });
    const done = await submit([
      { store_id: KNOWN_STORE, image_url: [images.url('/img/front.png?done')], visit_time: '2024-03-04T10:00:00Z' },
    ]);
    expect(await waitForTerminal(stack, done)).toEqual({ status: 'completed', job_id: done });
    expect(await post(`/api/jobs/${done}/cancel/`)).toEqual({
      status: 409,
      body: { error: `job ${done} has already settled (completed); only an ongoing job can be cancelled` },
    });
    expect(await post('/api/jobs/424242/cancel')).toEqual({ status: 404, body: { error: 'no job 424242' } });
    expect(await post('/api/jobs/abc/cancel')).toEqual({
      status: 400,
      body: { error: 'job_id must be a positive integer' },
    });
    expect((await get(`/api/jobs/${done}/cancel`)).status).toBe(405);
  });
});

describe('retrying a failed job on the running stack', () => {
  let original: number;
  let retried: number;

  it('submits exactly its failed and cancelled images as a new job naming it; the original keeps its answer', async () => {
    original = cancelled;
    const status = await get(`/api/status?jobid=${original}`);
    const detail = await get(`/api/jobs/${original}`);
    const originalImages = (await get(`/api/jobs/${original}/images`)).body.images as Array<Record<string, unknown>>;

    const key = { 'Idempotency-Key': `retry-${environment.prefix}` };
    const accepted = await post(`/api/jobs/${original}/retry`, key);
    expect(accepted).toEqual({ status: 201, body: { job_id: expect.any(Number), retry_of: original } });
    retried = accepted.body.job_id as number;
    expect(await post(`/api/jobs/${original}/retry/`, key)).toEqual({ ...accepted, replayed: 'true' });
    expect(await waitForTerminal(stack, retried)).toEqual({
      status: 'failed',
      job_id: retried,
      error: [{ store_id: UNKNOWN_STORE, error: `unknown store_id ${UNKNOWN_STORE}` }],
    });
    const retry = await get(`/api/jobs/${retried}`);
    expect(retry.body).toMatchObject({
      job_id: retried,
      retry_of: original,
      status: 'failed',
      images: { total: 8, succeeded: 7, failed: 1, pending: 0 },
    });
    const failedBefore = originalImages.filter((image) => image.status !== 'succeeded');
    const counts = (total: number, succeeded: number) => ({ total, succeeded, failed: total - succeeded, pending: 0 });
    expect(retry.body.visits).toEqual([
      { store_id: UNKNOWN_STORE, visit_time: visits[0]!.visit_time, images: counts(1, 0) },
      { store_id: KNOWN_STORE, visit_time: visits[1]!.visit_time, images: counts(2, 2) },
      { store_id: OTHER_STORE, visit_time: visits[2]!.visit_time, images: counts(5, 5) },
    ]);
    const images = (await get(`/api/jobs/${retried}/images`)).body.images as Array<Record<string, unknown>>;
    expect(images.map(({ url, store_id, visit_time }) => ({ url, store_id, visit_time }))).toEqual(
      failedBefore.map(({ url, store_id, visit_time }) => ({ url, store_id, visit_time })),
    );
    // The original's answers are final; the retry adds its measured images to the visits.
    expect(await get(`/api/status?jobid=${original}`)).toEqual(status);
    expect(await get(`/api/jobs/${original}`)).toEqual(detail);
    expect(detail.body).not.toHaveProperty('retry_of');
    const measured = await get(`/api/visits?storeid=${KNOWN_STORE}&startdate=2024-03-02&enddate=2024-03-02`);
    expect((measured.body.results as Array<{ data: Array<{ perimeter: number[] }> }>)[0]!.data[0]!.perimeter).toEqual([
      HELD_IMAGE.perimeter,
      HELD_IMAGE.perimeter,
      HELD_IMAGE.perimeter,
    ]);
  }, 120_000);

  it('answers 409 for a job that is not failed, 404 for an unknown one, 400 for a malformed id', async () => {
    const stalled = await startHeldImages();
    try {
      const running = await submit([
        { store_id: KNOWN_STORE, image_url: [stalled.url('r.jpg')], visit_time: '2024-03-05T10:00:00Z' },
      ]);
      expect(await post(`/api/jobs/${running}/retry`)).toEqual({
        status: 409,
        body: { error: `job ${running} is ongoing; only a failed job can be retried` },
      });
      expect(await post(`/api/jobs/${running}/cancel`)).toMatchObject({ status: 202 });
      await waitForTerminal(stack, running);
    } finally {
      await stalled.close();
    }
    const done = await submit([
      { store_id: KNOWN_STORE, image_url: [images.url('/img/front.png?retry')], visit_time: '2024-03-06T10:00:00Z' },
    ]);
    expect(await waitForTerminal(stack, done)).toEqual({ status: 'completed', job_id: done });
    expect(await post(`/api/jobs/${done}/retry`)).toEqual({
      status: 409,
      body: { error: `job ${done} has completed; only a failed job can be retried` },
    });
    expect(await post('/api/jobs/424242/retry')).toEqual({ status: 404, body: { error: 'no job 424242' } });
    expect(await post('/api/jobs/-1/retry')).toEqual({
      status: 400,
      body: { error: 'job_id must be a positive integer' },
    });
    expect((await post(`/api/jobs/${retried}/retry`)).status).toBe(201); // a retry that failed is retried like any job
  });
});
