import amqp from 'amqplib';
import type { Topology } from './topology';

export interface DeadLetter {
  messageId: string | undefined;
  /** Where the message came from, and where a re-drive sends it. */
  queue: string | undefined;
  reason: string;
  deadLetteredAt: string | undefined;
  /** The first 200 characters of the body. */
  preview: string;
}

function headerString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** Reads what a dead letter says about itself: our own headers, or the broker's x-death record. */
export function describeDeadLetter(message: amqp.GetMessage): DeadLetter {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as Array<Record<string, unknown>>) : [];
  const death = deaths[0];
  return {
    messageId: message.properties.messageId ? String(message.properties.messageId) : undefined,
    queue:
      headerString(headers['x-rp-queue']) ?? headerString(headers['x-first-death-queue']) ?? headerString(death?.queue),
    reason:
      headerString(headers['x-rp-reason']) ??
      (death
        ? `dead-lettered by the broker (${headerString(death.reason) ?? 'unknown reason'})`
        : 'no reason recorded'),
    deadLetteredAt: headerString(headers['x-rp-dead-lettered-at']),
    preview: message.content.toString('utf8').slice(0, 200),
  };
}

/** Lists up to `limit` dead letters without removing them (they are returned to the queue). */
export async function listDeadLetters(amqpUrl: string, topology: Topology, limit: number): Promise<DeadLetter[]> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createChannel();
    const seen: DeadLetter[] = [];
    const held: amqp.GetMessage[] = [];
    for (let message; held.length < limit && (message = await channel.get(topology.names.deadLetterQueue));) {
      held.push(message);
      seen.push(describeDeadLetter(message));
    }
    if (held.length > 0) channel.nackAll(true);
    await channel.close();
    return seen;
  } finally {
    await connection.close();
  }
}

export interface RedriveResult {
  redriven: number;
  /** Dead letters that name no queue to go back to; they stay in the dead-letter queue. */
  kept: number;
}

/**
 * Sends up to `limit` dead letters back to the queues they came from (optionally only those of
 * one queue), each confirmed by the broker before it leaves the dead-letter queue.
 */
export async function redriveDeadLetters(
  amqpUrl: string,
  topology: Topology,
  options: { limit: number; queue?: string },
): Promise<RedriveResult> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const reader = await connection.createChannel();
    const publisher = await connection.createConfirmChannel();
    const result: RedriveResult = { redriven: 0, kept: 0 };
    const keep: amqp.GetMessage[] = [];
    const known = new Set(topology.queues.map((queue) => queue.name));
    while (result.redriven + keep.length < options.limit) {
      const message = await reader.get(topology.names.deadLetterQueue);
      if (!message) break;
      const letter = describeDeadLetter(message);
      if (!letter.queue || !known.has(letter.queue) || (options.queue && letter.queue !== options.queue)) {
        keep.push(message);
        continue;
      }
      const headers = { ...(message.properties.headers ?? {}) } as Record<string, unknown>;
      for (const name of [
        'x-rp-reason',
        'x-rp-queue',
        'x-rp-dead-lettered-at',
        'x-death',
        'x-first-death-queue',
        'x-first-death-reason',
        'x-first-death-exchange',
        'x-delivery-count',
      ]) {
        delete headers[name];
      }
      publisher.sendToQueue(letter.queue, message.content, {
        persistent: true,
        contentType: message.properties.contentType,
        messageId: message.properties.messageId,
        type: message.properties.type,
        headers: { ...headers, 'x-rp-redriven-at': new Date().toISOString() },
      });
      await publisher.waitForConfirms();
      reader.ack(message);
      result.redriven++;
    }
    for (const message of keep) reader.nack(message, false, true);
    result.kept = keep.length;
    await reader.close();
    await publisher.close();
    return result;
  } finally {
    await connection.close();
  }
}
