import { context, propagation, ROOT_CONTEXT, trace, type Link } from '@opentelemetry/api';
import { MAX_OUTCOMES_PER_MESSAGE, type ImageOutcome, type ImageOutcomes } from '@retail-pulse/shared/contracts';
import type { Broker } from '@retail-pulse/shared/messaging';

export interface OutcomePublisherOptions {
  /** Outcomes sent in one message at most (a full message goes at once). */
  maxOutcomes: number;
  /** How long the first outcome of a message waits for others before the message goes. */
  lingerMs: number;
}

export const DEFAULT_OUTCOME_BATCHING: OutcomePublisherOptions = { maxOutcomes: 100, lingerMs: 10 };

interface Waiting {
  outcome: ImageOutcomes['outcomes'][number];
  link: Link | undefined;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const tracer = trace.getTracer('retail-pulse.image-processor');

/**
 * Sends images' outcomes to the events exchange several to a message (ImageOutcomes): the images
 * settled within `lingerMs` of each other share one publish, one confirm, and one enqueue,
 * delivery and ack on the projection's queue. Each `publish` resolves once the broker has
 * confirmed the message holding its outcome, so an image request is still acked only after its
 * outcome is durable; if the message is not confirmed, every outcome in it fails and their
 * requests are tried again (the log keeps one copy of each event).
 */
export class OutcomePublisher {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Messages sent and outcomes in them, for the health details. */
  readonly stats = { messages: 0, outcomes: 0 };

  constructor(
    private readonly broker: Broker,
    private readonly options: OutcomePublisherOptions = DEFAULT_OUTCOME_BATCHING,
  ) {
    if (options.maxOutcomes > MAX_OUTCOMES_PER_MESSAGE) {
      throw new Error(`at most ${MAX_OUTCOMES_PER_MESSAGE} outcomes fit in one message`);
    }
  }

  publish(event: ImageOutcome): Promise<void> {
    // The image's trace context goes along inside the message, for the projection to continue it.
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    const spanContext = trace.getSpanContext(context.active());
    return new Promise((resolve, reject) => {
      this.waiting.push({
        outcome: Object.keys(carrier).length > 0 ? { event, trace: carrier } : { event },
        link: spanContext ? { context: spanContext } : undefined,
        resolve,
        reject,
      });
      if (this.waiting.length >= this.options.maxOutcomes) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting.splice(0, this.options.maxOutcomes);
    if (this.waiting.length > 0) this.timer = setTimeout(() => this.flush(), this.options.lingerMs);
    if (batch.length === 0) return;
    const message: ImageOutcomes = { type: 'ImageOutcomes', version: 1, outcomes: batch.map((each) => each.outcome) };
    const links = batch.flatMap((each) => (each.link ? [each.link] : []));
    // A message of many images belongs to none of their traces: its publish starts a trace of its
    // own, linked to each image's.
    void context.with(ROOT_CONTEXT, () =>
      tracer.startActiveSpan('image outcomes send', { links, attributes: { 'rp.outcomes': batch.length } }, (span) =>
        this.broker
          .publish(this.broker.topology.names.eventsExchange, message.type, message, {
            messageId: `outcomes:${message.outcomes[0]!.event.eventId}:${batch.length}`,
            type: message.type,
          })
          .then(
            () => {
              this.stats.messages++;
              this.stats.outcomes += batch.length;
              for (const each of batch) each.resolve();
            },
            (error: unknown) => {
              for (const each of batch) each.reject(error);
            },
          )
          .finally(() => span.end()),
      ),
    );
  }
}
