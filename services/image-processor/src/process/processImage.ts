import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@retail-pulse/shared/config';
import {
  imageSettledEventId,
  type ImageFailed,
  type ImageFailureKind,
  type ImageProcessed,
  type ImageRequested,
} from '@retail-pulse/shared/contracts';
import { RETRY_DELAYS_MS, type Broker } from '@retail-pulse/shared/messaging';
import { DownloadError, type ImageDownloader } from '../download/download';
import { measureImage, perimeterOf } from './measure';
import type { StoreCache } from './storeCache';

export interface ProcessorSettings {
  maxAttempts: number;
  maxPixels: number;
  /** The stand-in for GPU work: a uniform random wait in [min, max] ms (0 and 0 for none). */
  gpuDelayMinMs: number;
  gpuDelayMaxMs: number;
}

export interface ProcessorDependencies {
  broker: Broker;
  stores: StoreCache;
  downloader: ImageDownloader;
  settings: ProcessorSettings;
  logger: Logger;
}

/** Backoff before attempt `nextAttempt`: exponential by level, with jitter over the upper half. */
export function retryDelayMs(nextAttempt: number, random = Math.random): { level: number; delayMs: number } {
  const level = Math.min(Math.max(nextAttempt - 2, 0), RETRY_DELAYS_MS.length - 1);
  const ceiling = RETRY_DELAYS_MS[level]!;
  return { level, delayMs: Math.round(ceiling * (0.5 + random() / 2)) };
}

function failedEvent(request: ImageRequested, kind: ImageFailureKind, reason: string): ImageFailed {
  return {
    eventId: imageSettledEventId(request.data.imageId),
    type: 'ImageFailed',
    version: 1,
    data: { ...withoutAttempt(request.data), kind, reason, attempts: request.data.attempt },
    metadata: { ...request.metadata, occurredAt: new Date().toISOString() },
  };
}

function withoutAttempt(data: ImageRequested['data']) {
  const { attempt: _attempt, ...rest } = data;
  return rest;
}

function finalReason(error: DownloadError, attempts: number): string {
  if (!error.transient || attempts <= 1) return error.message;
  return `${error.message} (after ${attempts} attempts)`;
}

/**
 * Turns one ImageRequested into ImageProcessed or ImageFailed (or a delayed retry), and resolves
 * once the outcome is confirmed by the broker — only then is the request acked.
 */
export async function processImage(request: ImageRequested, deps: ProcessorDependencies): Promise<void> {
  const { data } = request;
  const { broker, settings } = deps;
  const publishEvent = (event: ImageProcessed | ImageFailed) =>
    broker.publish(broker.topology.names.eventsExchange, event.type, event, {
      messageId: event.eventId,
      type: event.type,
    });

  const store = await deps.stores.lookup(data.storeId);
  if (!store) {
    await publishEvent(failedEvent(request, 'unknown_store', `unknown store_id ${data.storeId}`));
    return;
  }
  let size;
  let bytes;
  try {
    const downloaded = await deps.downloader.download(data.url);
    bytes = downloaded.size;
    size = await measureImage(downloaded.chunks, settings.maxPixels);
  } catch (error) {
    if (!(error instanceof DownloadError)) throw error;
    if (error.transient && data.attempt < settings.maxAttempts) {
      const nextAttempt = data.attempt + 1;
      const { level, delayMs } = retryDelayMs(nextAttempt);
      deps.logger.debug({ imageId: data.imageId, nextAttempt, delayMs, reason: error.message }, 'retrying image later');
      await broker.publish(
        broker.topology.names.retryExchange,
        `retry-${level}`,
        { ...request, data: { ...data, attempt: nextAttempt } },
        { messageId: data.imageId, type: request.type, expiration: delayMs },
      );
      return;
    }
    await publishEvent(failedEvent(request, error.kind, finalReason(error, data.attempt)));
    return;
  }
  const delay = settings.gpuDelayMinMs + Math.random() * (settings.gpuDelayMaxMs - settings.gpuDelayMinMs);
  if (delay > 0) await sleep(delay);
  const processedAt = new Date().toISOString();
  const processed: ImageProcessed = {
    eventId: imageSettledEventId(data.imageId),
    type: 'ImageProcessed',
    version: 2,
    data: {
      ...withoutAttempt(data),
      areaCode: store.areaCode,
      storeName: store.storeName,
      width: size.width,
      height: size.height,
      perimeter: perimeterOf(size),
      format: size.format,
      bytes,
      attempts: data.attempt,
      processedAt,
    },
    metadata: { ...request.metadata, occurredAt: processedAt },
  };
  await publishEvent(processed);
}
