import '@retail-pulse/shared/service/instrument';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configureBackgroundStage, type Logger } from '@retail-pulse/shared/config';
import {
  imageWorkSchema,
  submittedJobsSchema,
  storeMasterImported,
  webhookRequestedSchema,
} from '@retail-pulse/shared/contracts';
import { parseJobSettledNotice } from '@retail-pulse/shared/readModels';
import {
  Broker,
  buildTopology,
  InFlight,
  observeBroker,
  RetryForwarder,
  subscribe,
} from '@retail-pulse/shared/messaging';
import { collectionNames, connectMongo, databaseProbe, IdLookups } from '@retail-pulse/shared/mongo';
import { Readiness, runService, ServiceMetrics, startHealthServer } from '@retail-pulse/shared/service';
import {
  followStoreMaster,
  parseStoreMaster,
  StoreMaster,
  StoreMasterVersions,
  type ImportResult,
} from '@retail-pulse/shared/storeMaster';
import { configSchema } from './config';
import { dispatchSubmitted } from './dispatch/dispatcher';
import { ImageDownloader } from './download/download';
import { ImageMetrics } from './metrics';
import { OutcomePublisher } from './process/outcomePublisher';
import { ImageWorkHandler, workPrefetch } from './process/imageWork';
import { WorkSlots } from './workSlots';
import { processImage } from './process/processImage';
import { buildRetryPolicy } from './process/retryPolicy';
import { SettledJobs } from './process/settledJobs';
import { deliverWebhook } from './webhooks/deliverWebhook';
import { WebhookMetrics } from './webhooks/metrics';
import { buildWebhookRetryPolicy } from './webhooks/policy';
import { WebhookClient } from './webhooks/post';

runService('image-processor', async () => {
  const { config, logger } = configureBackgroundStage('image-processor', configSchema);
  const topology = buildTopology(config.TOPOLOGY_PREFIX);
  const { client, db } = await connectMongo(config.MONGO_URL, config.MONGO_DB);
  await new IdLookups(db, logger, config.FERRETDB_SQLITE_DIR).ensure([
    collectionNames.storeMasters,
    collectionNames.projectionState,
  ]);
  const seeded = await seedStoreMaster(new StoreMasterVersions(db), config.STORE_MASTER_FILE, logger);
  const stores = new StoreMaster(db, logger);
  const master = await stores.start(config.STORE_MASTER_POLL_MS);
  logger.info({ version: master.version, stores: master.size }, 'store master loaded');
  const downloader = new ImageDownloader({
    connectTimeoutMs: config.IMAGE_CONNECT_TIMEOUT_MS,
    totalTimeoutMs: config.IMAGE_TIMEOUT_MS,
    maxBytes: config.IMAGE_MAX_BYTES,
    memoryBudgetBytes: config.IMAGE_MEMORY_BUDGET_BYTES,
    maxRedirects: config.IMAGE_MAX_REDIRECTS,
    allowPrivateNetworks: config.IMAGE_ALLOW_PRIVATE_NETWORKS,
    connectionsPerHost: config.IMAGE_CONNECTIONS_PER_HOST,
  });
  const broker = new Broker(config.AMQP_URL, topology, logger, { connectionName: 'image-processor' });
  await followStoreMaster(broker, stores, logger);
  // Settled jobs (cancelled ones above all) are announced: their image requests are dropped.
  const settledJobs = new SettledJobs(db, logger);
  await broker.follow({
    exchange: topology.names.jobSettledExchange,
    // A malformed notice throws: the broker moves it to the dead-letter queue with the reason.
    onMessage: (content) => settledJobs.settledNotice(parseJobSettledNotice(content)),
    onReady: () => settledJobs.feedReady(),
    onLost: () => settledJobs.feedLost(),
  });
  await broker.start();
  if (seeded?.created) await broker.publish(topology.names.storeMasterExchange, '', storeMasterImported(seeded));
  const metrics = new ServiceMetrics();
  const imageMetrics = new ImageMetrics(metrics);
  observeBroker(metrics, broker);
  const inFlight = new InFlight();
  const retryPolicy = buildRetryPolicy({
    maxAttempts: config.IMAGE_MAX_ATTEMPTS,
    redeliveryLimit: config.REDELIVERY_LIMIT,
  });
  let processed = 0;
  const outcomes = new OutcomePublisher(broker, {
    maxOutcomes: config.OUTCOME_BATCH_MAX,
    lingerMs: config.OUTCOME_LINGER_MS,
  });

  const dispatchOptions = {
    perMessage: config.IMAGE_REQUESTS_PER_MESSAGE,
    jobSlots: new WorkSlots(config.DISPATCH_CONCURRENCY),
  };
  await subscribe(broker, logger, inFlight, {
    queue: topology.names.dispatchQueue,
    prefetch: config.DISPATCH_CONCURRENCY,
    schema: submittedJobsSchema,
    redeliveryLimit: config.REDELIVERY_LIMIT,
    handle: async (message, delivery) => {
      for (const { jobId, images } of await dispatchSubmitted(broker, message, delivery, dispatchOptions)) {
        imageMetrics.dispatched(images);
        logger.info({ jobId, images }, 'job dispatched');
      }
    },
  });
  const slots = new WorkSlots(config.IMAGE_CONCURRENCY);
  const imageWork = new ImageWorkHandler(
    broker,
    slots,
    async (request) => {
      await processImage(request, {
        broker,
        outcomes,
        stores,
        settledJobs,
        downloader,
        logger,
        retryPolicy,
        metrics: imageMetrics,
        settings: {
          maxPixels: config.IMAGE_MAX_PIXELS,
          gpuDelayMinMs: config.GPU_DELAY_MIN_MS,
          gpuDelayMaxMs: config.GPU_DELAY_MAX_MS,
        },
      });
      processed++;
    },
    logger,
  );
  await subscribe(broker, logger, inFlight, {
    queue: topology.names.imageRequestsQueue,
    prefetch: workPrefetch(config.IMAGE_CONCURRENCY, config.IMAGE_REQUESTS_PER_MESSAGE),
    schema: imageWorkSchema,
    redeliveryLimit: retryPolicy.redeliveryLimit,
    handle: imageWork.handle,
  });
  const webhooks = await deliverWebhooks(broker, inFlight, config, logger, metrics);
  // The hop from the delay queues back to their work queue is ours, not RabbitMQ's dead-lettering
  // (shared/src/messaging/delayedRetries.ts says why): one forwarder per retried work queue.
  const retryForwarder = new RetryForwarder(broker, topology.retryRoutes.images, logger, {
    prefetch: config.RETRY_PREFETCH,
  });
  const webhookRetryForwarder = new RetryForwarder(broker, topology.retryRoutes.webhooks, logger, {
    prefetch: config.RETRY_PREFETCH,
  });
  await retryForwarder.start();
  await webhookRetryForwarder.start();
  const health = startHealthServer(config.PROCESSOR_HEALTH_PORT, config.PROCESSOR_HEALTH_BIND, {
    readiness: new Readiness(
      { database: { probe: databaseProbe(db) }, broker: { probe: () => broker.connected } },
      logger,
    ),
    details: () => ({
      inFlight: inFlight.size,
      imagesInFlight: slots.inUse,
      processed,
      outcomeMessages: outcomes.stats,
      settledJobs: settledJobs.stats,
      storeMaster: { version: stores.snapshot.version, stores: stores.snapshot.size },
      bodyBytes: downloader.budget.stats,
      broker: broker.stats,
      retries: retryForwarder.stats,
      webhookRetries: webhookRetryForwarder.stats,
    }),
    metrics,
  });
  logger.info(
    { concurrency: config.IMAGE_CONCURRENCY, healthPort: config.PROCESSOR_HEALTH_PORT },
    'image-processor consuming',
  );

  return {
    logger,
    stopSteps: [
      () => broker.cancelConsumers(),
      // Held retries go back to their delay queues when the channels close.
      () => {
        retryForwarder.stop();
        webhookRetryForwarder.stop();
      },
      async () => {
        logger.info({ inFlight: inFlight.size }, 'finishing in-flight images');
        await Promise.race([inFlight.idle(), sleepMs(FINISH_IN_FLIGHT_MS)]);
        // Handed back, not lost: closing the channels returns them to the queue, marked redelivered.
        if (inFlight.size > 0) {
          logger.warn({ handedBack: inFlight.size }, 'stopping with images unfinished; they go back to the queue');
        }
      },
      () => broker.close(),
      () => stores.stop(),
      () => downloader.close(),
      () => webhooks?.close(),
      () => client.close(),
      () => health.close(),
    ],
  };
});

/**
 * Delivers job-settled webhooks, when this processor can sign them. Without `WEBHOOK_SECRET` it
 * leaves the webhooks queue alone: deliveries wait there, unsigned ones are never sent, and a
 * processor given the secret takes them.
 */
async function deliverWebhooks(
  broker: Broker,
  inFlight: InFlight,
  config: {
    WEBHOOK_SECRET?: string | undefined;
    WEBHOOK_CONCURRENCY: number;
    WEBHOOK_MAX_ATTEMPTS: number;
    WEBHOOK_TIMEOUT_MS: number;
    IMAGE_ALLOW_PRIVATE_NETWORKS: boolean;
    REDELIVERY_LIMIT: number;
  },
  logger: Logger,
  metrics: ServiceMetrics,
): Promise<WebhookClient | undefined> {
  const secret = config.WEBHOOK_SECRET;
  if (secret === undefined) {
    logger.warn(
      { queue: broker.topology.names.webhooksQueue },
      'WEBHOOK_SECRET is not set: this processor delivers no webhooks (they wait in their queue)',
    );
    return undefined;
  }
  const client = new WebhookClient({
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    maxResponseBytes: WEBHOOK_MAX_RESPONSE_BYTES,
    // The same switch as image downloads': one setting says whether this installation may call its own network.
    allowPrivateNetworks: config.IMAGE_ALLOW_PRIVATE_NETWORKS,
  });
  const policy = buildWebhookRetryPolicy({
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    redeliveryLimit: config.REDELIVERY_LIMIT,
  });
  const webhookMetrics = new WebhookMetrics(metrics);
  await subscribe(broker, logger, inFlight, {
    queue: broker.topology.names.webhooksQueue,
    prefetch: config.WEBHOOK_CONCURRENCY,
    schema: webhookRequestedSchema,
    redeliveryLimit: policy.redeliveryLimit,
    handle: (request, delivery) =>
      deliverWebhook(request, delivery, { broker, client, secret, policy, metrics: webhookMetrics, logger }),
  });
  return client;
}

/** Bytes of a receiver's answer read before its connection is closed instead: only the status matters. */
const WEBHOOK_MAX_RESPONSE_BYTES = 64 * 1024;

const SAMPLE_STORE_MASTER = resolve(__dirname, '../../../infra/data/sample-stores.csv');

/**
 * Makes sure a store master is current: an installation from before versions gets version 1 from
 * its `stores` collection; `STORE_MASTER_FILE` becomes a new version unless it is the current one;
 * with neither, the sample, only when there is no master at all.
 */
async function seedStoreMaster(
  versions: StoreMasterVersions,
  file: string | undefined,
  logger: Logger,
): Promise<ImportResult | undefined> {
  const migrated = await versions.migrateLegacy();
  if (migrated) logger.info({ version: migrated.version, stores: migrated.stores }, 'store master kept as version 1');
  if (!file && (await versions.current())) return migrated;
  const source = file ?? SAMPLE_STORE_MASTER;
  const result = await versions.importVersion(parseStoreMaster(await readFile(source)), source);
  if (result.created)
    logger.info({ file: source, version: result.version, stores: result.stores }, 'store master imported');
  return result.created ? result : migrated;
}

/** Longest a stopping processor waits for the images it holds (the stop as a whole has 30 s). */
const FINISH_IN_FLIGHT_MS = 20_000;

const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
