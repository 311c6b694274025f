import type { ChannelModel } from 'amqplib';
import type { Logger } from '../config/logger';

/**
 * A live feed from a fanout exchange: a queue of this process's own (exclusive, deleted when the
 * connection goes), no acks. Messages published while the feed is down are not seen; `onReady`
 * and `onLost` tell the follower when it can rely on the feed and when it no longer can.
 */
export interface FeedSpec {
  exchange: string;
  /** Throws for a message it cannot use: the message goes to the dead-letter queue with the reason. */
  onMessage: (content: Buffer) => void;
  onReady: () => void;
  onLost: () => void;
}

/** Unread messages a feed's queue holds at most; past that the oldest are dropped. */
const FEED_MAX_LENGTH = 10_000;

export interface FeedDependencies {
  logger: Logger;
  /** The feed's channel closed (the connection's loss closes it too): the broker starts over. */
  onClosed: () => void;
  /** Moves a message the follower could not use to the dead-letter queue. */
  deadLetter: (content: Buffer, source: string, reason: string) => Promise<void>;
}

/** Starts following `spec.exchange` on `connection`, on a channel of its own. */
export async function openFeed(connection: ChannelModel, spec: FeedSpec, deps: FeedDependencies): Promise<void> {
  const channel = await connection.createChannel();
  channel.on('error', (error: Error) =>
    deps.logger.warn({ err: error.message, exchange: spec.exchange }, 'feed channel error'),
  );
  // Also fires when the connection goes: amqplib closes every channel first.
  channel.on('close', () => {
    spec.onLost();
    deps.onClosed();
  });
  const { queue } = await channel.assertQueue('', {
    exclusive: true,
    autoDelete: true,
    durable: false,
    arguments: { 'x-max-length': FEED_MAX_LENGTH, 'x-overflow': 'drop-head' },
  });
  await channel.bindQueue(queue, spec.exchange, '');
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      try {
        spec.onMessage(message.content);
      } catch (error) {
        deps
          .deadLetter(message.content, `${spec.exchange} feed`, String(error))
          .catch((failure: unknown) =>
            deps.logger.warn({ err: String(failure) }, 'could not dead-letter a feed message'),
          );
      }
    },
    { noAck: true },
  );
  spec.onReady();
}
