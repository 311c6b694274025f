import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import amqp from 'amqplib';
import { chromium } from 'playwright-core';
import { jobsFeedEventSchema, retailPulseOpenApi } from '@retail-pulse/shared/contracts/api';
import { startHeldImages, type HeldImages } from '../support/heldImages';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { DocumentedAnswers } from '../support/openapi';
import { openEventStream } from '../support/sse';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/**
 * Every documented route and answer, asked of the running stack through the gateway, each answer
 * checked against the document the gateway serves; then the reference page in Debian's Chromium.
 */
let environment: TestEnvironment;
let images: ImageServer;
let held: HeldImages;
let stack: Stack;
let answers: DocumentedAnswers;

beforeAll(async () => {
  // The dashboard's page is one of the routes: its build, made now if missing or stale.
  execFileSync('bash', ['infra/scripts/ensure-dashboard.sh'], { cwd: resolve(__dirname, '../..'), stdio: 'inherit' });
  environment = await createTestEnvironment('openapi');
  images = await startImageServer();
  held = await startHeldImages();
  stack = await startStack(environment, { IMAGE_MAX_ATTEMPTS: '1', MAX_VISITS_PER_JOB: '2' });
  const served = await fetch(`${stack.baseUrl}/openapi.json`);
  answers = new DocumentedAnswers((await served.json()) as Record<string, unknown>);
});

afterAll(async () => {
  held?.release();
  await stack?.stopAll();
  await held?.close();
  await images?.close();
  await environment?.cleanup();
});

interface Asked {
  status: number;
  body: unknown;
}

/** Asks the gateway, and checks the answer against the document's for `documented` (path template and method). */
async function ask(
  documented: { path: string; method: string } | { component: string },
  path: string,
  init: RequestInit = {},
): Promise<Asked> {
  const response = await fetch(`${stack.baseUrl}${path}`, init);
  const contentType = response.headers.get('content-type');
  const text = await response.text();
  const body = contentType?.startsWith('application/json') ? (JSON.parse(text) as unknown) : text;
  const answer =
    'component' in documented
      ? answers.componentAnswer(documented.component)
      : answers.answerOf(documented.path, documented.method, response.status);
  expect({
    path,
    status: response.status,
    problems: answers.problems(answer, { contentType, body, headers: response.headers }),
  }).toEqual({ path, status: response.status, problems: [] });
  return { status: response.status, body };
}

const submitRoute = { path: '/api/submit/', method: 'post' };
const statusRoute = { path: '/api/status', method: 'get' };
const visitsRoute = { path: '/api/visits', method: 'get' };
const jobsRoute = { path: '/api/jobs', method: 'get' };
const jobRoute = { path: '/api/jobs/{job_id}', method: 'get' };
const imagesRoute = { path: '/api/jobs/{job_id}/images', method: 'get' };
const eventsRoute = { path: '/api/jobs/{job_id}/events', method: 'get' };
const cancelRoute = { path: '/api/jobs/{job_id}/cancel', method: 'post' };
const retryRoute = { path: '/api/jobs/{job_id}/retry', method: 'post' };
const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
const visit = (storeId: string, urls: string[]) => ({
  store_id: storeId,
  image_url: urls,
  visit_time: '2024-02-11T10:00:00Z',
});

describe('the document the gateway serves', () => {
  it('is the one built from the schemas, and describes itself', async () => {
    const asked = await ask({ path: '/openapi.json', method: 'get' }, '/openapi.json');
    expect(asked.body).toEqual(retailPulseOpenApi());
  });
});

describe('every documented answer, from the running stack', () => {
  it('submit: 201 (and again with an Idempotency-Key), 400, 409, 413 and 415', async () => {
    const accepted = await ask(
      submitRoute,
      '/api/submit/',
      json({ count: 1, visits: [visit('S00339218', [images.url('/img/shelf.jpg')])] }),
    );
    expect(accepted.status).toBe(201);
    // With an Idempotency-Key, through the gateway: the same job again, then a 409 for another body.
    const body = { count: 1, visits: [visit('S00339218', [images.url('/img/shelf.jpg?keyed')])] };
    const withKey = (sent: unknown): RequestInit => ({
      ...json(sent),
      headers: { 'content-type': 'application/json', 'idempotency-key': `openapi-${environment.prefix}` },
    });
    const keyed = await ask(submitRoute, '/api/submit/', withKey(body));
    const replayed = await fetch(`${stack.baseUrl}/api/submit/`, withKey(body));
    expect([replayed.status, await replayed.json(), replayed.headers.get('idempotent-replayed')]).toEqual([
      201,
      keyed.body,
      'true',
    ]);
    const otherBody = await ask(
      submitRoute,
      '/api/submit/',
      withKey({ ...body, visits: [visit('S00339218', ['https://x.example/b.jpg'])] }),
    );
    expect(otherBody.status).toBe(409);
    await ask(submitRoute, '/api/submit', json({ count: 3, visits: [] }));
    const notJson = await ask(submitRoute, '/api/submit/', { ...json({}), body: '{"count":' });
    expect(notJson).toEqual({ status: 400, body: { error: 'request body is not valid JSON' } });
    const three = [1, 2, 3].map(() => visit('S00339218', [images.url('/img/shelf.jpg')]));
    expect((await ask(submitRoute, '/api/submit/', json({ count: 3, visits: three }))).status).toBe(413);
    const text = await ask(submitRoute, '/api/submit/', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(text.status).toBe(415);
    const encoded = await ask(submitRoute, '/api/submit/', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'zstd' },
      body: gzipSync('{}'),
    });
    expect(encoded.status).toBe(415);
  });

  it('status: ongoing or completed, failed, and 400 {} for an unknown job', async () => {
    const ok = (
      await ask(
        submitRoute,
        '/api/submit/',
        json({ count: 1, visits: [visit('S00339218', [images.url('/img/shelf.jpg')])] }),
      )
    ).body as { job_id: number };
    expect((await ask(statusRoute, `/api/status?jobid=${ok.job_id}`)).status).toBe(200);
    await waitForTerminal(stack, ok.job_id);
    expect((await ask(statusRoute, `/api/status?jobid=${ok.job_id}`)).body).toEqual({
      status: 'completed',
      job_id: ok.job_id,
    });

    const bad = (
      await ask(
        submitRoute,
        '/api/submit/',
        json({ count: 1, visits: [visit('S99999999', [images.url('/img/shelf.jpg')])] }),
      )
    ).body as { job_id: number };
    await waitForTerminal(stack, bad.job_id);
    const failed = await ask(statusRoute, `/api/status?jobid=${bad.job_id}`);
    expect(failed.body).toMatchObject({ status: 'failed', error: [{ store_id: 'S99999999' }] });

    expect(await ask(statusRoute, '/api/status?jobid=999999999')).toEqual({ status: 400, body: {} });
    expect(await ask(statusRoute, '/api/status?jobid=abc')).toEqual({ status: 400, body: {} });
    expect((await ask(statusRoute, '/api/status/?jobid=1&generation=nope')).status).toBe(400);
  });

  it('visits: 200 and 400', async () => {
    const found = await ask(visitsRoute, '/api/visits?area=7100015&startdate=2024-02-11&enddate=2024-02-11');
    expect((found.body as { results: unknown[] }).results.length).toBeGreaterThan(0);
    expect((await ask(visitsRoute, '/api/visits/?area=123')).body).toEqual({ error: 'unknown area: 123' });
    expect((await ask(visitsRoute, '/api/visits?enddate=tomorrow')).status).toBe(400);
  });

  it('jobs: a listing, a detail and an images page, their 400s and 404s', async () => {
    const urls = ['/img/shelf.jpg', '/img/front.png', '/img/missing.jpg'].map((path) => images.url(path));
    const { job_id: jobId } = (
      await ask(submitRoute, '/api/submit/', json({ count: 1, visits: [visit('S00339218', urls)] }))
    ).body as { job_id: number };
    await waitForTerminal(stack, jobId);
    const detail = await ask(jobRoute, `/api/jobs/${jobId}`);
    expect(detail.body).toMatchObject({ job_id: jobId, status: 'failed', images: { total: 3, failed: 1 } });
    const page = await ask(imagesRoute, `/api/jobs/${jobId}/images?limit=2`);
    const { next_cursor: cursor } = page.body as { next_cursor: string };
    const rest = await ask(imagesRoute, `/api/jobs/${jobId}/images?limit=2&cursor=${encodeURIComponent(cursor)}`);
    expect(rest.body).toMatchObject({ images: [{ status: 'failed', perimeter: null }], next_cursor: null });
    const listed = await ask(jobsRoute, '/api/jobs?status=failed&limit=5');
    expect((listed.body as { jobs: Array<{ job_id: number }> }).jobs.map((job) => job.job_id)).toContain(jobId);

    const streamed = await ask(eventsRoute, `/api/jobs/${jobId}/events`);
    expect(streamed.status).toBe(200);
    expect(streamed.body).toContain(`data: ${JSON.stringify(detail.body)}`);
    expect((await ask(eventsRoute, `/api/jobs/${jobId}/events`, { headers: { 'last-event-id': '3' } })).status).toBe(
      204,
    );
    expect((await ask(eventsRoute, '/api/jobs/999999999/events')).status).toBe(404);
    expect((await ask(jobRoute, '/api/jobs/999999999')).status).toBe(404);
    expect((await ask(jobRoute, '/api/jobs/abc')).status).toBe(400);
    expect((await ask(imagesRoute, `/api/jobs/${jobId}/images?limit=5000`)).status).toBe(400);
    expect((await ask(imagesRoute, '/api/jobs/999999999/images')).status).toBe(404);
    expect((await ask(jobsRoute, '/api/jobs?status=lost')).status).toBe(400);
  });

  it('operations: the pipeline, the store master, the read models, dead letters and a re-drive, the live list', async () => {
    const pipeline = await ask({ path: '/api/ops/pipeline', method: 'get' }, '/api/ops/pipeline');
    expect((pipeline.body as { sources: Array<{ name: string }> }).sources.map((source) => source.name)).toEqual([
      'ingest',
      'projection',
      'image-processor',
      'rabbitmq',
    ]);
    const storeMaster = await ask({ path: '/api/ops/store-master', method: 'get' }, '/api/ops/store-master');
    expect(storeMaster.body).toMatchObject({ stores: 12, areas: 2 });
    expect((await ask({ path: '/api/ops/read-models', method: 'get' }, '/api/ops/read-models/')).status).toBe(200);

    // A malformed request on the work queue: the image-processor refuses it to the dead-letter queue.
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish(environment.topology.names.workExchange, 'ImageRequested', Buffer.from('{}'), {
        messageId: 'openapi-poison',
        persistent: true,
      });
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    const lettersRoute = { path: '/api/ops/dead-letters', method: 'get' };
    let letters = await ask(lettersRoute, '/api/ops/dead-letters');
    for (let tries = 0; (letters.body as { count: number }).count === 0 && tries < 100; tries++) {
      await new Promise((wait) => setTimeout(wait, 100));
      letters = await ask(lettersRoute, '/api/ops/dead-letters');
    }
    expect(letters.body).toMatchObject({ count: 1, letters: [{ message_id: 'openapi-poison' }] });
    expect((await ask(lettersRoute, '/api/ops/dead-letters?limit=0')).status).toBe(400);
    const redriveRoute = { path: '/api/ops/dead-letters/redrive', method: 'post' };
    const redriven = await ask(redriveRoute, '/api/ops/dead-letters/redrive', json({ message_id: 'openapi-poison' }));
    expect(redriven.body).toMatchObject({ found: 1, redriven: 1 });
    expect((await ask(redriveRoute, '/api/ops/dead-letters/redrive', json({ message_id: 'nobody' }))).status).toBe(404);
    expect((await ask(redriveRoute, '/api/ops/dead-letters/redrive/', json({ queue: 'nowhere' }))).status).toBe(400);
    const text = { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' };
    expect((await ask(redriveRoute, '/api/ops/dead-letters/redrive', text)).status).toBe(415);

    // The live list: its first event holds the newest jobs, as the document says.
    const feed = await openEventStream(`${stack.baseUrl}/api/jobs/events`);
    const first = await feed.next();
    await feed.close();
    const documented = answers.answerOf('/api/jobs/events', 'get', 200);
    expect(
      answers.problems(documented, { contentType: feed.contentType, body: first!.data, headers: new Headers() }),
    ).toEqual([]);
    expect(jobsFeedEventSchema.parse(JSON.parse(first!.data)).jobs.length).toBeGreaterThan(0);
  });

  it('cancel: 202, then 409 once settled, 404 and 400; retry: 201, 409, 404 and 400', async () => {
    const { job_id: jobId } = (
      await ask(
        submitRoute,
        '/api/submit/',
        json({ count: 1, visits: [visit('S00339218', [held.url('openapi.jpg')])] }),
      )
    ).body as { job_id: number };
    const post = { method: 'POST' };
    expect(await ask(cancelRoute, `/api/jobs/${jobId}/cancel`, post)).toEqual({ status: 202, body: { job_id: jobId } });
    expect(await waitForTerminal(stack, jobId)).toEqual({
      status: 'failed',
      job_id: jobId,
      error: [{ store_id: 'S00339218', error: 'cancelled' }],
    });
    const cancelled = await ask(imagesRoute, `/api/jobs/${jobId}/images`);
    expect(cancelled.body).toMatchObject({ images: [{ status: 'cancelled', error: 'cancelled' }] });
    expect((await ask(jobRoute, `/api/jobs/${jobId}`)).body).toMatchObject({ cancelled_at: expect.any(String) });
    expect((await ask(cancelRoute, `/api/jobs/${jobId}/cancel`, post)).status).toBe(409);
    expect((await ask(cancelRoute, '/api/jobs/999999999/cancel', post)).status).toBe(404);
    expect((await ask(cancelRoute, '/api/jobs/abc/cancel', post)).status).toBe(400);

    // Retried: a new job of its failed image, named in the detail; a completed job is a 409.
    held.release();
    const withKey = { method: 'POST', headers: { 'idempotency-key': `openapi-retry-${environment.prefix}` } };
    const retried = await ask(retryRoute, `/api/jobs/${jobId}/retry`, withKey);
    expect(retried).toEqual({ status: 201, body: { job_id: expect.any(Number), retry_of: jobId } });
    const { job_id: retryId } = retried.body as { job_id: number };
    expect(await waitForTerminal(stack, retryId)).toEqual({ status: 'completed', job_id: retryId });
    expect((await ask(jobRoute, `/api/jobs/${retryId}`)).body).toMatchObject({ retry_of: jobId });
    expect((await ask(retryRoute, `/api/jobs/${retryId}/retry`, post)).status).toBe(409);
    expect((await ask(retryRoute, '/api/jobs/999999999/retry', post)).status).toBe(404);
    expect((await ask(retryRoute, '/api/jobs/abc/retry', post)).status).toBe(400);
  });

  it('the gateway: 404 and 405, the page and its files', async () => {
    expect((await ask({ component: 'NotFound' }, '/api/unknown')).status).toBe(404);
    const refused = await ask({ component: 'MethodNotAllowed' }, '/api/status', { method: 'DELETE' });
    expect(refused.status).toBe(405);
    expect((await ask({ component: 'MethodNotAllowed' }, '/openapi.json', { method: 'POST' })).status).toBe(405);
    expect((await ask({ path: '/docs', method: 'get' }, '/docs')).status).toBe(200);
    expect((await ask({ path: '/docs/{file}', method: 'get' }, '/docs/swagger-ui.css')).status).toBe(200);
    expect((await ask({ path: '/docs/{file}', method: 'get' }, '/docs/nothing.js')).status).toBe(404);
    const dashboard = await ask({ path: '/', method: 'get' }, '/');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(dashboard.body as string)?.[1];
    expect((await ask({ path: '/assets/{file}', method: 'get' }, script!)).status).toBe(200);
    expect((await ask({ path: '/assets/{file}', method: 'get' }, '/assets/nothing.js')).status).toBe(404);
  });
});

describe('the reference page', () => {
  it('renders every route in a real browser, offline, without console errors', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('pageerror', (error) => problems.push(error.message));
      // Anything the page fetches from elsewhere than the gateway fails the test: it must work offline.
      page.on('request', (request) => {
        if (!request.url().startsWith(stack.baseUrl) && !request.url().startsWith('data:'))
          problems.push(request.url());
      });
      await page.goto(`${stack.baseUrl}/docs`);
      await page.locator('.opblock').first().waitFor();
      const shown = await page.locator('.opblock-summary-path').allInnerTexts();
      expect(shown.map((path) => path.replace(/\u200b/g, '').trim()).sort()).toEqual([
        '/',
        '/api/jobs',
        '/api/jobs/events',
        '/api/jobs/{job_id}',
        '/api/jobs/{job_id}/cancel',
        '/api/jobs/{job_id}/events',
        '/api/jobs/{job_id}/images',
        '/api/jobs/{job_id}/retry',
        '/api/ops/dead-letters',
        '/api/ops/dead-letters/redrive',
        '/api/ops/pipeline',
        '/api/ops/read-models',
        '/api/ops/store-master',
        '/api/status',
        '/api/submit/',
        '/api/visits',
        '/assets/{file}',
        '/docs',
        '/docs/{file}',
        '/openapi.json',
        // The job-settled webhook, under the document's webhooks.
        'jobSettled',
      ]);
      await page.locator('.opblock-summary-path', { hasText: '/api/status' }).first().click();
      await page.locator('.responses-table').first().waitFor();
      const dir = mkdtempSync(join(tmpdir(), 'rp-docs-'));
      await page.screenshot({ path: join(dir, 'docs.png'), fullPage: false });
      process.stdout.write(`[openapi e2e] screenshot of /docs: ${join(dir, 'docs.png')}\n`);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

describe('while the service behind is away', () => {
  it('submit, cancel and retry answer the documented 503', async () => {
    await stack.stop('ingest');
    const down = await ask(
      submitRoute,
      '/api/submit/',
      json({ count: 1, visits: [visit('S00339218', ['https://x.example/a.jpg'])] }),
    );
    expect(down).toEqual({ status: 503, body: { error: 'service temporarily unavailable; retry shortly' } });
    const cancel = await ask(cancelRoute, '/api/jobs/1/cancel', { method: 'POST' });
    expect(cancel).toEqual({ status: 503, body: { error: 'service temporarily unavailable; retry shortly' } });
    expect((await ask(retryRoute, '/api/jobs/1/retry', { method: 'POST' })).status).toBe(503);
    await stack.stop('status-api');
    expect((await ask(statusRoute, '/api/status?jobid=1')).status).toBe(503);
    expect((await ask(visitsRoute, '/api/visits')).status).toBe(503);
  });
});
