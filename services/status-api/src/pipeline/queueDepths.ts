import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '@retail-pulse/shared/config';
import { connectToAnyNode } from '@retail-pulse/shared/messaging';

async function openChannel(connection: ChannelModel): Promise<Channel> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined); // a passive declare's 404 closes it; read() opens another
  return channel;
}

export interface QueueDepth {
  name: string;
  ready: number;
  consumers: number;
}

/**
 * Each queue's ready messages and consumers as RabbitMQ counts them, from a passive declare of the
 * queue (what `rabbitmqctl list_queues` reports, without the management plugin): a connection of
 * its own, opened when first asked and again after it is lost, so the status API's broker connection
 * is never closed by a queue that does not exist (a passive declare of one closes its channel).
 */
export class QueueDepths {
  private connection: ChannelModel | undefined;
  private connecting: Promise<ChannelModel> | undefined;

  constructor(
    private readonly amqpUrl: string,
    private readonly queues: readonly string[],
    private readonly logger: Logger,
  ) {}

  /** The depth of every queue that answered; a queue that did not (not declared yet) is left out. */
  async read(): Promise<QueueDepth[]> {
    const connection = await this.connect();
    const depths: QueueDepth[] = [];
    let channel: Channel | undefined;
    try {
      for (const name of this.queues) {
        channel ??= await openChannel(connection);
        try {
          const { messageCount, consumerCount } = await channel.checkQueue(name);
          depths.push({ name, ready: messageCount, consumers: consumerCount });
        } catch {
          channel = undefined; // the broker closed it (404): the next queue gets a new one
        }
      }
    } finally {
      await channel?.close().catch(() => undefined);
    }
    return depths;
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  private connect(): Promise<ChannelModel> {
    if (this.connection) return Promise.resolve(this.connection);
    this.connecting ??= connectToAnyNode(this.amqpUrl, { connectionName: 'status-api queue depths' })
      .then(({ connection }) => {
        connection.on('error', () => undefined);
        connection.once('close', () => {
          if (this.connection === connection) this.connection = undefined;
          this.logger.debug('queue depths: connection closed; the next sample opens another');
        });
        this.connection = connection;
        return connection;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }
}
