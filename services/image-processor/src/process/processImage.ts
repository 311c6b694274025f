import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@retail-pulse/shared/config';
import type { ImageRequested } from '@retail-pulse/shared/contracts';
import { sendToRetry, type Broker } from '@retail-pulse/shared/messaging';
import type { StoreMaster, StoreMasterSnapshot } from '@retail-pulse/shared/storeMaster';
import { DownloadError, type ImageDownloader } from '../download/download';
import type { ImageMetrics } from '../metrics';
import type { OutcomePublisher } from './outcomePublisher';
import { decide, type ImageDecision, type ProcessingOutcome } from './decide';
import { MeasureError, measureImage } from './measure';
import type { RetryPolicy } from './retryPolicy';
import type { SettledJobs } from './settledJobs';

export interface ProcessorSettings {
  maxPixels: number;
  /** The stand-in for GPU work: a uniform random wait in [min, max] ms (0 and 0 for none). */
  gpuDelayMinMs: number;
  gpuDelayMaxMs: number;
}

export interface ProcessorDependencies {
  broker: Broker;
  /** Sends outcomes to the events exchange, several to a message. */
  outcomes: Pick<OutcomePublisher, 'publish'>;
  /** The current store master, in memory: a store check is a map lookup, never a database read. */
  stores: Pick<StoreMaster, 'snapshot'>;
  /** Whether an image's job has settled (been cancelled, above all): its requests are dropped. */
  settledJobs: Pick<SettledJobs, 'isSettled'>;
  downloader: ImageDownloader;
  settings: ProcessorSettings;
  retryPolicy: RetryPolicy;
  metrics: ImageMetrics;
  logger: Logger;
}

/**
 * Turns one ImageRequested into ImageProcessed or ImageFailed (or a delayed retry), and resolves
 * once the outcome is confirmed by the broker — only then is the request acked. A request of a
 * job that has settled (a cancelled job) is dropped: acked with no download and no outcome, as
 * often as it is delivered. Anything thrown here is not an image failure and is left to the
 * subscription's redelivery.
 */
export function processImage(request: ImageRequested, deps: ProcessorDependencies): Promise<void> {
  return deps.metrics.inFlightWhile(async () => {
    if (await deps.settledJobs.isSettled(request.data.jobId, request.data.jobSubmittedAt)) {
      deps.metrics.dropped();
      deps.logger.debug({ imageId: request.data.imageId }, 'dropped an image request: its job has settled');
      return;
    }
    // One snapshot for the whole attempt: the check and the version the event records agree.
    const master = deps.stores.snapshot;
    const outcome = await attempt(request, master, deps);
    const decision = decide(request, outcome, deps.retryPolicy, {
      now: new Date(),
      jitter: Math.random(),
      storeMasterVersion: master.version,
    });
    await carryOut(decision, deps);
    countSettled(decision, outcome, deps.metrics);
  });
}

/** Counts what became of the image once the broker has confirmed it. */
function countSettled(decision: ImageDecision, outcome: ProcessingOutcome, metrics: ImageMetrics): void {
  if (decision.type === 'ImageProcessed') return metrics.succeeded();
  if (outcome.type !== 'failed') return;
  if (decision.type === 'RetryLater') metrics.retryScheduled(outcome.failure.kind);
  else metrics.failed(decision.data.kind, outcome.failure.kind);
}

/** The I/O of one attempt: store lookup, download, measurement, then the GPU stand-in. */
async function attempt(
  request: ImageRequested,
  master: StoreMasterSnapshot,
  deps: ProcessorDependencies,
): Promise<ProcessingOutcome> {
  const { storeId, url } = request.data;
  const { settings } = deps;
  const store = master.store(storeId);
  if (!store) return { type: 'failed', failure: { kind: 'unknown_store' }, reason: `unknown store_id ${storeId}` };
  try {
    const downloaded = await deps.metrics.timeDownload(() => deps.downloader.download(url));
    let size;
    try {
      size = await deps.metrics.measuring(downloaded, () => measureImage(downloaded.chunks, settings.maxPixels));
    } finally {
      downloaded.release();
    }
    const gpuDelay = settings.gpuDelayMinMs + Math.random() * (settings.gpuDelayMaxMs - settings.gpuDelayMinMs);
    if (gpuDelay > 0) await sleep(gpuDelay);
    return { type: 'measured', store, size, bytes: downloaded.size };
  } catch (error) {
    if (error instanceof DownloadError || error instanceof MeasureError) {
      return { type: 'failed', failure: error.failure, reason: error.message };
    }
    throw error;
  }
}

async function carryOut(decision: ImageDecision, { broker, outcomes, logger }: ProcessorDependencies): Promise<void> {
  switch (decision.type) {
    case 'RetryLater': {
      const { request, level, delayMs, reason } = decision;
      logger.debug(
        { imageId: request.data.imageId, nextAttempt: request.data.attempt, delayMs, reason },
        'retrying image later',
      );
      await sendToRetry(broker, broker.topology.retryRoutes.images, request, {
        level,
        delayMs,
        messageId: request.data.imageId,
        type: request.type,
      });
      return;
    }
    case 'ImageProcessed':
    case 'ImageFailed':
      await outcomes.publish(decision);
      return;
    default: {
      const unhandled: never = decision;
      throw new Error(`unhandled decision ${JSON.stringify(unhandled)}`);
    }
  }
}
