import { createServer } from 'node:http';
import { z } from 'zod';
import {
  backgroundConfigShape,
  runInBackground,
  Broker,
  buildTopology,
  commonConfigShape,
  connectMongo,
  createLogger,
  ensureIndexes,
  env,
  type JobSettledNotice,
  loadConfig,
} from '@retail-pulse/shared';
import { projectionBatcher } from './batcher';
import { Projector } from './projector';

const configSchema = z.object({
  ...commonConfigShape,
  ...backgroundConfigShape,
  PROJECTION_BATCH_SIZE: env.int(500, 1, 10_000),
  PROJECTION_BATCH_WAIT_MS: env.int(20, 0, 5_000),
  PROJECTION_HEALTH_PORT: env.int(8083, 0, 65_535),
});

async function main(): Promise<void> {
  const config = loadConfig(configSchema);
  runInBackground(config.PROCESS_NICE);
  const logger = createLogger('projection', config.LOG_LEVEL);
  const topology = buildTopology(config.TOPOLOGY_PREFIX);
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  const broker = new Broker(config.AMQP_URL, topology, logger, { connectionName: 'projection' });
  await broker.start();
  // Settled jobs are announced to the status APIs: a hint that spares them a read (lost if the
  // broker is away, which costs them only that read).
  const announce = (notice: JobSettledNotice) => {
    if (!broker.connected) return;
    broker
      .publish(topology.names.jobSettledExchange, '', notice, { transient: true })
      .catch((error: unknown) => logger.debug({ err: String(error) }, 'could not announce settled jobs'));
  };
  const projector = new Projector(db, logger, announce);
  await projector.start();
  await ensureIndexes(db, projector.generations.visits);

  const batcher = projectionBatcher(projector, logger, {
    maxBatch: config.PROJECTION_BATCH_SIZE,
    maxWaitMs: config.PROJECTION_BATCH_WAIT_MS,
  });
  await broker.consume({
    queue: topology.names.projectionQueue,
    prefetch: config.PROJECTION_BATCH_SIZE * 2,
    onDelivery: (delivery) => batcher.add(delivery),
  });

  const health = createServer((request, response) => {
    const body = JSON.stringify({
      status: broker.connected ? 'ok' : 'degraded',
      rabbitmq: broker.connected,
      lag: batcher.lag,
      ...projector.status,
    });
    response.writeHead(request.url === '/health' ? 200 : 404, { 'Content-Type': 'application/json' });
    response.end(request.url === '/health' ? body : '{}');
  });
  health.listen(config.PROJECTION_HEALTH_PORT, '0.0.0.0');
  logger.info({ healthPort: config.PROJECTION_HEALTH_PORT }, 'projection consuming');
  // While no batch arrives, still notice a switch or an append made by another party.
  const maintenance = setInterval(
    () => projector.maintain().catch((error: unknown) => logger.warn({ err: String(error) }, 'maintenance failed')),
    1_000,
  );

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    clearInterval(maintenance);
    await broker.cancelConsumers();
    await batcher.stop();
    await broker.close();
    await client.close();
    health.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exit(1);
});
