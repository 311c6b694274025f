import amqp, { type ChannelModel, type Channel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger';
import { amqpNodeUrls } from './nodes';
import type { Topology } from './topology';

/** The broker cannot take a message now (disconnected, or it refused it). Callers answer 503 or retry. */
export class BrokerUnavailableError extends Error {}

export interface PublishOptions {
  messageId?: string;
  type?: string;
  headers?: Record<string, string | number>;
  /** Per-message TTL in ms (used by delay queues). */
  expiration?: number;
  /** Not written to disk by the broker: for notices whose loss costs nothing but a later read. */
  transient?: boolean;
}

/** One delivered message; settle it exactly once with ack, requeue or deadLetter. */
export interface Delivery {
  content: Buffer;
  headers: Record<string, unknown>;
  /** How many times the broker delivered it before (quorum queues count this). */
  deliveryCount: number;
  ack(): void;
  /** Gives the message back to the queue for another delivery. */
  requeue(): void;
  /** Moves the message to the dead-letter queue with the reason in its headers, then acks it. */
  deadLetter(reason: string): Promise<void>;
}

export interface ConsumerSpec {
  queue: string;
  prefetch: number;
  onDelivery: (delivery: Delivery) => void;
}

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

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;
/** A node that neither answers nor refuses is given up on after this long, and the next one tried. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Connects to the first node of `amqpUrl` (one URL or a comma-separated list) that answers,
 * trying them in order from `first`. Returns the connection and the index of the node it reached.
 */
export async function connectToAnyNode(
  amqpUrl: string,
  options: { first?: number; connectionName?: string } = {},
): Promise<{ connection: ChannelModel; node: number }> {
  const urls = amqpNodeUrls(amqpUrl);
  const failures: string[] = [];
  for (let offset = 0; offset < urls.length; offset++) {
    const node = ((options.first ?? 0) + offset) % urls.length;
    try {
      const connection = await amqp.connect(urls[node]!, {
        timeout: CONNECT_TIMEOUT_MS,
        ...(options.connectionName ? { clientProperties: { connection_name: options.connectionName } } : {}),
      });
      return { connection, node };
    } catch (error) {
      failures.push(`${redact(urls[node]!)}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`no RabbitMQ node answered (${failures.join('; ')})`);
}

/** A node URL without its password, for logs. */
function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/**
 * One AMQP connection per service, kept alive: on loss it reconnects — to the next node of the
 * list that answers, with backoff once every node has refused — re-declares the topology and
 * resumes every consumer. Publishes go through a confirm channel and resolve only
 * once the broker has taken responsibility for the message.
 */
export class Broker {
  private connection: ChannelModel | undefined;
  private publishChannel: ConfirmChannel | undefined;
  private consumerChannels = new Map<ConsumerSpec, { channel: Channel; consumerTag: string }>();
  private consumers: ConsumerSpec[] = [];
  private feeds: FeedSpec[] = [];
  private readyWaiters: Pending[] = [];
  private closing = false;
  private connecting: Promise<void> | undefined;
  private drained: Promise<void> | undefined;
  /** Ends the current reconnect back-off early (on close). */
  private wakeReconnect: (() => void) | undefined;
  /** The node of the list the current (or last) connection reached. */
  private node = 0;
  private connectedOnce = false;

  constructor(
    private readonly url: string,
    readonly topology: Topology,
    private readonly logger: Logger,
    private readonly options: { connectionName: string; publishWaitMs?: number } = { connectionName: 'retail-pulse' },
  ) {}

  get connected(): boolean {
    return this.publishChannel !== undefined;
  }

  /** Connects (retrying until it succeeds or `close` is called). */
  async start(): Promise<void> {
    await this.ensureConnecting();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.wakeReconnect?.();
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new BrokerUnavailableError('broker closed'));
    const connection = this.connection;
    this.connection = undefined;
    this.publishChannel = undefined;
    await connection?.close().catch(() => undefined);
  }

  /** Registers a consumer; it starts now if connected and again after every reconnect. */
  async consume(spec: ConsumerSpec): Promise<void> {
    this.consumers.push(spec);
    if (this.connection) await this.startConsumer(this.connection, spec);
  }

  /** Follows a fanout exchange now if connected, and again after every reconnect. */
  async follow(spec: FeedSpec): Promise<void> {
    this.feeds.push(spec);
    if (this.connection) await this.startFeed(this.connection, spec);
  }

  /** Stops new deliveries to every consumer; deliveries in flight can still be acked. */
  async cancelConsumers(): Promise<void> {
    const consumers = [...this.consumerChannels.values()];
    this.consumers = [];
    await Promise.all(consumers.map(({ channel, consumerTag }) => channel.cancel(consumerTag).catch(() => undefined)));
  }

  async publish(exchange: string, routingKey: string, payload: unknown, options: PublishOptions = {}): Promise<void> {
    const content = Buffer.from(JSON.stringify(payload));
    await this.publishRaw(exchange, routingKey, content, options);
  }

  async publishRaw(exchange: string, routingKey: string, content: Buffer, options: PublishOptions = {}): Promise<void> {
    const channel = await this.readyChannel();
    if (this.drained) await this.drained;
    await new Promise<void>((resolve, reject) => {
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
        (error) => (error ? reject(new BrokerUnavailableError(`broker did not confirm: ${String(error)}`)) : resolve()),
      );
      if (!accepted && !this.drained) {
        this.drained = new Promise<void>((resolveDrain) =>
          channel.once('drain', () => {
            this.drained = undefined;
            resolveDrain();
          }),
        );
      }
    });
  }

  private async readyChannel(): Promise<ConfirmChannel> {
    if (this.publishChannel) return this.publishChannel;
    if (this.closing) throw new BrokerUnavailableError('broker closed');
    void this.ensureConnecting();
    const waitMs = this.options.publishWaitMs ?? 5_000;
    await new Promise<void>((resolve, reject) => {
      const waiter: Pending = { resolve, reject };
      this.readyWaiters.push(waiter);
      setTimeout(() => {
        const index = this.readyWaiters.indexOf(waiter);
        if (index >= 0) {
          this.readyWaiters.splice(index, 1);
          reject(new BrokerUnavailableError(`not connected to RabbitMQ after ${waitMs} ms`));
        }
      }, waitMs).unref();
    });
    if (!this.publishChannel) throw new BrokerUnavailableError('not connected to RabbitMQ');
    return this.publishChannel;
  }

  private ensureConnecting(): Promise<void> {
    this.connecting ??= this.connectWithBackoff().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectWithBackoff(): Promise<void> {
    let delay = RECONNECT_MIN_MS;
    while (!this.closing) {
      try {
        await this.connectOnce();
        return;
      } catch (error) {
        this.logger.warn({ err: String(error), retryInMs: delay }, 'RabbitMQ connection failed');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay * (0.75 + Math.random() / 2));
          this.wakeReconnect = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeReconnect = undefined;
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
      }
    }
  }

  private async connectOnce(): Promise<void> {
    // After a loss, the node just lost is the last one tried again.
    const first = this.connectedOnce ? this.node + 1 : 0;
    const { connection, node } = await connectToAnyNode(this.url, {
      first,
      connectionName: this.options.connectionName,
    });
    this.node = node;
    this.connectedOnce = true;
    try {
      connection.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'RabbitMQ connection error'));
      connection.on('close', () => this.onConnectionLost(connection));
      await declareTopology(connection, this.topology);
      const publishChannel = await connection.createConfirmChannel();
      publishChannel.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'publish channel error'));
      publishChannel.on('close', () => this.restartIfCurrent(connection));
      for (const spec of this.consumers) await this.startConsumer(connection, spec);
      for (const spec of this.feeds) await this.startFeed(connection, spec);
      this.connection = connection;
      this.publishChannel = publishChannel;
      this.drained = undefined;
      this.logger.info({ node: redact(amqpNodeUrls(this.url)[node]!) }, 'connected to RabbitMQ');
      for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  /** A channel died on a live connection: start over with a fresh connection. */
  private restartIfCurrent(connection: ChannelModel): void {
    if (this.connection === connection && !this.closing) void connection.close().catch(() => undefined);
  }

  private onConnectionLost(connection: ChannelModel): void {
    if (this.connection !== connection && this.connection !== undefined) return;
    this.connection = undefined;
    this.publishChannel = undefined;
    this.consumerChannels.clear();
    if (this.closing) return;
    this.logger.warn('RabbitMQ connection lost; reconnecting');
    void this.ensureConnecting();
  }

  private async startConsumer(connection: ChannelModel, spec: ConsumerSpec): Promise<void> {
    const channel = await connection.createChannel();
    channel.on('error', (error: Error) =>
      this.logger.warn({ err: error.message, queue: spec.queue }, 'consumer channel error'),
    );
    channel.on('close', () => {
      if (this.consumerChannels.get(spec)?.channel === channel) this.restartIfCurrent(connection);
    });
    await channel.prefetch(spec.prefetch);
    const { consumerTag } = await channel.consume(spec.queue, (message) => {
      if (message) spec.onDelivery(this.toDelivery(channel, spec.queue, message));
    });
    this.consumerChannels.set(spec, { channel, consumerTag });
  }

  private async startFeed(connection: ChannelModel, spec: FeedSpec): Promise<void> {
    const channel = await connection.createChannel();
    channel.on('error', (error: Error) =>
      this.logger.warn({ err: error.message, exchange: spec.exchange }, 'feed channel error'),
    );
    // Also fires when the connection goes: amqplib closes every channel first.
    channel.on('close', () => {
      spec.onLost();
      this.restartIfCurrent(connection);
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
          this.deadLetterRaw(message.content, `${spec.exchange} feed`, {}, String(error)).catch((failure: unknown) =>
            this.logger.warn({ err: String(failure) }, 'could not dead-letter a feed message'),
          );
        }
      },
      { noAck: true },
    );
    spec.onReady();
  }

  /** Publishes a message to the dead-letter queue, saying where it came from and why. */
  private async deadLetterRaw(
    content: Buffer,
    source: string,
    headers: Record<string, unknown>,
    reason: string,
    messageId?: unknown,
  ): Promise<void> {
    await this.publishRaw(this.topology.names.deadLetterExchange, source, content, {
      ...(messageId ? { messageId: String(messageId) } : {}),
      headers: {
        ...stringHeaders(headers),
        'x-rp-reason': reason.slice(0, 1_000),
        'x-rp-queue': source,
        'x-rp-dead-lettered-at': new Date().toISOString(),
      },
    });
  }

  private toDelivery(channel: Channel, queue: string, message: ConsumeMessage): Delivery {
    let settled = false;
    // A delivery from a channel that has since closed is redelivered by the broker: settling it is a no-op.
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      try {
        action();
      } catch (error) {
        this.logger.debug({ err: String(error) }, 'settling a delivery on a closed channel');
      }
    };
    const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
    return {
      content: message.content,
      headers,
      deliveryCount: Number(headers['x-delivery-count'] ?? (message.fields.redelivered ? 1 : 0)),
      ack: () => settle(() => channel.ack(message)),
      requeue: () => settle(() => channel.nack(message, false, true)),
      deadLetter: async (reason) => {
        await this.deadLetterRaw(message.content, queue, headers, reason, message.properties.messageId);
        settle(() => channel.ack(message));
      },
    };
  }
}

function stringHeaders(headers: Record<string, unknown>): Record<string, string | number> {
  const result: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === 'string' || typeof value === 'number') result[key] = value;
  }
  return result;
}

export async function declareTopology(connection: ChannelModel, topology: Topology): Promise<void> {
  const channel = await connection.createChannel();
  try {
    for (const exchange of topology.exchanges)
      await channel.assertExchange(exchange.name, exchange.type, { durable: true });
    for (const queue of topology.queues)
      await channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
    for (const binding of topology.bindings)
      await channel.bindQueue(binding.queue, binding.exchange, binding.routingKey);
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** Deletes every queue and exchange of a topology (tests clean up their own prefix). */
export async function deleteTopology(url: string, topology: Topology): Promise<void> {
  const { connection } = await connectToAnyNode(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of topology.queues) await channel.deleteQueue(queue.name);
    for (const exchange of topology.exchanges) await channel.deleteExchange(exchange.name);
    await channel.close();
  } finally {
    await connection.close();
  }
}
