import '@retail-pulse/shared/service/instrument';
import { z } from 'zod';
import { commonConfigShape, createLogger, env, internalTokenShape, loadConfig } from '@retail-pulse/shared/config';
import { closeServer, serveApi } from '@retail-pulse/shared/http';
import { Broker, buildTopology, observeBroker } from '@retail-pulse/shared/messaging';
import { collectionNames, connectMongo, databaseProbe, IdLookups } from '@retail-pulse/shared/mongo';
import { Readiness, runService, ServiceMetrics } from '@retail-pulse/shared/service';
import { followStoreMaster, StoreMaster, storeMasterConfigShape } from '@retail-pulse/shared/storeMaster';
import { createStatusApp } from './app';
import { JobEvents } from './jobs/events';
import { JobsFeed } from './jobs/feed';
import { JobsQuery } from './jobs/query';
import { JobStatusQuery } from './jobStatus/query';
import { ReadModelsStatus } from './ops/readModels';
import { StoreMasterStatus } from './ops/storeMaster';
import { metricsSourcesSchema, PipelineSampler } from './pipeline/sampler';
import { QueueDepths } from './pipeline/queueDepths';
import { ActiveReadModels } from './readModels';
import { VisitsQuery } from './visits/query';

const configSchema = z.object({
  ...commonConfigShape,
  ...internalTokenShape,
  ...storeMasterConfigShape,
  /** The address the status API listens on: loopback, so that only the gateway on this machine reaches it. */
  STATUS_API_BIND: env.string('127.0.0.1'),
  STATUS_API_PORT: env.int(8082, 0, 65_535),
  /** How often a job's event stream reads the job again (`GET /api/jobs/{id}/events`). */
  JOB_EVENTS_POLL_MS: env.int(500, 50, 60_000),
  /** How often the newest jobs are read for the live list (`GET /api/jobs/events`), while it is followed. */
  JOBS_FEED_POLL_MS: env.int(1_000, 100, 60_000),
  /** Whose `/metrics` the pipeline's figures come from (`GET /api/ops/pipeline`): role=host:port, comma-separated. */
  PIPELINE_METRICS_SOURCES: metricsSourcesSchema.prefault(
    'ingest=127.0.0.1:8081,projection=127.0.0.1:8083,image-processor=127.0.0.1:8084',
  ),
  PIPELINE_SAMPLE_MS: env.int(5_000, 200, 300_000),
  PIPELINE_WINDOW_SECONDS: env.int(600, 10, 86_400),
});

runService('status-api', async () => {
  const config = loadConfig(configSchema);
  const logger = createLogger('status-api', config.LOG_LEVEL);
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  await new IdLookups(db, logger, config.FERRETDB_SQLITE_DIR).ensure([
    collectionNames.storeMasters,
    collectionNames.jobReceipts,
    collectionNames.projectionState,
  ]);
  const storeMaster = new StoreMaster(db, logger);
  await storeMaster.start(config.STORE_MASTER_POLL_MS);
  const readModels = new ActiveReadModels(db);
  const jobStatus = new JobStatusQuery(db, readModels);
  // The broker only carries the store master's notices; a missed one is caught by polling.
  const topology = buildTopology(config.TOPOLOGY_PREFIX);
  const broker = new Broker(config.AMQP_URL, topology, logger, { connectionName: 'status-api' });
  await followStoreMaster(broker, storeMaster, logger);
  void broker.start();
  const metrics = new ServiceMetrics();
  observeBroker(metrics, broker);
  const jobs = new JobsQuery(db, readModels);
  const jobEvents = new JobEvents(jobs, { pollMs: config.JOB_EVENTS_POLL_MS, heartbeatMs: 15_000, logger });
  const jobsFeed = new JobsFeed(jobs, { pollMs: config.JOBS_FEED_POLL_MS, heartbeatMs: 15_000, logger });
  const pipeline = new PipelineSampler({
    sources: config.PIPELINE_METRICS_SOURCES,
    queueDepths: new QueueDepths(
      config.AMQP_URL,
      broker.topology.queues.map((queue) => queue.name),
      logger,
    ),
    sampleMs: config.PIPELINE_SAMPLE_MS,
    windowSeconds: config.PIPELINE_WINDOW_SECONDS,
    logger,
  });
  pipeline.start();
  const app = createStatusApp({
    jobStatus,
    visits: new VisitsQuery(db, readModels, storeMaster),
    jobs,
    jobEvents,
    jobsFeed,
    ops: { pipeline, storeMaster: new StoreMasterStatus(db, storeMaster), readModels: new ReadModelsStatus(db) },
    health: {
      metrics,
      readiness: new Readiness(
        {
          database: { probe: databaseProbe(db) },
          // The broker only carries store-master notices, which polling backs up: reported, never unready.
          broker: { probe: () => broker.connected, required: false },
        },
        logger,
      ),
    },
    internalToken: config.INTERNAL_TOKEN,
    logger,
  });
  const server = await serveApi(app, {
    name: 'status API',
    port: config.STATUS_API_PORT,
    bind: config.STATUS_API_BIND,
    internalToken: config.INTERNAL_TOKEN,
    logger,
  });
  return {
    logger,
    stopSteps: [
      // Open event streams end first (their clients reconnect elsewhere), or the server never closes.
      () => jobEvents.closeAll(),
      () => jobsFeed.closeAll(),
      () => pipeline.stop(),
      () => closeServer(server),
      () => broker.close(),
      () => storeMaster.stop(),
      () => client.close(),
    ],
  };
});
