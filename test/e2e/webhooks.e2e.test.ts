import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listDeadLetters } from '@retail-pulse/shared/messaging';
import { collectionNames } from '@retail-pulse/shared/mongo';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { loggedEvents } from '../support/eventLog';
import { runReplay } from '../support/replayCli';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { DocumentedAnswers } from '../support/openapi';
import { describeStack, startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

/**
 * Job-settled webhooks on the running stack, to a real HTTP receiver in this test: the detail
 * POSTed once the job settles, signed with the secret over the exact bytes and equal to what
 * `GET /api/jobs/{id}` answers; a receiver failing first gets the same webhook again later, one
 * that always fails (or refuses, or sits at a refused address) ends in the dead-letter queue with
 * the reason; a processor killed mid-POST loses nothing; a replay calls nobody again; and a
 * submit without `callback_url` is what it always was.
 */
const SECRET = 'e2e-webhook-secret-0f3c9a71d2';
const KNOWN_STORE = 'S00339218';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: Record<string, unknown>;
}

let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Requests to /hold/… that the receiver has not answered (it answers the later ones). */
const held: ServerResponse[] = [];

/**
 * The receiver: /ok/… answers 200, /flaky/… 503 the first time and 204 after, /down/… always 500,
 * /gone/… 410, /hold/… holds the first request unanswered and answers 200 after.
 */
function startReceiver(): Promise<void> {
  const seen = new Map<string, number>();
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, raw, body: JSON.parse(raw.toString('utf8')) });
      const count = (seen.get(path) ?? 0) + 1;
      seen.set(path, count);
      const kind = path.split('/')[1];
      if (kind === 'hold' && count === 1) return void held.push(response);
      const status = { ok: 200, flaky: count === 1 ? 503 : 204, down: 500, gone: 410, hold: 200 }[kind ?? ''] ?? 404;
      response.writeHead(status, { 'content-type': 'application/json' }).end(status === 204 ? undefined : '{}');
    });
  });
  return new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
}

beforeAll(async () => {
  environment = await createTestEnvironment('webhooks-e2e');
  images = await startImageServer();
  await startReceiver();
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startStack(environment, {
    WEBHOOK_SECRET: SECRET,
    // One retry: a receiver that is down is dead-lettered after its second attempt (2.5–5 s later).
    WEBHOOK_MAX_ATTEMPTS: '2',
    IMAGE_MAX_ATTEMPTS: '1',
  });
}, 120_000);

afterAll(async () => {
  for (const response of held) response.destroy();
  await stack?.stopAll();
  await images?.close();
  await new Promise((resolve) => receiver?.close(resolve));
  await environment?.cleanup();
});

async function submit(body: Record<string, unknown>): Promise<number> {
  const response = await fetch(`${stack.baseUrl}/api/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect({ status: response.status, text }).toEqual({ status: 201, text: expect.any(String) });
  return (JSON.parse(text) as { job_id: number }).job_id;
}

/** A job of one visit: images that are measured, or with `failing`, one that is missing too. */
const aJob = (callbackPath?: string, failing = false) => ({
  count: 1,
  visits: [
    {
      store_id: KNOWN_STORE,
      image_url: [images.url('/img/shelf.jpg'), ...(failing ? [images.url('/img/missing.jpg')] : [])],
      visit_time: '2024-01-21T16:23:40.898Z',
    },
  ],
  ...(callbackPath ? { callback_url: `${receiverUrl}${callbackPath}` } : {}),
});

const deliveriesTo = (path: string) => received.filter((request) => request.path === path);

async function waitForDeliveries(path: string, count: number): Promise<Received[]> {
  await until(() => deliveriesTo(path).length >= count, {
    what: `${count} webhook(s) at ${path}`,
    timeoutMs: 60_000,
  }).catch(async (error: unknown) => {
    throw new Error(`${String(error)}\n${await describeStack(stack)}`);
  });
  return deliveriesTo(path);
}

async function jobDetail(jobId: number): Promise<unknown> {
  const response = await fetch(`${stack.baseUrl}/api/jobs/${jobId}`);
  expect(response.status).toBe(200);
  return response.json();
}

/** What a receiver does first: the signature of the bytes as they arrived, compared in constant time. */
function verifies(request: Received, secret = SECRET): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(request.raw).digest('hex')}`);
  const given = Buffer.from(String(request.headers['x-rp-signature'] ?? ''));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The webhook dead letters, by webhook id. */
async function webhookDeadLetters(): Promise<Map<string, string>> {
  const letters = await listDeadLetters(environment.amqpUrl, environment.topology, 100);
  return new Map(
    letters
      .filter((letter) => letter.queue === environment.topology.names.webhooksQueue)
      .map((letter) => [letter.messageId ?? '', letter.reason]),
  );
}

describe('job-settled webhooks on the running stack', () => {
  it('POSTs the settled job detail, signed over the exact bytes, equal to GET /api/jobs/{id}', async () => {
    const jobId = await submit(aJob('/ok/completed'));
    const [delivery] = await waitForDeliveries('/ok/completed', 1);
    expect(verifies(delivery!)).toBe(true);
    expect(verifies(delivery!, `${SECRET}-not`)).toBe(false);
    expect(delivery!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-rp-event': 'job.settled',
      'x-rp-delivery-attempt': '1',
      'x-rp-webhook-id': delivery!.body.webhook_id,
    });
    const { webhook_id: webhookId, ...detail } = delivery!.body;
    expect(webhookId).toMatch(/^[0-9a-f-]{36}$/);
    expect(detail).toEqual(await jobDetail(jobId));
    expect(detail).toMatchObject({ job_id: jobId, status: 'completed', settled_at: expect.any(String) });

    // The body is what the API document says a job-settled webhook is.
    const document = (await (await fetch(`${stack.baseUrl}/openapi.json`)).json()) as {
      webhooks: { jobSettled: { post: { requestBody: { content: Record<string, unknown> } } } };
    };
    const answers = new DocumentedAnswers(document);
    const documented = { content: document.webhooks.jobSettled.post.requestBody.content };
    expect(
      answers.problems(documented, { contentType: 'application/json', body: delivery!.body, headers: new Headers() }),
    ).toEqual([]);
  }, 90_000);

  it('gives a receiver that fails first the same webhook again later; failed jobs are announced too', async () => {
    const jobId = await submit(aJob('/flaky/failed', true));
    const [first, second] = await waitForDeliveries('/flaky/failed', 2);
    expect([first!.headers['x-rp-delivery-attempt'], second!.headers['x-rp-delivery-attempt']]).toEqual(['1', '2']);
    // The same notice: same id, same bytes, same signature.
    expect(second!.raw.equals(first!.raw)).toBe(true);
    expect(second!.headers['x-rp-signature']).toBe(first!.headers['x-rp-signature']);
    expect(verifies(second!)).toBe(true);
    const { webhook_id: _id, ...detail } = second!.body;
    expect(detail).toEqual(await jobDetail(jobId));
    expect(detail).toMatchObject({ status: 'failed', images: { total: 2, succeeded: 1, failed: 1, pending: 0 } });
  }, 90_000);

  it('dead-letters a webhook its receiver keeps failing, refuses, or that names a refused address', async () => {
    await submit(aJob('/down/always'));
    await submit(aJob('/gone/refused'));
    // Loopback is allowed in tests (IMAGE_ALLOW_PRIVATE_NETWORKS), cloud metadata never is.
    const metadataJob = await submit({ ...aJob(), callback_url: 'http://169.254.169.254/latest/hook' });
    const down = await waitForDeliveries('/down/always', 2);
    const [gone] = await waitForDeliveries('/gone/refused', 1);
    const ids = {
      down: String(down[0]!.body.webhook_id),
      gone: String(gone!.body.webhook_id),
    };
    let letters = new Map<string, string>();
    await until(
      async () => {
        letters = await webhookDeadLetters();
        return letters.size >= 3;
      },
      { what: 'three webhook dead letters', timeoutMs: 60_000 },
    );
    expect(letters.get(ids.down)).toBe(
      `webhook not delivered: HTTP 500 from ${receiverUrl}/down/always (after 2 attempts)`,
    );
    expect(letters.get(ids.gone)).toBe(
      `webhook not delivered: HTTP 410 from ${receiverUrl}/gone/refused (final: not retried)`,
    );
    expect([...letters.values()]).toContain(
      'webhook not delivered: refusing to call back a private or reserved address: http://169.254.169.254/latest/hook (final: not retried)',
    );
    expect(deliveriesTo('/down/always')).toHaveLength(2);
    expect(deliveriesTo('/gone/refused')).toHaveLength(1);
    expect(await waitForTerminal(stack, metadataJob)).toMatchObject({ status: 'completed' });

    const metrics = await (await fetch(`http://127.0.0.1:${stack.ports['image-processor']}/metrics`)).text();
    expect(metrics).toMatch(/^rp_webhooks_failed_total\{cause="http_5xx"\} 1$/m);
    expect(metrics).toMatch(/^rp_webhooks_failed_total\{cause="http_4xx"\} 1$/m);
    expect(metrics).toMatch(/^rp_webhooks_failed_total\{cause="forbidden_address"\} 1$/m);
    expect(metrics).toMatch(/^rp_webhook_retries_total\{cause="http_5xx"\} 2$/m);
    expect(metrics).toMatch(/^rp_webhooks_delivered_total 2$/m);
  }, 120_000);

  it('loses nothing when the processor is killed mid-POST: the same webhook comes again', async () => {
    await submit(aJob('/hold/crash'));
    const [first] = await waitForDeliveries('/hold/crash', 1);
    await stack.stop('image-processor', 'SIGKILL');
    await stack.start('image-processor');
    const [, again] = await waitForDeliveries('/hold/crash', 2);
    expect(again!.raw.equals(first!.raw)).toBe(true);
    // A redelivery of the same attempt, not a retry: the attempt number stays.
    expect(again!.headers['x-rp-delivery-attempt']).toBe('1');
    expect(verifies(again!)).toBe(true);
  }, 120_000);

  it('calls nobody again when npm run replay rebuilds the read models', async () => {
    const state = new ProjectionState(environment.db);
    const mark = await state.webhooksThrough();
    const before = received.map((request) => request.body.webhook_id);
    const served = await state.active();
    const stdout = await runReplay(environment);
    expect(stdout).toMatch(/rebuilt jobStatus, visits, jobs as generation \d+/);
    expect((await state.active()).jobs).toBeGreaterThan(served.jobs);
    // The switch folded every settled job into the new generation, and stored no webhook for any.
    expect(await state.webhooksThrough()).toBe(mark);
    expect(await environment.db.collection(collectionNames.webhookOutbox).countDocuments({})).toBe(0);

    // A job settling now is announced, and only it: no old webhook came again meanwhile.
    const jobId = await submit(aJob('/ok/after-replay'));
    const [delivery] = await waitForDeliveries('/ok/after-replay', 1);
    expect(delivery!.body).toMatchObject({ job_id: jobId, status: 'completed' });
    const after = received.map((request) => request.body.webhook_id);
    expect(after).toEqual([...before, delivery!.body.webhook_id]);
  }, 120_000);

  it('leaves a submit without callback_url as it was: nothing stored for it, no webhook', async () => {
    const jobId = await submit(aJob());
    expect(await waitForTerminal(stack, jobId)).toEqual({ status: 'completed', job_id: jobId });
    const logged = (await loggedEvents(environment.db)).find(
      ({ event }) => event.type === 'JobSubmitted' && event.data.jobId === jobId,
    );
    expect(logged?.event.data).not.toHaveProperty('callbackUrl');
    expect(Object.keys((await jobDetail(jobId)) as object).sort()).toEqual(
      ['images', 'job_id', 'settled_at', 'status', 'submitted_at', 'visits'].sort(),
    );
    // Every webhook the projection handed over was for a job that named a callback URL.
    const metrics = await (await fetch(`http://127.0.0.1:${stack.ports.projection}/metrics`)).text();
    const requested = Number(/^rp_webhooks_requested_total (\d+)$/m.exec(metrics)?.[1]);
    expect(requested).toBe(new Set(received.map((request) => request.body.webhook_id)).size + 1);
    expect(received.some((request) => request.body.job_id === jobId)).toBe(false);
  }, 90_000);
});
