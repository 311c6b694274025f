import { z } from 'zod';
import { backgroundConfigShape, commonConfigShape, env, webhookSecretShape } from '@retail-pulse/shared/config';
import { MAX_OUTCOMES_PER_MESSAGE, MAX_REQUESTS_PER_MESSAGE } from '@retail-pulse/shared/contracts';
import { storeMasterConfigShape } from '@retail-pulse/shared/storeMaster';
import { DEFAULT_REQUESTS_PER_MESSAGE } from './dispatch/dispatcher';
import { DEFAULT_OUTCOME_BATCHING } from './process/outcomePublisher';
import { DEFAULT_WEBHOOK_MAX_ATTEMPTS } from './webhooks/policy';

/** The image-processor's settings, from the environment (README, Configuration). */
export const configSchema = z
  .object({
    ...commonConfigShape,
    ...backgroundConfigShape,
    ...storeMasterConfigShape,
    ...webhookSecretShape,
    /**
     * Images worked on at once. Each waits most of its slot (the GPU delay, its download, the
     * outcome's confirm: ~330 ms at the spec delay), so 400 slots capped a processor near 1,200
     * images/s while its CPU had room; 800 reach what the CPU allows (docs/BENCHMARKS.md).
     */
    IMAGE_CONCURRENCY: env.int(800, 1, 10_000),
    /**
     * Jobs fanned out at once (the dispatch queue's prefetch). A fan-out waits for its messages'
     * confirms (~60 ms under load), so 4 at once let jobs of 5 images through at ~70 a second
     * (350 images/s); 16 took 4,000 such jobs in half the time. The bound is on memory: a job of
     * 20,000 images is ~25 MB while it is fanned out, 16 of them ~400 MB.
     */
    DISPATCH_CONCURRENCY: env.int(16, 1, 100),
    /** A job's image requests sent in one message at most (the work queue's prefetch follows). */
    IMAGE_REQUESTS_PER_MESSAGE: env.int(DEFAULT_REQUESTS_PER_MESSAGE, 1, MAX_REQUESTS_PER_MESSAGE),
    IMAGE_MAX_ATTEMPTS: env.int(3, 1, 20),
    IMAGE_CONNECT_TIMEOUT_MS: env.int(5_000, 1),
    IMAGE_TIMEOUT_MS: env.int(15_000, 1),
    IMAGE_MAX_BYTES: env.int(20 * 1024 * 1024, 1),
    /** Bytes of image bodies held at once, across all downloads (JPEG and PNG keep only their header). */
    IMAGE_MEMORY_BUDGET_BYTES: env.int(128 * 1024 * 1024, 1024 * 1024),
    IMAGE_MAX_PIXELS: env.int(100_000_000, 1),
    IMAGE_MAX_REDIRECTS: env.int(3, 0, 20),
    IMAGE_CONNECTIONS_PER_HOST: env.int(64, 1, 10_000),
    IMAGE_ALLOW_PRIVATE_NETWORKS: env.boolean(false),
    GPU_DELAY_MIN_MS: env.int(100, 0),
    GPU_DELAY_MAX_MS: env.int(400, 0),
    REDELIVERY_LIMIT: env.int(5, 1, 100),
    /** Images' outcomes sent in one message at most, and how long the first waits for company. */
    OUTCOME_BATCH_MAX: env.int(DEFAULT_OUTCOME_BATCHING.maxOutcomes, 1, MAX_OUTCOMES_PER_MESSAGE),
    OUTCOME_LINGER_MS: env.int(DEFAULT_OUTCOME_BATCHING.lingerMs, 0, 1_000),
    /** Webhook deliveries in flight at once (the webhooks queue's prefetch). */
    WEBHOOK_CONCURRENCY: env.int(16, 1, 1_000),
    WEBHOOK_MAX_ATTEMPTS: env.int(DEFAULT_WEBHOOK_MAX_ATTEMPTS, 1, 50),
    WEBHOOK_TIMEOUT_MS: env.int(10_000, 100, 120_000),
    /** Retries held at once per delay level, each until it is due (the delay queues' prefetch). */
    RETRY_PREFETCH: env.int(2_000, 1, 65_535),
    PROCESSOR_HEALTH_PORT: env.int(8084, 0, 65_535),
    /** The address the health port listens on: loopback, as for every internal port. */
    PROCESSOR_HEALTH_BIND: env.string('127.0.0.1'),
    /** A store master to load at start-up, replacing the current set. Unset: the sample, only if no stores exist. */
    STORE_MASTER_FILE: z.string().optional(),
  })
  .refine((config) => config.GPU_DELAY_MIN_MS <= config.GPU_DELAY_MAX_MS, {
    message: 'must not exceed GPU_DELAY_MAX_MS',
    path: ['GPU_DELAY_MIN_MS'],
  });
