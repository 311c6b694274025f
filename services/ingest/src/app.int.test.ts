import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import amqp from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import { closeServer, listen } from '@retail-pulse/shared/http';
import { Broker } from '@retail-pulse/shared/messaging';
import { databaseProbe } from '@retail-pulse/shared/mongo';
import { Readiness, ServiceMetrics } from '@retail-pulse/shared/service';
import { RawConnection, rawRequest } from '../../../test/support/rawHttp';
import { takeSubmittedJobs } from '../../../test/support/queues';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createIngestApp } from './app';
import { JobStates } from './jobState';
import { JobIdAllocator } from './submitJob/jobIds';
import { SubmitMetrics } from './submitJob/metrics';
import { IDEMPOTENCY_WINDOW_MS, IdempotencyKeys } from './submitJob/idempotency';
import { JobReceipts } from './submitJob/receipts';
import { SubmissionPublisher } from './submitJob/submissions';

const logger = createLogger('ingest-test', 'silent' as 'info');
const limits = { maxVisitsPerJob: 100, maxImagesPerJob: 100, maxUrlLength: 2_048 };
const job = {
  count: 1,
  visits: [{ store_id: 'S00339218', image_url: ['https://images.example/a.jpg'], visit_time: '2024-01-21T16:23:40Z' }],
};

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('ingest');
});
afterEach(async () => {
  await environment.cleanup();
});

async function startIngest(
  broker: Broker,
  idempotency = new IdempotencyKeys(environment.db),
  webhooksEnabled = false,
): Promise<{ url: string; server: Server }> {
  const metrics = new ServiceMetrics();
  const app = createIngestApp({
    db: environment.db,
    broker,
    submissions: new SubmissionPublisher(broker),
    jobIds: new JobIdAllocator(environment.db, 10),
    receipts: new JobReceipts(environment.db),
    idempotency,
    jobStates: new JobStates(environment.db),
    limits,
    webhooksEnabled,
    maxBodyBytes: 64 * 1024,
    deadLetters: { amqpUrl: environment.amqpUrl, topology: environment.topology },
    metrics: new SubmitMetrics(metrics),
    health: {
      metrics,
      readiness: new Readiness(
        { database: { probe: databaseProbe(environment.db) }, broker: { probe: () => broker.connected } },
        logger,
      ),
    },
    logger,
  });
  const server = await listen(app, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const submit = (url: string, body: unknown) =>
  fetch(`${url}/api/submit/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('ingest on real RabbitMQ and MongoDB', () => {
  it('counts accepted jobs, and every request by route pattern and status, on /metrics', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await broker.start();
    const { url, server } = await startIngest(broker);
    try {
      expect((await submit(url, job)).status).toBe(201);
      expect((await submit(url, { ...job, count: 2 })).status).toBe(400);
      expect((await fetch(`${url}/api/submit/a/b?x=1`, { method: 'POST' })).status).toBe(404);
      const scrape = await fetch(`${url}/metrics`);
      expect(scrape.status).toBe(200);
      expect(scrape.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await scrape.text();
      expect(text).toMatch(/^rp_jobs_submitted_total 1$/m);
      expect(text).toMatch(/^rp_images_submitted_total 1$/m);
      expect(text).toMatch(/^rp_http_requests_total\{method="POST",route="\/api\/submit",status="201"\} 1$/m);
      expect(text).toMatch(/^rp_http_requests_total\{method="POST",route="\/api\/submit",status="400"\} 1$/m);
      expect(text).toMatch(/^rp_http_requests_total\{method="POST",route="unmatched",status="404"\} 1$/m);
      expect(text).not.toContain('/api/submit/a/b');
      expect(text).toMatch(
        /^rp_http_request_duration_seconds_count\{method="POST",route="\/api\/submit",status="201"\} 1$/m,
      );
      expect(text).toMatch(/^process_cpu_seconds_total /m);
      expect((await fetch(`${url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await closeServer(server);
      await broker.close();
    }
  });

  it('answers 201 only with the JobSubmitted event durably queued, and records a receipt', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await broker.start();
    const { url, server } = await startIngest(broker);
    try {
      const responses = await Promise.all([submit(url, job), submit(url, job), submit(url, job)]);
      expect(responses.map((response) => response.status)).toEqual([201, 201, 201]);
      const ids = (await Promise.all(responses.map((response) => response.json()))).map(
        (body) => (body as { job_id: number }).job_id,
      );
      expect(new Set(ids).size).toBe(3);
      ids.forEach((id) => expect(Number.isInteger(id)).toBe(true));

      const connection = await amqp.connect(environment.amqpUrl);
      const channel = await connection.createChannel();
      const queued: number[] = [];
      const messages = await takeSubmittedJobs(channel, environment.topology.names.dispatchQueue);
      for (const message of messages.filter(({ type }) => type === 'JobSubmitted')) {
        expect(message.messageId).toBe(message.jobs[0]!.eventId);
      }
      for (const event of messages.flatMap(({ jobs }) => jobs)) {
        expect(event.metadata.correlationId).toBe(String(event.data.jobId));
        expect(event.data.visits).toEqual([
          { storeId: 'S00339218', imageUrls: ['https://images.example/a.jpg'], visitTime: '2024-01-21T16:23:40Z' },
        ]);
        queued.push(event.data.jobId);
      }
      await connection.close();
      expect(queued.sort()).toEqual([...ids].sort());
      const receipts = await environment.db.collection('job_receipts').find({}).toArray();
      expect(receipts.map((receipt) => receipt._id).sort()).toEqual(ids.map(String).sort());
    } finally {
      await closeServer(server);
      await broker.close();
    }
  });

  it('carries a callback_url into JobSubmitted, and refuses one where webhooks are not configured', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await broker.start();
    const withWebhooks = await startIngest(broker, undefined, true);
    const withoutWebhooks = await startIngest(broker);
    const callbackUrl = 'https://receiver.example/hooks?source=rp';
    try {
      const refused = await submit(withoutWebhooks.url, { ...job, callback_url: callbackUrl });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toEqual({
        error: 'callback_url: webhooks are not configured on this installation (WEBHOOK_SECRET)',
      });
      const accepted = await submit(withWebhooks.url, { ...job, callback_url: callbackUrl });
      expect(accepted.status).toBe(201);
      const { job_id: jobId } = (await accepted.json()) as { job_id: number };
      expect((await submit(withWebhooks.url, job)).status).toBe(201);

      const connection = await amqp.connect(environment.amqpUrl);
      const channel = await connection.createChannel();
      const submitted = new Map<number, string | undefined>();
      for (const { jobs } of await takeSubmittedJobs(channel, environment.topology.names.dispatchQueue)) {
        for (const event of jobs) submitted.set(event.data.jobId, event.data.callbackUrl);
      }
      await connection.close();
      // Only the refused submit is missing; the job without a callback carries none.
      expect(submitted.size).toBe(2);
      expect(submitted.get(jobId)).toBe(callbackUrl);
      expect([...submitted.values()].filter((url) => url === undefined)).toHaveLength(1);
    } finally {
      await closeServer(withWebhooks.server);
      await closeServer(withoutWebhooks.server);
      await broker.close();
    }
  });

  it('answers 503 with Retry-After while RabbitMQ cannot take the job, and records nothing', async () => {
    const broker = new Broker('amqp://guest:guest@127.0.0.1:1', environment.topology, logger, {
      connectionName: 'ingest-test',
      publishWaitMs: 200,
    });
    void broker.start();
    const { url, server } = await startIngest(broker);
    try {
      const response = await submit(url, job);
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(await response.json()).toEqual({ error: 'the message broker is unavailable; retry shortly' });
      expect(await environment.db.collection('job_receipts').countDocuments({})).toBe(0);
      const ready = await fetch(`${url}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'unavailable',
        down: ['broker'],
        checks: { database: 'up', broker: 'down' },
      });
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
    } finally {
      await closeServer(server);
      await broker.close();
    }
  });

  it('answers a body it cannot decode with a 4xx naming the problem, and the connection carries the next submit', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await broker.start();
    const { url, server } = await startIngest(broker);
    const connection = await RawConnection.open(Number(new URL(url).port));
    try {
      const body = JSON.stringify(job);
      const post = (coding: string, content: Buffer | string) =>
        rawRequest(
          'POST',
          '/api/submit',
          {
            'Content-Type': 'application/json',
            'Content-Encoding': coding,
            'Content-Length': Buffer.byteLength(content),
          },
          content,
        );
      const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024, ' '));
      const cases: Array<[Buffer, number, string]> = [
        [post('gzip', body), 400, 'request body is not valid gzip data, as its Content-Encoding says'],
        [post('br', body), 400, 'request body is not valid br data, as its Content-Encoding says'],
        [post('zstd', body), 415, 'unsupported Content-Encoding: send gzip, deflate, br or none, one at most'],
        [post('gzip', bomb), 413, 'request body is too large once decoded (at most 65536 bytes)'],
        [post('identity', '{"count":'), 400, 'request body is not valid JSON'],
      ];
      for (const [index, [request, status, error]] of cases.entries()) {
        await connection.send([request]);
        const { responses } = await connection.waitFor(index + 1, 5_000);
        expect(responses[index]).toMatchObject({ status, body: JSON.stringify({ error }) });
      }
      await connection.send([post('BR', brotliCompressSync(body))]);
      const { responses } = await connection.waitFor(cases.length + 1, 5_000);
      expect(responses[cases.length]?.status).toBe(201);
    } finally {
      connection.close();
      await closeServer(server);
      await broker.close();
    }
  });
});

describe('submit with an Idempotency-Key', () => {
  const keyed = (url: string, key: string, body: unknown) =>
    fetch(`${url}/api/submit/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify(body),
    });
  const jobsPublished = async () => {
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      const channel = await connection.createChannel();
      return (await channel.checkQueue(environment.topology.names.dispatchQueue)).messageCount;
    } finally {
      await connection.close();
    }
  };

  it('answers the same job_id for the same body, across restarts and racing submits, and creates one job', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await broker.start();
    let ingest = await startIngest(broker);
    try {
      const first = await keyed(ingest.url, 'order-4711', job);
      expect(first.status).toBe(201);
      const { job_id: jobId } = (await first.json()) as { job_id: number };
      expect(first.headers.get('idempotent-replayed')).toBeNull();

      // The same job, its fields in another order: the same answer, marked as a replay.
      const reordered = { visits: job.visits, count: 1 };
      const again = await keyed(ingest.url, 'order-4711', reordered);
      expect([again.status, await again.json(), again.headers.get('idempotent-replayed')]).toEqual([
        201,
        { job_id: jobId },
        'true',
      ]);

      // Another body under the key: refused, naming the job the key stands for.
      const other = await keyed(ingest.url, 'order-4711', { ...job, visits: [{ ...job.visits[0], store_id: 'S1' }] });
      expect([other.status, await other.json()]).toEqual([
        409,
        { error: `this Idempotency-Key was used within 24 h for another body (job ${jobId})` },
      ]);

      // A restarted ingest knows the key.
      await closeServer(ingest.server);
      ingest = await startIngest(broker);
      expect(await (await keyed(ingest.url, 'order-4711', job)).json()).toEqual({ job_id: jobId });

      // Ten submits racing with a new key: one job.
      const raced = await Promise.all(Array.from({ length: 10 }, () => keyed(ingest.url, 'order-4712', job)));
      const ids = new Set(
        await Promise.all(raced.map(async (response) => ((await response.json()) as { job_id: number }).job_id)),
      );
      expect([raced.map((response) => response.status), ids.size]).toEqual([Array(10).fill(201), 1]);
      expect(ids.has(jobId)).toBe(false);
      expect(await jobsPublished()).toBe(2); // order-4711 and order-4712, once each

      // A malformed key is a 400 that creates nothing.
      const bad = await keyed(ingest.url, 'x'.repeat(256), job);
      expect([bad.status, await bad.json()]).toEqual([
        400,
        { error: 'Idempotency-Key must be 1 to 255 visible ASCII characters' },
      ]);
      expect(await jobsPublished()).toBe(2);
    } finally {
      await closeServer(ingest.server);
      await broker.close();
    }
  });

  it('stands for its job 24 h: after that the key makes a new one', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await broker.start();
    let now = Date.now();
    const ingest = await startIngest(broker, new IdempotencyKeys(environment.db, () => now));
    try {
      const first = ((await (await keyed(ingest.url, 'daily', job)).json()) as { job_id: number }).job_id;
      now += IDEMPOTENCY_WINDOW_MS - 1_000;
      expect(await (await keyed(ingest.url, 'daily', job)).json()).toEqual({ job_id: first });
      now += 2_000;
      const later = ((await (await keyed(ingest.url, 'daily', job)).json()) as { job_id: number }).job_id;
      expect(later).not.toBe(first);
      expect(await (await keyed(ingest.url, 'daily', job)).json()).toEqual({ job_id: later });
    } finally {
      await closeServer(ingest.server);
      await broker.close();
    }
  });
});

describe('dead letters over HTTP', () => {
  it('lists them with their reasons, re-drives one by message id, and refuses what it cannot do', async () => {
    const broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'ingest-test' });
    await broker.start();
    const { url, server } = await startIngest(broker);
    const { names } = environment.topology;
    const letter = (messageId: string, reason: string) =>
      broker.publishRaw(names.deadLetterExchange, '', Buffer.from(`{"url":"https://me:secret@x.example/a.jpg"}`), {
        messageId,
        headers: { 'x-rp-queue': names.imageRequestsQueue, 'x-rp-reason': reason },
      });
    const redrive = (body: unknown) =>
      fetch(`${url}/api/ops/dead-letters/redrive`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      await letter('poison-1', 'message failed validation: version: Invalid input: expected 1');
      await letter('poison-2', 'handler kept failing');
      const listed = await fetch(`${url}/api/ops/dead-letters?limit=10`);
      expect(listed.status).toBe(200);
      expect(await listed.json()).toEqual({
        queue: names.deadLetterQueue,
        count: 2,
        letters: [
          {
            message_id: 'poison-1',
            queue: names.imageRequestsQueue,
            reason: 'message failed validation: version: Invalid input: expected 1',
            dead_lettered_at: null,
            redriven: 0,
            preview: '{"url":"https://***@x.example/a.jpg"}',
          },
          expect.objectContaining({ message_id: 'poison-2', reason: 'handler kept failing' }),
        ],
      });

      const one = await redrive({ message_id: 'poison-2' });
      expect([one.status, await one.json()]).toEqual([
        200,
        { found: 2, redriven: 1, kept: { no_source_queue: 0, other_queue: 0, other_message: 1, redrive_limit: 0 } },
      ]);
      const channel = await connection.createChannel();
      const back = await channel.get(names.imageRequestsQueue, { noAck: true });
      expect(back && back.properties.messageId).toBe('poison-2');

      const unknown = await redrive({ message_id: 'poison-9' });
      expect([unknown.status, await unknown.json()]).toEqual([
        404,
        { error: 'no dead letter has message id poison-9' },
      ]);
      const wrongQueue = await redrive({ queue: 'rp.nowhere' });
      expect(wrongQueue.status).toBe(400);
      expect(((await wrongQueue.json()) as { error: string }).error).toMatch(/^queue must be one of /);
      expect((await redrive({ messageId: 'camelCase' })).status).toBe(400);
      const notJson = await fetch(`${url}/api/ops/dead-letters/redrive`, { method: 'POST', body: 'x' });
      expect(notJson.status).toBe(415);
      expect((await fetch(`${url}/api/ops/dead-letters?limit=0`)).status).toBe(400);

      const all = await redrive({});
      expect(((await all.json()) as { redriven: number }).redriven).toBe(1);
      expect(((await (await fetch(`${url}/api/ops/dead-letters`)).json()) as { count: number }).count).toBe(0);
    } finally {
      await connection.close();
      await closeServer(server);
      await broker.close();
    }
  });
});
