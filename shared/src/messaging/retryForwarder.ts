import type { Logger } from '../config/logger';
import type { Broker, Delivery, PublishOptions } from './broker';
import {
  clampLevel,
  delayQueueName,
  RETRY_DUE_AT_HEADER,
  waitBeforeForwarding,
  type DelayedRetries,
} from './delayedRetries';

/**
 * Sends a message to wait in the delay queue of `level` for `delayMs` (at most the level's longest
 * wait); resolves once the broker has confirmed it. The consumer acks the attempt only after.
 */
export async function publishRetry(
  broker: Broker,
  retries: DelayedRetries,
  retry: { level: number; delayMs: number; payload: unknown; messageId?: string; type?: string },
  now = Date.now(),
): Promise<void> {
  const level = clampLevel(retries, retry.level);
  const delayMs = Math.min(Math.max(retry.delayMs, 0), retries.levelsMs[level]!);
  const options: PublishOptions = { headers: { [RETRY_DUE_AT_HEADER]: now + delayMs } };
  if (retry.messageId) options.messageId = retry.messageId;
  if (retry.type) options.type = retry.type;
  await broker.publish(retries.retryExchange, delayQueueName(retries, level), retry.payload, options);
}

/** What a forwarder has done since it started, for health endpoints and the chaos run. */
export interface RetryForwarderStats {
  /** Retries taken from the delay queues and waiting for their time, now. */
  held: number;
  /** Retries published back to the work queue (and acked in their delay queue). */
  forwarded: number;
}

/** Pause before a retry whose forwarding failed goes back to its delay queue. */
const REQUEUE_PAUSE_MS = 1_000;

/**
 * Moves due retries from a work queue's delay queues back to the work queue. It consumes every
 * delay queue, holds each message (unacked) until it is due, publishes it to the work queue and
 * acks it only once the broker has confirmed that publish. At least once, whatever dies: a
 * forwarder or node lost while holding a message, or before its ack, leaves it in the delay queue,
 * delivered again and forwarded then (a duplicate at most; consumers of work queues are
 * idempotent). Several forwarders share the delay queues as competing consumers.
 *
 * A delay queue delivers in order, and `prefetch` messages per level are held at once: a message
 * behind that many waits for one of them to leave, so with a full hold it can be late by up to
 * the spread of due times within its level (jitter). Held messages cost their body in memory.
 */
export class RetryForwarder {
  readonly stats: RetryForwarderStats = { held: 0, forwarded: 0 };
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly broker: Broker,
    private readonly retries: DelayedRetries,
    private readonly logger: Logger,
    private readonly options: { prefetch: number; now?: () => number },
  ) {}

  /** Consumes every delay queue, now and again after every reconnect of the broker. */
  async start(): Promise<void> {
    for (const [level, levelMs] of this.retries.levelsMs.entries()) {
      await this.broker.consume({
        queue: delayQueueName(this.retries, level),
        prefetch: this.options.prefetch,
        onDelivery: (delivery) => this.hold(delivery, levelMs),
      });
    }
  }

  /**
   * Forgets the messages held: they go back to their delay queues when the broker's channels
   * close (cancel the consumers first, `broker.cancelConsumers`, so no more arrive).
   */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.stats.held = 0;
  }

  private hold(delivery: Delivery, levelMs: number): void {
    if (this.stopped) return;
    const now = this.options.now?.() ?? Date.now();
    this.stats.held++;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.forward(delivery);
      },
      waitBeforeForwarding(delivery.headers, levelMs, now),
    );
    this.timers.add(timer);
  }

  private async forward(delivery: Delivery): Promise<void> {
    try {
      // Its channel closed while it waited: the broker has it back and delivers it again.
      if (!delivery.channelOpen()) return;
      await this.broker.publishRaw(this.retries.workExchange, this.retries.workRoutingKey, delivery.content, {
        ...(delivery.messageId ? { messageId: delivery.messageId } : {}),
        ...(delivery.type ? { type: delivery.type } : {}),
        headers: forwardedHeaders(delivery.headers),
      });
      delivery.ack();
      this.stats.forwarded++;
    } catch (error) {
      this.logger.warn(
        { queue: this.retries.workQueue, err: String(error) },
        'could not forward a due retry; it goes back to its delay queue',
      );
      await new Promise((resolve) => setTimeout(resolve, REQUEUE_PAUSE_MS));
      delivery.requeue();
    } finally {
      if (!this.stopped) this.stats.held--;
    }
  }
}

/**
 * The headers a forwarded message keeps: the publisher's own (trace context, say), not its due
 * time nor what the broker added about the delay queue (`x-delivery-count`, `x-death`).
 */
function forwardedHeaders(headers: Record<string, unknown>): Record<string, string | number> {
  const kept: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith('x-')) continue;
    if (typeof value === 'string' || typeof value === 'number') kept[key] = value;
  }
  return kept;
}
