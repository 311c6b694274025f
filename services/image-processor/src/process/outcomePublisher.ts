import { trace, type Link } from '@opentelemetry/api';
import { MAX_OUTCOMES_PER_MESSAGE, type ImageOutcome, type ImageOutcomes } from '@retail-pulse/shared/contracts';
import { inTraceOfItsOwn, linkTo, traceCarrierOf, type Broker } from '@retail-pulse/shared/messaging';

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
    const carrier = traceCarrierOf();
    return new Promise((resolve, reject) => {
      this.waiting.push({ outcome: carrier ? { event, trace: carrier } : { event }, link: linkTo(), resolve, reject });
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
    void inTraceOfItsOwn(
      tracer,
      'image outcomes send',
      batch.map((each) => each.link),
      { 'rp.outcomes': batch.length },
      () =>
        this.broker.publish(this.broker.topology.names.eventsExchange, message.type, message, {
          messageId: `outcomes:${message.outcomes[0]!.event.eventId}:${batch.length}`,
          type: message.type,
        }),
    ).then(
      () => {
        this.stats.messages++;
        this.stats.outcomes += batch.length;
        for (const each of batch) each.resolve();
      },
      (error: unknown) => {
        for (const each of batch) each.reject(error);
      },
    );
  }
}
