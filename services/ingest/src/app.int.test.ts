import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import amqp from 'amqplib';
import { createLogger } from '@retail-pulse/shared/config';
import { jobSubmittedSchema } from '@retail-pulse/shared/contracts';
import { closeServer, listen } from '@retail-pulse/shared/http';
import { Broker } from '@retail-pulse/shared/messaging';
import { databaseProbe } from '@retail-pulse/shared/mongo';
import { Readiness } from '@retail-pulse/shared/service';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createIngestApp } from './app';
import { JobIdAllocator } from './submitJob/jobIds';
import { JobReceipts } from './submitJob/receipts';

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

async function startIngest(broker: Broker): Promise<{ url: string; server: Server }> {
  const app = createIngestApp({
    broker,
    jobIds: new JobIdAllocator(environment.db, 10),
    receipts: new JobReceipts(environment.db),
    limits,
    maxBodyBytes: 64 * 1024,
    health: {
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
      for (let message; (message = await channel.get(environment.topology.names.dispatchQueue, { noAck: true }));) {
        const event = jobSubmittedSchema.parse(JSON.parse(message.content.toString()));
        expect(message.properties.messageId).toBe(event.eventId);
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
});
