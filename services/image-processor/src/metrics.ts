import type { ImageFailureKind } from '@retail-pulse/shared/contracts';
import type { Counter, Gauge, Histogram, ServiceMetrics } from '@retail-pulse/shared/service';
import type { ProcessingFailure } from './process/retryPolicy';

/** Downloads take from milliseconds to the whole-download timeout (15 s by default). */
const DOWNLOAD_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30];
/** Measuring reads a header: well under a millisecond for JPEG and PNG, longer through sharp. */
const MEASURE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/**
 * What the image-processor reports: every label is one of a fixed set (an outcome, a failure
 * kind), never a URL or a reason's text, so the series stay as few as the kinds.
 */
export class ImageMetrics {
  private readonly processed: Counter<'outcome'>;
  private readonly failures: Counter<'kind' | 'cause'>;
  private readonly retries: Counter<'cause'>;
  private readonly downloadDuration: Histogram<'result'>;
  private readonly measureDuration: Histogram<'result'>;
  private readonly downloadedBytes: Counter;
  private readonly inFlight: Gauge;
  private readonly bytesHeld: Gauge;
  private readonly jobsDispatched: Counter;
  private readonly imagesRequested: Counter;
  private readonly requestsDropped: Counter;

  constructor(metrics: ServiceMetrics) {
    this.processed = metrics.counter({
      name: 'rp_images_processed_total',
      help: 'Images settled, by outcome: succeeded (measured) or failed',
      labelNames: ['outcome'],
    });
    this.failures = metrics.counter({
      name: 'rp_image_failures_total',
      help: 'Images failed, by the kind clients see (kind) and the failure found (cause)',
      labelNames: ['kind', 'cause'],
    });
    this.retries = metrics.counter({
      name: 'rp_image_retries_total',
      help: 'Images sent through a delay queue to be tried again after a transient failure, by the failure found',
      labelNames: ['cause'],
    });
    this.downloadDuration = metrics.histogram({
      name: 'rp_image_download_duration_seconds',
      help: 'Time to download an image, by result (ok or failed)',
      labelNames: ['result'],
      buckets: DOWNLOAD_BUCKETS,
    });
    this.measureDuration = metrics.histogram({
      name: 'rp_image_measure_duration_seconds',
      help: "Time to read an image's width and height from its bytes, by result (ok or failed)",
      labelNames: ['result'],
      buckets: MEASURE_BUCKETS,
    });
    this.downloadedBytes = metrics.counter({
      name: 'rp_image_downloaded_bytes_total',
      help: 'Bytes of images downloaded in full',
    });
    this.inFlight = metrics.gauge({ name: 'rp_images_in_flight', help: 'Image requests being worked on now' });
    this.bytesHeld = metrics.gauge({
      name: 'rp_image_bytes_held_bytes',
      help: 'Bytes of downloaded images held in memory for measuring now (a JPEG or PNG up to the end of its header, other formats whole)',
    });
    this.jobsDispatched = metrics.counter({
      name: 'rp_jobs_dispatched_total',
      help: 'Jobs fanned out into image requests',
    });
    this.imagesRequested = metrics.counter({
      name: 'rp_images_requested_total',
      help: 'Image requests published by the dispatcher (a job fanned out again counts again)',
    });
    this.requestsDropped = metrics.counter({
      name: 'rp_image_requests_dropped_total',
      help: 'Image requests dropped without a download because their job had settled (a cancelled job, above all)',
    });
  }

  /** Counts `work` as one image in flight while it runs. */
  async inFlightWhile<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight.inc();
    try {
      return await work();
    } finally {
      this.inFlight.dec();
    }
  }

  timeDownload<T>(download: () => Promise<T>): Promise<T> {
    return timed(this.downloadDuration, download);
  }

  /**
   * Times the measurement of a download (`size` bytes in all, `kept` of them held for measuring),
   * holding the kept bytes in the gauge meanwhile.
   */
  async measuring<T>(downloaded: { size: number; kept: number }, measure: () => Promise<T>): Promise<T> {
    this.downloadedBytes.inc(downloaded.size);
    this.bytesHeld.inc(downloaded.kept);
    try {
      return await timed(this.measureDuration, measure);
    } finally {
      this.bytesHeld.dec(downloaded.kept);
    }
  }

  succeeded(): void {
    this.processed.inc({ outcome: 'succeeded' });
  }

  failed(kind: ImageFailureKind, cause: ProcessingFailure['kind']): void {
    this.processed.inc({ outcome: 'failed' });
    this.failures.inc({ kind, cause });
  }

  retryScheduled(cause: ProcessingFailure['kind']): void {
    this.retries.inc({ cause });
  }

  dropped(): void {
    this.requestsDropped.inc();
  }

  dispatched(images: number): void {
    this.jobsDispatched.inc();
    this.imagesRequested.inc(images);
  }
}

async function timed<T>(histogram: Histogram<'result'>, work: () => Promise<T>): Promise<T> {
  const end = histogram.startTimer();
  try {
    const result = await work();
    end({ result: 'ok' });
    return result;
  } catch (error) {
    end({ result: 'failed' });
    throw error;
  }
}
