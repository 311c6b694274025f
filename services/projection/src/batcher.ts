import { isSpanContextValid, trace, type Link } from '@opentelemetry/api';
import type { Logger } from '@retail-pulse/shared/config';
import { projectionMessageSchema, type DomainEvent, type SwitchReadModels } from '@retail-pulse/shared/contracts';
import { parseDelivery, type Delivery } from '@retail-pulse/shared/messaging';
import type { Projector } from './projector';

export interface BatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
  /**
   * Writes one batch durably; throwing makes the batcher retry the same batch. Returns the places
   * (in `events`) of the events refused, which go to the dead-letter queue with the reason.
   */
  write: (events: DomainEvent[]) => Promise<{ refused: Array<{ index: number; reason: string }> }>;
  /** Carries out a replay's switch request, between two batches; retried like a write. */
  switchGenerations: (request: SwitchReadModels) => Promise<unknown>;
  logger: Logger;
}

const tracer = trace.getTracer('retail-pulse.projection');

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;

/**
 * Collects deliveries into batches, writes one batch at a time, and acks a batch only once its
 * write is durable. A failing write (database down) is retried with backoff, holding the batch.
 */
export class Batcher {
  private buffer: Delivery[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: BatcherOptions) {}

  /** Events received but not yet folded. */
  get lag(): number {
    return this.buffer.length + this.inFlight;
  }

  add(delivery: Delivery): void {
    this.buffer.push(delivery);
    if (this.buffer.length >= this.options.maxBatch) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.maxWaitMs);
  }

  /** Stops taking batches; resolves when the batch being written is done. Unwritten deliveries are requeued. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    for (const delivery of this.buffer.splice(0)) delivery.requeue();
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      if (this.buffer.length > 0 && !this.stopped) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0 && !this.stopped) {
      const batch = this.buffer.splice(0, this.options.maxBatch);
      this.inFlight = batch.length;
      let events: Array<{ delivery: Delivery; event: DomainEvent }> = [];
      for (const delivery of batch) {
        const parsed = parseDelivery(delivery, projectionMessageSchema);
        if (!parsed.ok) {
          this.options.logger.warn({ reason: parsed.reason }, 'dead-lettering an invalid event');
          await delivery.deadLetter(parsed.reason).catch(() => delivery.requeue());
        } else if (parsed.value.type === 'SwitchReadModels') {
          // Everything delivered before the request is written first: the switch happens between batches.
          await this.writeEvents(events);
          events = [];
          const request = parsed.value;
          await this.withRetry('switch', () => this.options.switchGenerations(request));
          delivery.ack();
        } else events.push({ delivery, event: parsed.value });
      }
      await this.writeEvents(events);
      this.inFlight = 0;
    }
  }

  /**
   * One batch is one span of its own trace, linked to every event's delivery span: a batch holds
   * events of many jobs, so it belongs to none of their traces. Each event's delivery span, in
   * its job's trace, lasts until the batch acks it.
   */
  private async writeEvents(items: Array<{ delivery: Delivery; event: DomainEvent }>): Promise<void> {
    if (items.length === 0) return;
    const links: Link[] = [];
    for (const { delivery } of items) {
      const linked = trace.getSpanContext(delivery.traceContext);
      if (linked && isSpanContextValid(linked)) links.push({ context: linked });
    }
    await tracer.startActiveSpan(
      'projection fold',
      { root: true, links, attributes: { 'rp.batch.events': items.length } },
      async (span) => {
        try {
          await this.writeAndSettle(items);
        } finally {
          span.end();
        }
      },
    );
  }

  private async writeAndSettle(items: Array<{ delivery: Delivery; event: DomainEvent }>): Promise<void> {
    const { refused } = await this.withRetry('batch write', () => this.options.write(items.map((item) => item.event)));
    const reasons = new Map(refused.map((entry) => [entry.index, entry.reason]));
    for (const [index, item] of items.entries()) {
      const reason = reasons.get(index);
      if (reason === undefined) item.delivery.ack();
      else await item.delivery.deadLetter(reason).catch(() => item.delivery.requeue());
    }
  }

  private async withRetry<T>(what: string, work: () => Promise<T>): Promise<T> {
    let delay = RETRY_MIN_MS;
    for (;;) {
      try {
        return await work();
      } catch (error) {
        this.options.logger.warn({ err: String(error), retryInMs: delay }, `${what} failed`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }
}

/** The batcher of a projection: every batch appended and folded by `projector`, switches carried out by it. */
export function projectionBatcher(
  projector: Projector,
  logger: Logger,
  limits: { maxBatch: number; maxWaitMs: number },
): Batcher {
  return new Batcher({
    ...limits,
    write: (events) => projector.project(events),
    switchGenerations: (request) => projector.switchGenerations(request),
    logger,
  });
}
