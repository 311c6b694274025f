import '@retail-pulse/shared/service/instrument';
import { z } from 'zod';
import { backgroundConfigShape, configureBackgroundStage, commonConfigShape, env } from '@retail-pulse/shared/config';
import { type JobSettledNotice, ProjectionState } from '@retail-pulse/shared/readModels';
import { Broker, buildTopology, observeBroker } from '@retail-pulse/shared/messaging';
import { collectionNames, connectMongo, databaseProbe, IdLookups } from '@retail-pulse/shared/mongo';
import { Readiness, runService, ServiceMetrics, startHealthServer } from '@retail-pulse/shared/service';
import { projectionBatcher } from './batcher';
import { moveLegacyLog } from './eventLog';
import { logSettledJobs } from './jobStatus/settledLog';
import { ProjectionMetrics } from './metrics';
import { Projector } from './projector';
import type { SettledListener } from './readModel';
import { WebhookOutbox } from './webhooks/outbox';

const configSchema = z.object({
  ...commonConfigShape,
  ...backgroundConfigShape,
  PROJECTION_BATCH_SIZE: env.int(500, 1, 10_000),
  PROJECTION_BATCH_WAIT_MS: env.int(100, 0, 5_000),
  PROJECTION_HEALTH_PORT: env.int(8083, 0, 65_535),
  /** The address the health port listens on: loopback unless told otherwise. */
  PROJECTION_HEALTH_BIND: env.string('127.0.0.1'),
});

/** How often the webhook outbox is swept for what a fold could not hand to the broker. */
const WEBHOOK_SWEEP_MS = 5_000;

runService('projection', async () => {
  const { config, logger } = configureBackgroundStage('projection', configSchema);
  const topology = buildTopology(config.TOPOLOGY_PREFIX);
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  const broker = new Broker(config.AMQP_URL, topology, logger, { connectionName: 'projection' });
  await broker.start();
  const metrics = new ServiceMetrics();
  observeBroker(metrics, broker);
  const projectionMetrics = new ProjectionMetrics(metrics);
  // Settled jobs are logged, and announced to the image-processors: a hint that spares them a read
  // (lost if the broker is away, which costs them only that read).
  const onSettled: SettledListener = ({ generation, jobs }) => {
    logSettledJobs(logger, jobs);
    projectionMetrics.settled(jobs);
    if (!broker.connected) return;
    const notice: JobSettledNotice = {
      generation,
      jobs: jobs.map(({ jobId, status, failures }) => ({ jobId, status, failures })),
    };
    broker
      .publish(topology.names.jobSettledExchange, '', notice, { transient: true })
      .catch((error: unknown) => logger.debug({ err: String(error) }, 'could not announce settled jobs'));
  };
  const idLookups = new IdLookups(db, logger, config.FERRETDB_SQLITE_DIR);
  await idLookups.ensure([
    collectionNames.eventPages,
    collectionNames.eventIds,
    collectionNames.projectionState,
    collectionNames.webhookOutbox,
  ]);
  await moveLegacyLog(db, logger);
  const webhooks = new WebhookOutbox(db, new ProjectionState(db), {
    broker,
    logger,
    onRequested: () => projectionMetrics.webhookHandedOver(),
  });
  const projector = new Projector(db, logger, { onSettled, idLookups, webhooks });
  await projector.start();
  void webhooks.flush().catch((error: unknown) => logger.warn({ err: String(error) }, 'webhook outbox flush failed'));

  const batcher = projectionBatcher(projector, logger, {
    maxBatch: config.PROJECTION_BATCH_SIZE,
    maxWaitMs: config.PROJECTION_BATCH_WAIT_MS,
  });
  projectionMetrics.observe(projector, batcher);
  await broker.consume({
    queue: topology.names.projectionQueue,
    prefetch: config.PROJECTION_BATCH_SIZE * 2,
    onDelivery: (delivery) => batcher.add(delivery),
  });

  const health = startHealthServer(config.PROJECTION_HEALTH_PORT, config.PROJECTION_HEALTH_BIND, {
    readiness: new Readiness(
      { database: { probe: databaseProbe(db) }, broker: { probe: () => broker.connected } },
      logger,
    ),
    details: () => ({ lag: batcher.lag, ...projector.status }),
    metrics,
  });
  logger.info({ healthPort: config.PROJECTION_HEALTH_PORT }, 'projection consuming');
  // While no batch arrives, still notice a switch or an append made by another party.
  const maintenance = setInterval(
    () => projector.maintain().catch((error: unknown) => logger.warn({ err: String(error) }, 'maintenance failed')),
    1_000,
  );
  // Webhooks whose hand-over to the broker failed (or whose process died before it) go out here.
  const webhookSweep = setInterval(
    () => webhooks.sweep().catch((error: unknown) => logger.warn({ err: String(error) }, 'webhook sweep failed')),
    WEBHOOK_SWEEP_MS,
  );

  return {
    logger,
    stopSteps: [
      () => clearInterval(maintenance),
      () => clearInterval(webhookSweep),
      () => broker.cancelConsumers(),
      () => batcher.stop(),
      () => broker.close(),
      () => client.close(),
      () => health.close(),
    ],
  };
});
