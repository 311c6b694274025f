import { context, SpanKind, trace } from '@opentelemetry/api';
import {
  imageIdOf,
  metadataFor,
  type ImageRequested,
  type ImageRequests,
  type JobSubmitted,
  type SubmittedJobs,
} from '@retail-pulse/shared/contracts';
import {
  ImageRequestedRoutingKey,
  inTraceOfItsOwn,
  linkTo,
  startPartSpan,
  traceCarrierOf,
  withSpan,
  type Broker,
  type Delivery,
} from '@retail-pulse/shared/messaging';
import type { WorkSlots } from '../workSlots';

/** A job's image requests sent in one message at most, by default. */
export const DEFAULT_REQUESTS_PER_MESSAGE = 10;

const tracer = trace.getTracer('retail-pulse.image-processor');

/** One ImageRequested per image of a job, with ids fixed by the image's place in the job. Pure. */
export function imageRequestsOf(job: JobSubmitted): ImageRequested[] {
  const { jobId } = job.data;
  return job.data.visits.flatMap((visit, visitIndex) =>
    visit.imageUrls.map((url, imageIndex) => ({
      type: 'ImageRequested' as const,
      version: 1 as const,
      data: {
        jobId,
        imageId: imageIdOf(jobId, visitIndex, imageIndex),
        visitIndex,
        imageIndex,
        storeId: visit.storeId,
        visitTime: visit.visitTime,
        url,
        attempt: 1,
        jobSubmittedAt: job.metadata.occurredAt,
      },
      metadata: metadataFor(jobId, job.eventId),
    })),
  );
}

/** `items` in runs of at most `size`, in order. Pure. */
export function chunksOf<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/**
 * Fans a job out into work items, `perMessage` requests to an ImageRequests message; resolves
 * once the broker confirmed every message. If this fails half-way, the job is fanned out again in
 * full: image ids are deterministic and the event log keeps one outcome per image, so the repeats
 * cost work but never change a count.
 */
export async function dispatchJob(
  broker: Broker,
  job: JobSubmitted,
  perMessage = DEFAULT_REQUESTS_PER_MESSAGE,
): Promise<number> {
  const requests = imageRequestsOf(job);
  await Promise.all(chunksOf(requests, perMessage).map((chunk) => sendRequests(broker, chunk)));
  return requests.length;
}

/** A job dispatched: its id and how many image requests it became. */
export interface DispatchedJob {
  jobId: number;
  images: number;
}

/** How the dispatcher fans jobs out: requests per message, and the slots that bound the jobs fanned out at once. */
export interface DispatchOptions {
  perMessage: number;
  jobSlots: Pick<WorkSlots, 'run'>;
}

/**
 * Fans out every job a message of the dispatch queue carries: one JobSubmitted, or a
 * JobSubmissions message's jobs, each in a span of its own continuing its job's trace and in a
 * slot of `jobSlots` (`DISPATCH_CONCURRENCY` jobs at once, whatever the messages they came in).
 * Resolves once every job's requests are confirmed; if one job fails, the message is handled
 * again in full (dispatchJob says why that is safe).
 */
export async function dispatchSubmitted(
  broker: Broker,
  message: SubmittedJobs,
  delivery: Delivery,
  options: DispatchOptions,
): Promise<DispatchedJob[]> {
  const dispatch = (job: JobSubmitted) =>
    options.jobSlots.run(async () => ({
      jobId: job.data.jobId,
      images: await dispatchJob(broker, job, options.perMessage),
    }));
  if (message.type === 'JobSubmitted') return [await dispatch(message)];
  return Promise.all(
    message.jobs.map(async ({ event, trace: carrier }) => {
      const span = startPartSpan(tracer, 'JobSubmitted dispatch', SpanKind.CONSUMER, carrier, delivery.traceContext, {
        'messaging.message.id': event.eventId,
      });
      try {
        return await withSpan(span, () => dispatch(event));
      } finally {
        span?.end();
      }
    }),
  );
}

/**
 * One message of requests. Each request has a send span of its own in the job's trace, whose
 * context goes beside it: the image's processing continues it, as it would a message of its own.
 */
async function sendRequests(broker: Broker, requests: ImageRequested[]): Promise<void> {
  const spans = requests.map((request) =>
    tracer.startSpan('ImageRequested send', {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.message.id': request.data.imageId },
    }),
  );
  const contexts = spans.map((span) => trace.setSpan(context.active(), span));
  const message: ImageRequests = {
    type: 'ImageRequests',
    version: 1,
    requests: requests.map((request, index) => {
      const carrier = traceCarrierOf(contexts[index]);
      return carrier ? { request, trace: carrier } : { request };
    }),
  };
  try {
    await inTraceOfItsOwn(
      tracer,
      'image requests send',
      contexts.map((spanContext) => linkTo(spanContext)),
      { 'rp.requests': requests.length },
      () =>
        broker.publish(broker.topology.names.workExchange, ImageRequestedRoutingKey, message, {
          messageId: `requests:${requests[0]!.data.imageId}:${requests.length}`,
          type: message.type,
        }),
    );
  } finally {
    for (const span of spans) span.end();
  }
}
