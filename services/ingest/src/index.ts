import '@retail-pulse/shared/service/instrument';
import { z } from 'zod';
import {
  commonConfigShape,
  createLogger,
  env,
  internalTokenShape,
  loadConfig,
  webhookSecretShape,
} from '@retail-pulse/shared/config';
import { DEFAULT_SUBMIT_LIMITS } from '@retail-pulse/shared/contracts/api';
import { closeServer, serveApi } from '@retail-pulse/shared/http';
import { Broker, buildTopology, observeBroker } from '@retail-pulse/shared/messaging';
import { collectionNames, connectMongo, databaseProbe, IdLookups } from '@retail-pulse/shared/mongo';
import { Readiness, runService, ServiceMetrics } from '@retail-pulse/shared/service';
import { createIngestApp } from './app';
import { JobStates } from './jobState';
import { JobIdAllocator } from './submitJob/jobIds';
import { SubmitMetrics } from './submitJob/metrics';
import { IdempotencyKeys } from './submitJob/idempotency';
import { JobReceipts } from './submitJob/receipts';
import { DEFAULT_SUBMISSION_BATCHING, SubmissionPublisher } from './submitJob/submissions';

const configSchema = z.object({
  ...commonConfigShape,
  ...internalTokenShape,
  ...webhookSecretShape,
  /** The address the ingest listens on: loopback, so that only the gateway on this machine reaches it. */
  INGEST_BIND: env.string('127.0.0.1'),
  INGEST_PORT: env.int(8081, 0, 65_535),
  MAX_BODY_BYTES: env.int(5 * 1024 * 1024, 1_024),
  // The defaults the API document states.
  MAX_VISITS_PER_JOB: env.int(DEFAULT_SUBMIT_LIMITS.maxVisitsPerJob, 1),
  MAX_IMAGES_PER_JOB: env.int(DEFAULT_SUBMIT_LIMITS.maxImagesPerJob, 1),
  MAX_URL_LENGTH: env.int(DEFAULT_SUBMIT_LIMITS.maxUrlLength, 16),
  /** Messages of accepted jobs awaiting the broker's confirm at once (submissions.ts says why four). */
  SUBMISSION_PUBLISHES_IN_FLIGHT: env.int(DEFAULT_SUBMISSION_BATCHING.maxInFlight, 1, 64),
});

runService('ingest', async () => {
  const config = loadConfig(configSchema);
  const logger = createLogger('ingest', config.LOG_LEVEL);
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  await new IdLookups(db, logger, config.FERRETDB_SQLITE_DIR).ensure([
    collectionNames.counters,
    collectionNames.idempotencyKeys,
    collectionNames.jobReceipts,
    collectionNames.projectionState,
  ]);
  const broker = new Broker(config.AMQP_URL, buildTopology(config.TOPOLOGY_PREFIX), logger, {
    connectionName: 'ingest',
    publishWaitMs: 3_000,
  });
  await broker.start();
  const metrics = new ServiceMetrics();
  observeBroker(metrics, broker);
  const submissions = new SubmissionPublisher(broker, {
    ...DEFAULT_SUBMISSION_BATCHING,
    maxInFlight: config.SUBMISSION_PUBLISHES_IN_FLIGHT,
  });
  const app = createIngestApp({
    db,
    broker,
    submissions,
    jobIds: new JobIdAllocator(db),
    receipts: new JobReceipts(db),
    idempotency: new IdempotencyKeys(db),
    jobStates: new JobStates(db),
    limits: {
      maxVisitsPerJob: config.MAX_VISITS_PER_JOB,
      maxImagesPerJob: config.MAX_IMAGES_PER_JOB,
      maxUrlLength: config.MAX_URL_LENGTH,
    },
    webhooksEnabled: config.WEBHOOK_SECRET !== undefined,
    maxBodyBytes: config.MAX_BODY_BYTES,
    deadLetters: { amqpUrl: config.AMQP_URL, topology: broker.topology },
    metrics: new SubmitMetrics(metrics),
    health: {
      metrics,
      details: () => ({ broker: broker.stats, submissions: submissions.stats }),
      readiness: new Readiness(
        { database: { probe: databaseProbe(db) }, broker: { probe: () => broker.connected } },
        logger,
      ),
    },
    internalToken: config.INTERNAL_TOKEN,
    logger,
  });
  const server = await serveApi(app, {
    name: 'ingest',
    port: config.INGEST_PORT,
    bind: config.INGEST_BIND,
    internalToken: config.INTERNAL_TOKEN,
    logger,
  });

  return { logger, stopSteps: [() => closeServer(server), () => broker.close(), () => client.close()] };
});
