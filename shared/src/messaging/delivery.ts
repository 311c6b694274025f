import { context, type Context } from '@opentelemetry/api';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../config/logger';

/** One delivered message; settle it exactly once with ack, requeue or deadLetter. */
export interface Delivery {
  content: Buffer;
  headers: Record<string, unknown>;
  /** The message's `message-id` and `type` properties, as published. */
  messageId: string | undefined;
  type: string | undefined;
  /** How many times the broker delivered it before (quorum queues count this). */
  deliveryCount: number;
  /**
   * The trace context it was delivered in: with tracing on, the consumer span that the amqplib
   * instrumentation starts as a child of the publisher's `traceparent` header (and ends on
   * settling). Work done later, away from the delivery (a batch), links to it.
   */
  traceContext: Context;
  /**
   * False once the channel it came on has closed: the broker delivers it again (to this client
   * after its reconnect, or to another), and settling this one does nothing.
   */
  channelOpen(): boolean;
  ack(): void;
  /** Gives the message back to the queue for another delivery. */
  requeue(): void;
  /** Moves the message to the dead-letter queue with the reason in its headers, then acks it. */
  deadLetter(reason: string): Promise<void>;
  /**
   * Puts one part of a message of many (`content`, an event of its own) in the dead-letter queue,
   * with this message's headers and the reason; the message itself is left to be settled.
   */
  deadLetterPart(content: Buffer, reason: string, messageId: string): Promise<void>;
}

export interface ConsumerSpec {
  queue: string;
  prefetch: number;
  onDelivery: (delivery: Delivery) => void;
}

/** What became of the messages of one queue (or feed) in this client, for its metrics. */
export interface QueueCounts {
  /** Deliveries the broker marked as delivered before. */
  redelivered: number;
  /** Deliveries handed back to the queue to be tried again (their handler failed). */
  requeued: number;
  /** Messages moved to the dead-letter queue, with a reason. */
  deadLettered: number;
}

/** A delivered message's headers, as the broker gave them. */
export function deliveryHeaders(message: ConsumeMessage): Record<string, unknown> {
  return (message.properties.headers ?? {}) as Record<string, unknown>;
}

/**
 * A message as its consumer settles it, once: ack, requeue, or dead-letter (by `deadLetter`, then
 * acked). A delivery from a channel that has since closed is redelivered by the broker: settling
 * it is a no-op.
 */
export function deliveryOf(
  channel: Channel,
  message: ConsumeMessage,
  of: {
    counts: QueueCounts;
    logger: Logger;
    deadLetter: (reason: string, part?: { content: Buffer; messageId: string }) => Promise<void>;
    channelOpen: () => boolean;
  },
): Delivery {
  let settled = false;
  const settle = (action: () => void) => {
    if (settled) return;
    settled = true;
    try {
      action();
    } catch (error) {
      of.logger.debug({ err: String(error) }, 'settling a delivery on a closed channel');
    }
  };
  const headers = deliveryHeaders(message);
  if (message.fields.redelivered) of.counts.redelivered++;
  return {
    content: message.content,
    headers,
    messageId: typeof message.properties.messageId === 'string' ? message.properties.messageId : undefined,
    type: typeof message.properties.type === 'string' ? message.properties.type : undefined,
    deliveryCount: Number(headers['x-delivery-count'] ?? (message.fields.redelivered ? 1 : 0)),
    traceContext: context.active(),
    channelOpen: of.channelOpen,
    ack: () => settle(() => channel.ack(message)),
    requeue: () =>
      settle(() => {
        of.counts.requeued++;
        channel.nack(message, false, true);
      }),
    deadLetter: async (reason) => {
      await of.deadLetter(reason);
      settle(() => channel.ack(message));
    },
    deadLetterPart: (content, reason, messageId) => of.deadLetter(reason, { content, messageId }),
  };
}

/** The headers a dead letter carries: its own (those a header can hold), where it came from and why. */
export function deadLetterHeaders(
  headers: Record<string, unknown>,
  source: string,
  reason: string,
): Record<string, string | number> {
  const kept: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === 'string' || typeof value === 'number') kept[key] = value;
  }
  return {
    ...kept,
    'x-rp-reason': reason.slice(0, 1_000),
    'x-rp-queue': source,
    'x-rp-dead-lettered-at': new Date().toISOString(),
  };
}
