import type { z } from 'zod';
import { describeZodError } from '../contracts/events';
import type { Logger } from '../config/logger';
import { isOutage } from './outage';
import type { Broker, Delivery } from './broker';

export interface SubscriptionSpec<T> {
  queue: string;
  /** Deliveries in flight at once on this subscription. */
  prefetch: number;
  schema: z.ZodType<T>;
  /** Deliveries of one message before it goes to the dead-letter queue instead of being retried. */
  redeliveryLimit: number;
  /** Resolves when the message's effect is durable; the message is acked after. */
  handle: (message: T, delivery: Delivery) => Promise<void>;
  /** How long a message is held while the database or broker is unreachable (default 5 minutes). */
  outageHoldMs?: number;
}

/** Pause before a failed message goes back to its queue, so a failing handler does not spin. */
const REQUEUE_PAUSE_MS = 500;
/** How long a message is held while the database or broker is unreachable, retrying its handler. */
export const OUTAGE_HOLD_MS = 300_000;

/**
 * Runs a handler, waiting out outages of the backing services: a message is not the culprit
 * when the database is restarting, so it must not use up its redeliveries (and be dead-lettered).
 */
async function handleThroughOutages(
  run: () => Promise<void>,
  logger: Logger,
  queue: string,
  holdMs: number,
): Promise<void> {
  const deadline = Date.now() + holdMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await run();
    } catch (error) {
      if (!isOutage(error) || Date.now() > deadline) throw error;
      logger.warn({ queue, err: String(error), retryInMs: delay }, 'backing service unavailable; holding the message');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Counts messages being handled, so shutdown can wait for them to finish. */
export class InFlight {
  private count = 0;
  private idleWaiters: Array<() => void> = [];

  get size(): number {
    return this.count;
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await work();
    } finally {
      this.count--;
      if (this.count === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

export function parseDelivery<T>(
  delivery: Delivery,
  schema: z.ZodType<T>,
): { ok: true; value: T } | { ok: false; reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(delivery.content.toString('utf8'));
  } catch {
    return { ok: false, reason: 'message is not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, reason: `message failed validation: ${describeZodError(parsed.error)}` };
}

/**
 * Validated, one-at-a-time handling of a queue: invalid messages and messages whose handler keeps
 * failing go to the dead-letter queue with the reason; nothing crashes the consumer, nothing is dropped.
 */
export async function subscribe<T>(
  broker: Broker,
  logger: Logger,
  inFlight: InFlight,
  spec: SubscriptionSpec<T>,
): Promise<void> {
  const onDelivery = (delivery: Delivery) => {
    void inFlight.track(async () => {
      const parsed = parseDelivery(delivery, spec.schema);
      if (!parsed.ok) {
        logger.warn({ queue: spec.queue, reason: parsed.reason }, 'dead-lettering an invalid message');
        await delivery.deadLetter(parsed.reason).catch(() => delivery.requeue());
        return;
      }
      try {
        await handleThroughOutages(
          () => spec.handle(parsed.value, delivery),
          logger,
          spec.queue,
          spec.outageHoldMs ?? OUTAGE_HOLD_MS,
        );
        delivery.ack();
      } catch (error) {
        const attempts = delivery.deliveryCount + 1;
        const reason = error instanceof Error ? error.message : String(error);
        if (attempts >= spec.redeliveryLimit) {
          logger.error({ queue: spec.queue, attempts, reason }, 'dead-lettering a message that keeps failing');
          await delivery.deadLetter(`handler failed ${attempts} times: ${reason}`).catch(() => delivery.requeue());
          return;
        }
        logger.warn({ queue: spec.queue, attempts, reason }, 'handler failed; message will be redelivered');
        await new Promise((resolve) => setTimeout(resolve, REQUEUE_PAUSE_MS));
        delivery.requeue();
      }
    });
  };
  await broker.consume({ queue: spec.queue, prefetch: spec.prefetch, onDelivery });
}
