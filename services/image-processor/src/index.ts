import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { z } from 'zod';
import {
  backgroundConfigShape,
  runInBackground,
  Broker,
  buildTopology,
  commonConfigShape,
  connectMongo,
  createLogger,
  env,
  imageRequestedSchema,
  InFlight,
  jobSubmittedSchema,
  loadConfig,
  parseStoreMaster,
  StoreMaster,
  subscribe,
  type Logger,
} from '@retail-pulse/shared';
import { dispatchJob } from './dispatch/dispatcher';
import { ImageDownloader } from './download/download';
import { processImage } from './process/processImage';
import { StoreCache } from './process/storeCache';

const configSchema = z
  .object({
    ...commonConfigShape,
    ...backgroundConfigShape,
    IMAGE_CONCURRENCY: env.int(400, 1, 10_000),
    DISPATCH_CONCURRENCY: env.int(4, 1, 100),
    IMAGE_MAX_ATTEMPTS: env.int(3, 1, 20),
    IMAGE_CONNECT_TIMEOUT_MS: env.int(5_000, 1),
    IMAGE_TIMEOUT_MS: env.int(15_000, 1),
    IMAGE_MAX_BYTES: env.int(20 * 1024 * 1024, 1),
    IMAGE_MAX_PIXELS: env.int(100_000_000, 1),
    IMAGE_MAX_REDIRECTS: env.int(3, 0, 20),
    IMAGE_CONNECTIONS_PER_HOST: env.int(64, 1, 10_000),
    IMAGE_ALLOW_PRIVATE_NETWORKS: env.boolean(false),
    GPU_DELAY_MIN_MS: env.int(100, 0),
    GPU_DELAY_MAX_MS: env.int(400, 0),
    REDELIVERY_LIMIT: env.int(5, 1, 100),
    PROCESSOR_HEALTH_PORT: env.int(8084, 0, 65_535),
    /** A store master to load at start-up, replacing the current set. Unset: the sample, only if no stores exist. */
    STORE_MASTER_FILE: z.string().optional(),
  })
  .refine((config) => config.GPU_DELAY_MIN_MS <= config.GPU_DELAY_MAX_MS, {
    message: 'must not exceed GPU_DELAY_MAX_MS',
    path: ['GPU_DELAY_MIN_MS'],
  });

async function main(): Promise<void> {
  const config = loadConfig(configSchema);
  runInBackground(config.PROCESS_NICE);
  const logger = createLogger('image-processor', config.LOG_LEVEL);
  const topology = buildTopology(config.TOPOLOGY_PREFIX);
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  await seedStoreMaster(new StoreMaster(db), config.STORE_MASTER_FILE, logger);
  const stores = new StoreCache(new StoreMaster(db));
  logger.info({ stores: await stores.load() }, 'store master loaded');
  const downloader = new ImageDownloader({
    connectTimeoutMs: config.IMAGE_CONNECT_TIMEOUT_MS,
    totalTimeoutMs: config.IMAGE_TIMEOUT_MS,
    maxBytes: config.IMAGE_MAX_BYTES,
    maxRedirects: config.IMAGE_MAX_REDIRECTS,
    allowPrivateNetworks: config.IMAGE_ALLOW_PRIVATE_NETWORKS,
    connectionsPerHost: config.IMAGE_CONNECTIONS_PER_HOST,
  });
  const broker = new Broker(config.AMQP_URL, topology, logger, { connectionName: 'image-processor' });
  await broker.start();
  const inFlight = new InFlight();
  let processed = 0;

  await subscribe(broker, logger, inFlight, {
    queue: topology.names.dispatchQueue,
    prefetch: config.DISPATCH_CONCURRENCY,
    schema: jobSubmittedSchema,
    redeliveryLimit: config.REDELIVERY_LIMIT,
    handle: async (job) => {
      const images = await dispatchJob(broker, job);
      logger.info({ jobId: job.data.jobId, images }, 'job dispatched');
    },
  });
  await subscribe(broker, logger, inFlight, {
    queue: topology.names.imageRequestsQueue,
    prefetch: config.IMAGE_CONCURRENCY,
    schema: imageRequestedSchema,
    redeliveryLimit: config.REDELIVERY_LIMIT,
    handle: async (request) => {
      await processImage(request, {
        broker,
        stores,
        downloader,
        logger,
        settings: {
          maxAttempts: config.IMAGE_MAX_ATTEMPTS,
          maxPixels: config.IMAGE_MAX_PIXELS,
          gpuDelayMinMs: config.GPU_DELAY_MIN_MS,
          gpuDelayMaxMs: config.GPU_DELAY_MAX_MS,
        },
      });
      processed++;
    },
  });
  const health = createServer((request, response) => {
    const ok = request.url === '/health';
    response.writeHead(ok ? 200 : 404, { 'Content-Type': 'application/json' });
    response.end(
      ok
        ? JSON.stringify({
            status: broker.connected ? 'ok' : 'degraded',
            inFlight: inFlight.size,
            processed,
            broker: broker.stats,
          })
        : '{}',
    );
  });
  health.listen(config.PROCESSOR_HEALTH_PORT, '0.0.0.0');
  logger.info(
    { concurrency: config.IMAGE_CONCURRENCY, healthPort: config.PROCESSOR_HEALTH_PORT },
    'image-processor consuming',
  );

  const shutdown = async (signal: string) => {
    logger.info({ signal, inFlight: inFlight.size }, 'shutting down: finishing in-flight images');
    await broker.cancelConsumers();
    await Promise.race([inFlight.idle(), sleepMs(20_000)]);
    await broker.close();
    await downloader.close();
    await client.close();
    health.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

const SAMPLE_STORE_MASTER = resolve(__dirname, '../../../infra/data/sample-stores.csv');

async function seedStoreMaster(storeMaster: StoreMaster, file: string | undefined, logger: Logger): Promise<void> {
  if (!file && (await storeMaster.count()) > 0) return;
  const source = file ?? SAMPLE_STORE_MASTER;
  const result = await storeMaster.replaceAll(parseStoreMaster(await readFile(source)));
  logger.info({ file: source, stores: result.imported }, 'store master imported');
}

const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
