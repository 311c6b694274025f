/**
 * Delayed retries of one work queue, as data: a delay queue per level, where a message to be tried
 * again waits until it is due. The work queue's own service takes it out once due and publishes it
 * back to the work queue (retryForwarder.ts); the topology (topology.ts) declares the queues and
 * bindings made here. Any work queue can have them — image requests do; another queue gets its own
 * `DelayedRetries` and the same forwarder.
 *
 * The queues have no TTL and no dead-lettering back to the work queue, on purpose. RabbitMQ 3.10's
 * at-least-once dead-lettering sends expired messages through a worker process that keeps its own
 * client of the target queue, made from the queue's record when it first sends there. Made while
 * the record still named a leader just killed (the delay queue elected its new leader first), that
 * client only ever asks the dead node, and every message the worker takes is refused, for as long
 * as the node stays down: retries stranded for good in the chaos run that loses a node
 * (docs/CHAOS.md). Our own publisher opens a new channel after a refusal, so it recovers.
 */
import type { BindingSpec, QueueSpec } from './topology';

export interface DelayedRetries {
  /** The work queue retried messages go back to. */
  workQueue: string;
  /** Where a due message is published again, and with which routing key, to reach the work queue. */
  workExchange: string;
  workRoutingKey: string;
  /** The exchange retries are published to; each delay queue is bound with its own name as key. */
  retryExchange: string;
  /** The longest wait of each level, in milliseconds. */
  levelsMs: readonly number[];
}

/** Header of a waiting retry: when it is due, in milliseconds since the epoch. */
export const RETRY_DUE_AT_HEADER = 'x-rp-retry-due-at';

/** The delay queue of `level` (0-based; past the last level, the last). */
export function delayQueueName(retries: DelayedRetries, level: number): string {
  return `${retries.workQueue}.retry-${clampLevel(retries, level)}`;
}

export function clampLevel(retries: DelayedRetries, level: number): number {
  return Math.min(Math.max(Math.trunc(level), 0), retries.levelsMs.length - 1);
}

/** One delay queue per level, each with the given arguments (quorum, like every work queue). */
export function delayQueues(retries: DelayedRetries, queueArguments: QueueSpec['arguments']): QueueSpec[] {
  return retries.levelsMs.map((_, level) => ({
    name: delayQueueName(retries, level),
    arguments: { ...queueArguments },
  }));
}

export function delayQueueBindings(retries: DelayedRetries): BindingSpec[] {
  return retries.levelsMs.map((_, level) => {
    const queue = delayQueueName(retries, level);
    return { exchange: retries.retryExchange, queue, routingKey: queue };
  });
}

/**
 * How long a delivered retry still has to wait: until its due time, never below 0 and never above
 * its level's longest wait (a publisher whose clock runs ahead cannot park a message for longer).
 * A message without a due time (sent back by a re-drive, say) is due now.
 */
export function waitBeforeForwarding(headers: Record<string, unknown>, levelMs: number, now: number): number {
  const dueAt = Number(headers[RETRY_DUE_AT_HEADER]);
  if (!Number.isFinite(dueAt)) return 0;
  return Math.min(Math.max(dueAt - now, 0), levelMs);
}
