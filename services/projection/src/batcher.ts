import { domainEventSchema, parseDelivery, type Delivery, type DomainEvent, type Logger } from '@retail-pulse/shared';

export interface BatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
  /** Writes one batch durably; throwing makes the batcher retry the same batch. */
  write: (events: DomainEvent[]) => Promise<void>;
  logger: Logger;
}

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
      const valid: Array<{ delivery: Delivery; event: DomainEvent }> = [];
      for (const delivery of batch) {
        const parsed = parseDelivery(delivery, domainEventSchema);
        if (parsed.ok) valid.push({ delivery, event: parsed.value });
        else {
          this.options.logger.warn({ reason: parsed.reason }, 'dead-lettering an invalid event');
          await delivery.deadLetter(parsed.reason).catch(() => delivery.requeue());
        }
      }
      await this.writeWithRetry(valid.map((item) => item.event));
      for (const item of valid) item.delivery.ack();
      this.inFlight = 0;
    }
  }

  private async writeWithRetry(events: DomainEvent[]): Promise<void> {
    let delay = RETRY_MIN_MS;
    for (;;) {
      try {
        await this.options.write(events);
        return;
      } catch (error) {
        this.options.logger.warn({ err: String(error), retryInMs: delay, events: events.length }, 'batch write failed');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
  }
}
