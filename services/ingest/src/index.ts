import { z } from 'zod';
import {
  Broker,
  buildTopology,
  closeServer,
  commonConfigShape,
  connectMongo,
  createLogger,
  env,
  listen,
  loadConfig,
} from '@retail-pulse/shared';
import { createIngestApp } from './app';
import { JobIdAllocator } from './submitJob/jobIds';
import { JobReceipts } from './submitJob/receipts';

const configSchema = z.object({
  ...commonConfigShape,
  INGEST_PORT: env.int(8081, 0, 65_535),
  MAX_BODY_BYTES: env.int(5 * 1024 * 1024, 1_024),
  MAX_VISITS_PER_JOB: env.int(10_000, 1),
  MAX_IMAGES_PER_JOB: env.int(20_000, 1),
  MAX_URL_LENGTH: env.int(2_048, 16),
});

async function main(): Promise<void> {
  const config = loadConfig(configSchema);
  const logger = createLogger('ingest', config.LOG_LEVEL);
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  const broker = new Broker(config.AMQP_URL, buildTopology(config.TOPOLOGY_PREFIX), logger, {
    connectionName: 'ingest',
    publishWaitMs: 3_000,
  });
  await broker.start();
  const app = createIngestApp({
    broker,
    jobIds: new JobIdAllocator(db),
    receipts: new JobReceipts(db),
    limits: {
      maxVisitsPerJob: config.MAX_VISITS_PER_JOB,
      maxImagesPerJob: config.MAX_IMAGES_PER_JOB,
      maxUrlLength: config.MAX_URL_LENGTH,
    },
    maxBodyBytes: config.MAX_BODY_BYTES,
    health: () => ({ status: broker.connected ? 'ok' : 'degraded', rabbitmq: broker.connected, broker: broker.stats }),
    logger,
  });
  const server = await listen(app, config.INGEST_PORT);
  logger.info({ port: config.INGEST_PORT }, 'ingest listening');

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await closeServer(server);
    await broker.close();
    await client.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
