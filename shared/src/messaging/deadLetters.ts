import amqp from 'amqplib';
import { connectToAnyNode } from './connect';
import type { Topology } from './topology';

/** Header counting how many times a letter has been sent back; a re-drive raises it by one. */
export const REDRIVEN_HEADER = 'x-rp-redriven';

/**
 * Re-drives of one letter before the command keeps it: a message that fails again after this many
 * is a bug to fix, not bad luck, and sending it round forever only buries it.
 */
export const DEFAULT_MAX_REDRIVES = 3;

export interface DeadLetter {
  messageId: string | undefined;
  /** Where the message came from, and where a re-drive sends it. */
  queue: string | undefined;
  reason: string;
  deadLetteredAt: string | undefined;
  /** Times it was re-driven before, and came back. */
  redriven: number;
  /** The first 200 characters of the body. */
  preview: string;
}

function headerString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

function redriveCount(value: unknown): number {
  const count = Number(headerString(value) ?? value ?? 0);
  return Number.isInteger(count) && count > 0 ? count : 0;
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
    redriven: redriveCount(headers[REDRIVEN_HEADER]),
    preview: message.content.toString('utf8').slice(0, 200),
  };
}

/** Lists up to `limit` dead letters without removing them (they are returned to the queue). */
export async function listDeadLetters(amqpUrl: string, topology: Topology, limit: number): Promise<DeadLetter[]> {
  return (await inspectDeadLetters(amqpUrl, topology, limit)).letters;
}

/** How many letters the dead-letter queue holds, and the first `limit` of them, left in place. */
export async function inspectDeadLetters(
  amqpUrl: string,
  topology: Topology,
  limit: number,
): Promise<{ count: number; letters: DeadLetter[] }> {
  const { connection } = await connectToAnyNode(amqpUrl);
  try {
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue(topology.names.deadLetterQueue);
    const seen: DeadLetter[] = [];
    const held: amqp.GetMessage[] = [];
    for (let message; held.length < limit && (message = await channel.get(topology.names.deadLetterQueue));) {
      held.push(message);
      seen.push(describeDeadLetter(message));
    }
    if (held.length > 0) channel.nackAll(true);
    await channel.close();
    return { count: messageCount, letters: seen };
  } finally {
    await connection.close();
  }
}

/** Why a letter stayed in the dead-letter queue. */
export type KeepReason = 'noSourceQueue' | 'otherQueue' | 'otherMessage' | 'redriveLimit';

export interface RedriveResult {
  /** Letters in the dead-letter queue when the re-drive started; it looks at no more than these. */
  found: number;
  redriven: number;
  /** Letters left in the dead-letter queue, by why. */
  kept: Record<KeepReason, number>;
}

/** Headers a letter picked up on its way into the dead-letter queue; it goes back without them. */
const deadLetteringHeaders = [
  'x-rp-reason',
  'x-rp-queue',
  'x-rp-dead-lettered-at',
  'x-death',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-first-death-exchange',
  'x-delivery-count',
];

/** Where a re-drive sends a letter, or why it keeps it. */
function redriveDecision(
  letter: DeadLetter,
  known: ReadonlySet<string>,
  onlyQueue: string | undefined,
  maxRedrives: number,
  onlyMessage?: string,
): { sendTo: string } | { keep: KeepReason } {
  if (onlyMessage !== undefined && letter.messageId !== onlyMessage) return { keep: 'otherMessage' };
  if (!letter.queue || !known.has(letter.queue)) return { keep: 'noSourceQueue' };
  if (onlyQueue && letter.queue !== onlyQueue) return { keep: 'otherQueue' };
  if (letter.redriven >= maxRedrives) return { keep: 'redriveLimit' };
  return { sendTo: letter.queue };
}

/**
 * Sends dead letters back to the queues they came from (optionally only those of one queue), each
 * confirmed by the broker before it leaves the dead-letter queue (or only the one with `messageId`). Only the letters there at the
 * start are looked at (the queue's count then, at most `limit`): the queue is read in order, so a
 * letter that a consumer dead-letters again at once queues up behind them and waits for the next
 * re-drive. A letter already re-driven `maxRedrives` times is kept.
 */
export async function redriveDeadLetters(
  amqpUrl: string,
  topology: Topology,
  options: { limit: number; queue?: string; maxRedrives?: number; messageId?: string },
): Promise<RedriveResult> {
  const maxRedrives = options.maxRedrives ?? DEFAULT_MAX_REDRIVES;
  const known = new Set(topology.queues.map((queue) => queue.name));
  const { connection } = await connectToAnyNode(amqpUrl);
  try {
    const reader = await connection.createChannel();
    const publisher = await connection.createConfirmChannel();
    const { messageCount } = await reader.checkQueue(topology.names.deadLetterQueue);
    const result: RedriveResult = {
      found: messageCount,
      redriven: 0,
      kept: { noSourceQueue: 0, otherQueue: 0, otherMessage: 0, redriveLimit: 0 },
    };
    // Kept letters stay unacked until the end, so the reads below never meet them again.
    const keep: amqp.GetMessage[] = [];
    for (let read = 0; read < Math.min(messageCount, options.limit); read++) {
      const message = await reader.get(topology.names.deadLetterQueue);
      if (!message) break;
      const letter = describeDeadLetter(message);
      const decision = redriveDecision(letter, known, options.queue, maxRedrives, options.messageId);
      if ('keep' in decision) {
        keep.push(message);
        result.kept[decision.keep]++;
        continue;
      }
      const headers = { ...(message.properties.headers ?? {}) } as Record<string, unknown>;
      for (const name of deadLetteringHeaders) delete headers[name];
      publisher.sendToQueue(decision.sendTo, message.content, {
        persistent: true,
        contentType: message.properties.contentType,
        messageId: message.properties.messageId,
        type: message.properties.type,
        headers: { ...headers, [REDRIVEN_HEADER]: letter.redriven + 1, 'x-rp-redriven-at': new Date().toISOString() },
      });
      await publisher.waitForConfirms();
      reader.ack(message);
      result.redriven++;
    }
    for (const message of keep) reader.nack(message, false, true);
    await reader.close();
    await publisher.close();
    return result;
  } finally {
    await connection.close();
  }
}
