import { SpanKind, trace } from '@opentelemetry/api';
import type { Logger } from '@retail-pulse/shared/config';
import type { ImageRequested, ImageRequests, ImageWork } from '@retail-pulse/shared/contracts';
import {
  ImageRequestedRoutingKey,
  startPartSpan,
  withSpan,
  type Broker,
  type Delivery,
} from '@retail-pulse/shared/messaging';

import type { WorkSlots } from '../workSlots';

const tracer = trace.getTracer('retail-pulse.image-processor');

/** The work queue's prefetch (messages) that keeps `concurrency` images busy when they come `perMessage` to a message. */
export function workPrefetch(concurrency: number, perMessage: number): number {
  // Twice the slots' worth: a message is acked only once its slowest image is done, so its done
  // images hold the prefetch meanwhile, and the next images must already be here.
  return Math.max(1, Math.ceil((2 * concurrency) / perMessage));
}

/**
 * Handles what the work queue delivers: one image request, or an ImageRequests message of several
 * (each image in a span of its own, continuing the trace the dispatcher put beside it). Every
 * image takes a slot. A message's images that are done stay done when the subscription runs the
 * handler again through an outage. A message of several delivered again (a processor died holding
 * it, or its handler failed) is sent on as single requests instead, so that an image that keeps
 * failing uses up only its own redeliveries and is dead-lettered alone.
 */
export class ImageWorkHandler {
  private readonly done = new WeakMap<ImageRequests, Set<number>>();

  constructor(
    private readonly broker: Broker,
    private readonly slots: WorkSlots,
    private readonly processOne: (request: ImageRequested) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  readonly handle = async (work: ImageWork, delivery: Delivery): Promise<void> => {
    if (work.type === 'ImageRequested') return this.slots.run(() => this.processOne(work));
    if (delivery.deliveryCount > 0) return this.sendOnAlone(work);
    let done = this.done.get(work);
    if (!done) this.done.set(work, (done = new Set()));
    const settled = await Promise.allSettled(
      work.requests.map(async ({ request, trace: carrier }, index) => {
        if (done.has(index)) return;
        const span = startPartSpan(
          tracer,
          'ImageRequested process',
          SpanKind.CONSUMER,
          carrier,
          delivery.traceContext,
          {
            'messaging.message.id': request.data.imageId,
          },
        );
        try {
          await this.slots.run(() => withSpan(span, () => this.processOne(request)));
          done.add(index);
        } finally {
          span?.end();
        }
      }),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  };

  private async sendOnAlone(work: ImageRequests): Promise<void> {
    this.logger.info(
      { requests: work.requests.length },
      'a message of image requests came again; sending its requests on alone',
    );
    await Promise.all(
      work.requests.map(({ request }) =>
        this.broker.publish(this.broker.topology.names.workExchange, ImageRequestedRoutingKey, request, {
          messageId: request.data.imageId,
          type: request.type,
        }),
      ),
    );
  }
}
