import { isSpanContextValid, SpanKind, trace, type Link, type Span } from '@opentelemetry/api';
import type { Logger } from '@retail-pulse/shared/config';
import { projectionMessageSchema, type DomainEvent, type SwitchReadModels } from '@retail-pulse/shared/contracts';
import { parseDelivery, startPartSpan, type Delivery } from '@retail-pulse/shared/messaging';
import type { Projector } from './projector';

export interface BatcherOptions {
  /** Events written in one batch at most (a message's events are never split). */
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
/** One event to write, and what settles it: its delivery, and its own span if it came in a message of many. */
interface Item {
  event: DomainEvent;
  delivery: Delivery;
  /** Whether its message carried other events too (JobSubmissions, ImageOutcomes): refused, it is dead-lettered alone. */
  partOfMany: boolean;
  span: Span | undefined;
}

/** A delivery as received: the events it carries (one, or a message of many's), or a switch request. */
type Entry =
  | { kind: 'events'; delivery: Delivery; items: Item[] }
  | { kind: 'switch'; delivery: Delivery; request: SwitchReadModels };

/**
 * Collects deliveries into batches, writes one batch at a time, and acks a delivery only once the
 * write of every event it carried is durable. A failing write (database down) is retried with
 * backoff, holding the batch.
 */
export class Batcher {
  private buffer: Entry[] = [];
  /** Events in `buffer`. */
  private buffered = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: BatcherOptions) {}

  /** Events received but not yet folded. */
  get lag(): number {
    return this.buffered + this.inFlight;
  }

  add(delivery: Delivery): void {
    const parsed = parseDelivery(delivery, projectionMessageSchema);
    if (!parsed.ok) {
      this.options.logger.warn({ reason: parsed.reason }, 'dead-lettering an invalid event');
      void delivery.deadLetter(parsed.reason).catch(() => delivery.requeue());
      return;
    }
    const message = parsed.value;
    let entry: Entry;
    if (message.type === 'SwitchReadModels') entry = { kind: 'switch', delivery, request: message };
    else if (message.type === 'ImageOutcomes')
      entry = { kind: 'events', delivery, items: partItems(message.outcomes, delivery) };
    else if (message.type === 'JobSubmissions')
      entry = { kind: 'events', delivery, items: partItems(message.jobs, delivery) };
    else
      entry = { kind: 'events', delivery, items: [{ event: message, delivery, partOfMany: false, span: undefined }] };
    this.buffer.push(entry);
    if (entry.kind === 'events') this.buffered += entry.items.length;
    if (this.buffered >= this.options.maxBatch) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.maxWaitMs);
  }

  /** Stops taking batches; resolves when the batch being written is done. Unwritten deliveries are requeued. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    for (const entry of this.buffer.splice(0)) {
      if (entry.kind === 'events') for (const item of entry.items) item.span?.end();
      entry.delivery.requeue();
    }
    this.buffered = 0;
  }

  private kick(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      if (this.buffer.length > 0 && !this.stopped) this.kick();
    });
  }

  /** Takes whole deliveries from the front of the buffer, up to `maxBatch` events (at least one delivery). */
  private take(): Entry[] {
    let events = 0;
    let count = 0;
    for (const entry of this.buffer) {
      const size = entry.kind === 'events' ? entry.items.length : 0;
      if (count > 0 && events + size > this.options.maxBatch) break;
      events += size;
      count++;
    }
    this.buffered -= events;
    this.inFlight = events;
    return this.buffer.splice(0, count);
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0 && !this.stopped) {
      let items: Item[] = [];
      for (const entry of this.take()) {
        if (entry.kind === 'switch') {
          // Everything delivered before the request is written first: the switch happens between batches.
          await this.writeEvents(items);
          items = [];
          await this.withRetry('switch', () => this.options.switchGenerations(entry.request));
          entry.delivery.ack();
        } else items.push(...entry.items);
      }
      await this.writeEvents(items);
      this.inFlight = 0;
    }
  }

  /**
   * One batch is one span of its own trace, linked to every event's delivery span (or, for an
   * event that came in a message of many, to its own span in its image's trace): a batch holds
   * events of many jobs, so it belongs to none of their traces. Each of those spans lasts until
   * the batch settles its event.
   */
  private async writeEvents(items: Item[]): Promise<void> {
    if (items.length === 0) return;
    const links: Link[] = [];
    for (const item of items) {
      const linked = item.span ? item.span.spanContext() : trace.getSpanContext(item.delivery.traceContext);
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

  /**
   * Acks each delivery once all its events are written. A refused event goes to the dead-letter
   * queue with the reason: the whole message when it carried only that event, else the event alone
   * (the rest of its message is in the log).
   */
  private async writeAndSettle(items: Item[]): Promise<void> {
    const { refused } = await this.withRetry('batch write', () => this.options.write(items.map((item) => item.event)));
    const reasons = new Map(refused.map((entry) => [entry.index, entry.reason]));
    const deliveries = new Map<Delivery, Array<{ item: Item; reason: string | undefined }>>();
    for (const [index, item] of items.entries()) {
      let settled = deliveries.get(item.delivery);
      if (!settled) deliveries.set(item.delivery, (settled = []));
      settled.push({ item, reason: reasons.get(index) });
    }
    for (const [delivery, settled] of deliveries) {
      const refusedHere = settled.filter((each) => each.reason !== undefined);
      if (!settled[0]!.item.partOfMany && refusedHere.length === 1) {
        await delivery.deadLetter(refusedHere[0]!.reason!).catch(() => delivery.requeue());
      } else {
        try {
          for (const { item, reason } of refusedHere) {
            await delivery.deadLetterPart(Buffer.from(JSON.stringify(item.event)), reason!, item.event.eventId);
          }
          delivery.ack();
        } catch {
          // The log keeps one copy: the message comes again and only the refusals are repeated.
          delivery.requeue();
        }
      }
      for (const { item } of settled) item.span?.end();
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

/**
 * The events of a message of many (JobSubmissions, ImageOutcomes), each with a span of its own in
 * its job's or image's trace (from the context its publisher put beside it), as a single event's
 * delivery span would be.
 */
function partItems(
  parts: Array<{ event: DomainEvent; trace?: Record<string, string> | undefined }>,
  delivery: Delivery,
): Item[] {
  return parts.map(({ event, trace: carrier }) => ({
    event,
    delivery,
    partOfMany: true,
    span: startPartSpan(tracer, `${event.type} receive`, SpanKind.CONSUMER, carrier, delivery.traceContext, {
      'messaging.message.id': event.eventId,
    }),
  }));
}
