import type { ConfirmChannel } from 'amqplib';

export interface PublishOptions {
  messageId?: string;
  type?: string;
  headers?: Record<string, string | number>;
  /** Per-message TTL in ms (used by delay queues). */
  expiration?: number;
  /** Not written to disk by the broker: for notices whose loss costs nothing but a later read. */
  transient?: boolean;
}

/**
 * A publish the broker has neither confirmed nor refused after this long is sent again. Confirms
 * take milliseconds; after a quorum queue's leader was killed, publishes on a channel of another
 * node were seen to get no answer at all (the chaos run: every service stalled until this timeout).
 */
const CONFIRM_TIMEOUT_MS = 3_000;

/** One message to publish: where to, and what. */
export interface Publication {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: PublishOptions;
}

/**
 * Sends `publication` once on a confirm channel and waits for the broker's answer: 'confirmed',
 * or why not (nacked, no answer in time, refused by the client). Never throws. `onFull` runs when
 * the channel's buffer is full, so the caller holds later publishes until it drains.
 */
export function publishOnce(
  channel: ConfirmChannel,
  { exchange, routingKey, content, options }: Publication,
  onFull: () => void,
): Promise<'confirmed' | string> {
  return new Promise((resolve) => {
    let answered = false;
    const answer = (outcome: string) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => answer(`no confirm in ${CONFIRM_TIMEOUT_MS} ms`), CONFIRM_TIMEOUT_MS);
    try {
      const accepted = channel.publish(
        exchange,
        routingKey,
        content,
        {
          persistent: !options.transient,
          contentType: 'application/json',
          ...(options.messageId ? { messageId: options.messageId } : {}),
          ...(options.type ? { type: options.type } : {}),
          ...(options.headers ? { headers: options.headers } : {}),
          ...(options.expiration !== undefined ? { expiration: String(options.expiration) } : {}),
        },
        (error) => answer(error ? String(error instanceof Error ? error.message : error) : 'confirmed'),
      );
      if (!accepted) onFull();
    } catch (error) {
      answer(`publish refused by the client: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}
