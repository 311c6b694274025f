/**
 * `npm run bench:limits`: what this machine gives each resource the pipeline leans on, measured
 * alone, one at a time — the ceilings `npm run bench` is read against (docs/BENCHMARKS.md).
 *
 *   - sharp: header-only metadata of the benchmark's 180 KB JPEG;
 *   - HTTP: downloads of that JPEG from the local image server over keep-alive connections;
 *   - RabbitMQ: persistent messages published to a quorum queue with batched confirms, then
 *     consumed at prefetch 1,000;
 *   - the MongoDB-protocol server: event-log-shaped documents inserted in batches of 500, and
 *     single lookups by string `_id`.
 *
 * Each figure also gives the CPU the benchmark process used per operation (both cores count).
 * RabbitMQ and the database run in their own processes: their CPU is not in those figures.
 * The last line is one JSON object.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { Pool } from 'undici';
import { connectToAnyNode } from '@retail-pulse/shared/messaging';
import { connectMongo } from '@retail-pulse/shared/mongo';
import { PHOTO, startImageServer } from '../../test/support/imageServer';
import { ensureFerretDb, ensureRabbitMq, LOCAL_AMQP_URL } from '../local/services';

const amqpUrl = process.env.AMQP_URL ?? LOCAL_AMQP_URL;
const mongoUrl = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017';
const say = (message: string) => console.log(`${new Date().toISOString().slice(11, 19)} [limits] ${message}`);

interface Measured {
  perSecond: number;
  /** CPU of this process per operation, in milliseconds. */
  cpuMsEach: number;
}

/** Runs `work` (which does `count` operations) and reports its rate and this process's CPU per operation. */
async function measure(count: number, work: () => Promise<void>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    perSecond: Math.round(count / seconds),
    cpuMsEach: Math.round(((used.user + used.system) / 1000 / count) * 1000) / 1000,
  };
}

/** Runs `total` calls of `task` with at most `concurrency` at a time. */
async function inParallel(total: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

async function main(): Promise<void> {
  await ensureRabbitMq(say);
  const ferretDb = process.env.MONGO_URL ? undefined : await ensureFerretDb(say);
  const images = await startImageServer();
  const pool = new Pool(new URL(images.url(PHOTO.path)).origin, { connections: 64 });
  const photoPath = new URL(images.url(PHOTO.path)).pathname;
  const photo = Buffer.from(await (await pool.request({ path: photoPath, method: 'GET' })).body.arrayBuffer());
  say(`image: ${photo.length} bytes, ${PHOTO.width}x${PHOTO.height} JPEG`);

  const sharpMetadata = await measure(5_000, () =>
    inParallel(5_000, 8, async () => {
      await sharp(photo, { limitInputPixels: false }).metadata();
    }),
  );
  say(`sharp metadata: ${JSON.stringify(sharpMetadata)}`);

  const downloads = await measure(10_000, () =>
    inParallel(10_000, 64, async (index) => {
      const response = await pool.request({ path: `${photoPath}?${index}`, method: 'GET' });
      await response.body.arrayBuffer();
    }),
  );
  say(`HTTP downloads (server in this process): ${JSON.stringify(downloads)}`);
  await pool.close();
  await images.close();

  const { connection } = await connectToAnyNode(amqpUrl);
  const channel = await connection.createConfirmChannel();
  const queue = `rp-limits-${randomBytes(3).toString('hex')}`;
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const messages = 50_000;
  const body = Buffer.from(JSON.stringify({ padding: 'x'.repeat(400) }));
  const published = await measure(messages, async () => {
    for (let offset = 0; offset < messages; offset += 1_000) {
      for (let index = 0; index < 1_000; index++) channel.sendToQueue(queue, body, { persistent: true });
      await channel.waitForConfirms();
    }
  });
  say(`RabbitMQ publish, persistent, quorum queue, confirms per 1,000: ${JSON.stringify(published)}`);
  const consumer = await connection.createChannel();
  await consumer.prefetch(1_000);
  const consumed = await measure(
    messages,
    () =>
      new Promise<void>((resolve) => {
        let received = 0;
        void consumer.consume(queue, (message) => {
          if (!message) return;
          consumer.ack(message);
          if (++received === messages) resolve();
        });
      }),
  );
  say(`RabbitMQ consume, prefetch 1,000, one ack each: ${JSON.stringify(consumed)}`);
  await consumer.close();
  await channel.deleteQueue(queue);
  await connection.close();

  const { client, db } = await connectMongo(mongoUrl, `rp_limits_${randomBytes(3).toString('hex')}`);
  const events = db.collection<{ _id: string }>('events');
  const documents = 20_000;
  const inserted = await measure(documents, async () => {
    for (let offset = 0; offset < documents; offset += 500) {
      await events.insertMany(
        Array.from({ length: 500 }, (_, index) => ({
          _id: `event-${offset + index}`,
          position: offset + index + 1,
          type: 'ImageProcessed',
          version: 2,
          jobId: Math.floor((offset + index) / 100),
          payload: JSON.stringify({ url: `http://images.example/${offset + index}.jpg`, width: 1280, height: 960 }),
          metadata: { correlationId: String(offset), occurredAt: new Date().toISOString() },
          recordedAt: new Date(),
        })),
      );
    }
  });
  say(`database insertMany, batches of 500: ${JSON.stringify(inserted)}`);
  const lookups = await measure(200, async () => {
    for (let index = 0; index < 200; index++) await events.findOne({ _id: `event-${(index * 7_919) % documents}` });
  });
  say(`database findOne by string _id, ${documents} documents: ${JSON.stringify(lookups)}`);
  await db.dropDatabase();
  await client.close();
  ferretDb?.kill('SIGTERM');

  console.log(
    JSON.stringify({
      sharpMetadataPerSecond: sharpMetadata.perSecond,
      sharpMetadataCpuMs: sharpMetadata.cpuMsEach,
      downloadsPerSecond: downloads.perSecond,
      downloadCpuMs: downloads.cpuMsEach,
      rabbitPublishPerSecond: published.perSecond,
      rabbitConsumePerSecond: consumed.perSecond,
      databaseInsertsPerSecond: inserted.perSecond,
      databaseLookupsPerSecond: lookups.perSecond,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
