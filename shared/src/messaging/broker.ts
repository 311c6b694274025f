import type { ChannelModel, Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from '../config/logger';
import { redactSecrets } from '../config/redact';
import { connectToAnyNode } from './connect';
import { declareTopology } from './declare';
import {
  deadLetterHeaders,
  deliveryHeaders,
  deliveryOf,
  type ConsumerSpec,
  type Delivery,
  type QueueCounts,
} from './delivery';
import { BrokerUnavailableError } from './errors';
import { openFeed, type FeedSpec } from './feed';
import { amqpNodeUrls } from './nodes';
import { publishOnce, type PublishOptions } from './publishOnce';
import { replicatedOn, type Topology } from './topology';

export type { ConsumerSpec, Delivery, QueueCounts } from './delivery';
export type { FeedSpec } from './feed';
export type { PublishOptions } from './publishOnce';

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
}

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 10_000;
/** Tries of one publish (the first and its retries) before it fails with BrokerUnavailableError. */
const PUBLISH_ATTEMPTS = 6;
/**
 * Pause before retry n is n times this. A quorum queue's new leader was elected 0.1–1.0 s after
 * its old one was killed (measured on RabbitMQ 3.10); publishing again before that gets nacked.
 */
const PUBLISH_RETRY_PAUSE_MS = 300;
/** What a broker client has lived through, for health endpoints and the chaos run. */
export interface BrokerStats {
  /** Connections made after the first, each after a loss. */
  reconnects: number;
  /** Publishes sent again because the broker nacked them or did not confirm them. */
  publishRetries: number;
  /** Deliveries the broker marked as delivered before (their first delivery was not acked). */
  redeliveries: number;
}

/**
 * One AMQP connection per service, kept alive: on loss it reconnects — to the next node of the
 * list that answers, with backoff once every node has refused — re-declares the topology and
 * resumes every consumer and feed.
 *
 * Publishes go through a confirm channel and resolve only once the broker has confirmed them. One
 * the broker nacks, or does not confirm (its channel or connection closed, or no answer in time),
 * is sent again on a new channel after a pause, a bounded number of times, then fails with
 * BrokerUnavailableError. The new channel matters on a cluster: on RabbitMQ 3.10 a channel whose
 * first publish to a quorum queue came before a new leader was elected has every later publish
 * nacked for as long as it lives. A retried publish may reach its queue twice; every consumer is
 * idempotent.
 */
export class Broker {
  readonly topology: Topology;
  readonly stats: BrokerStats = { reconnects: 0, publishRetries: 0, redeliveries: 0 };
  /** Per queue consumed (or feed followed): redeliveries, requeues and dead letters. */
  readonly queueCounts = new Map<string, QueueCounts>();
  private connection: ChannelModel | undefined;
  private publishChannel: ConfirmChannel | undefined;
  /** A replacement publish channel being opened on the current connection. */
  private renewing: Promise<void> | undefined;
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
    topology: Topology,
    private readonly logger: Logger,
    private readonly options: { connectionName: string; publishWaitMs?: number } = { connectionName: 'retail-pulse' },
  ) {
    this.topology = replicatedOn(topology, amqpNodeUrls(url).length);
  }

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
    const channels = [...[...this.consumerChannels.values()].map(({ channel }) => channel), this.publishChannel];
    this.connection = undefined;
    this.publishChannel = undefined;
    this.consumerChannels.clear();
    // Channels first, each waiting for the broker's close-ok: acks sent just before are flushed
    // with it. Closing the connection alone lost them (the messages came back redelivered).
    // Bounded: a node that died without the socket noticing never sends a close-ok, and a
    // shutdown must not wait on it for ever.
    await withinMs(CLOSE_TIMEOUT_MS, Promise.all(channels.map((channel) => channel?.close().catch(() => undefined))));
    await withinMs(
      CLOSE_TIMEOUT_MS,
      connection?.close().catch(() => undefined),
    );
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
    let failure = '';
    for (let attempt = 1; attempt <= PUBLISH_ATTEMPTS; attempt++) {
      if (attempt > 1) {
        this.stats.publishRetries++;
        this.logger.warn({ exchange, routingKey, attempt, reason: failure }, 'publish not confirmed; sending it again');
        await sleep(PUBLISH_RETRY_PAUSE_MS * (attempt - 1));
      }
      const channel = await this.readyChannel();
      if (this.drained) await this.drained;
      const outcome = await publishOnce(channel, { exchange, routingKey, content, options }, () =>
        this.waitForDrain(channel),
      );
      if (outcome === 'confirmed') return;
      failure = outcome;
      // Never again on this channel: it may be one that RabbitMQ nacks for the rest of its life.
      this.renewPublishChannel(channel);
    }
    throw new BrokerUnavailableError(`broker did not confirm a publish in ${PUBLISH_ATTEMPTS} tries: ${failure}`);
  }

  /** Until the channel has room again: publishes wait for it rather than pile up in memory. */
  private waitForDrain(channel: ConfirmChannel): void {
    if (this.drained) return;
    // Ends on 'drain', or when the channel closes (its replacement starts with room).
    this.drained = new Promise<void>((resolveDrain) => {
      const done = () => {
        channel.off('drain', done);
        channel.off('close', done);
        this.drained = undefined;
        resolveDrain();
      };
      channel.on('drain', done);
      channel.on('close', done);
    });
  }

  /**
   * Replaces the publish channel `failed` with a new one on the same connection (unless it was
   * replaced already, or the connection is gone and a reconnect will bring a new one).
   */
  private renewPublishChannel(failed: ConfirmChannel): void {
    const connection = this.connection;
    if (this.publishChannel !== failed || !connection) return;
    this.publishChannel = undefined;
    void failed.close().catch(() => undefined);
    this.renewing = this.openPublishChannel(connection)
      .then((channel) => {
        if (this.connection === connection && !this.closing) this.publishChannel = channel;
        else void channel.close().catch(() => undefined);
      })
      .catch((error: unknown) => {
        this.logger.warn({ err: String(error) }, 'could not open a new publish channel; reconnecting');
        this.restartIfCurrent(connection);
      })
      .finally(() => {
        this.renewing = undefined;
      });
  }

  private async openPublishChannel(connection: ChannelModel): Promise<ConfirmChannel> {
    const channel = await connection.createConfirmChannel();
    channel.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'publish channel error'));
    // A publish channel closed by the broker is a lost connection; one this broker replaced is not.
    channel.on('close', () => {
      if (this.publishChannel === channel) this.restartIfCurrent(connection);
    });
    return channel;
  }

  private async readyChannel(): Promise<ConfirmChannel> {
    if (this.renewing) await this.renewing;
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
        if (this.closing) return;
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
    if (this.connectedOnce) this.stats.reconnects++;
    this.connectedOnce = true;
    try {
      connection.on('error', (error: Error) => this.logger.warn({ err: error.message }, 'RabbitMQ connection error'));
      connection.on('close', () => this.onConnectionLost(connection));
      await declareTopology(connection, this.topology);
      const publishChannel = await this.openPublishChannel(connection);
      for (const spec of this.consumers) await this.startConsumer(connection, spec);
      for (const spec of this.feeds) await this.startFeed(connection, spec);
      // Closed while this connection was being opened: nobody would ever close it.
      if (this.closing) throw new BrokerUnavailableError('broker closed');
      this.connection = connection;
      this.publishChannel = publishChannel;
      this.drained = undefined;
      this.logger.info({ node: redactSecrets(amqpNodeUrls(this.url)[node]!) }, 'connected to RabbitMQ');
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
    let open = true;
    channel.on('close', () => {
      open = false;
      if (this.consumerChannels.get(spec)?.channel === channel) this.restartIfCurrent(connection);
    });
    await channel.prefetch(spec.prefetch);
    const { consumerTag } = await channel.consume(spec.queue, (message) => {
      if (message) {
        spec.onDelivery(this.toDelivery(channel, spec.queue, message, () => open));
        return;
      }
      // The broker cancelled the consumer (its queue was deleted, or its quorum queue went away):
      // the channel and connection stay up, so without this the service would look healthy and
      // never receive again. Starting over re-declares the topology and consumes anew.
      if (this.consumerChannels.get(spec)?.channel !== channel) return;
      this.logger.warn({ queue: spec.queue }, 'the broker cancelled a consumer; reconnecting to resume it');
      this.restartIfCurrent(connection);
    });
    this.consumerChannels.set(spec, { channel, consumerTag });
  }

  private async startFeed(connection: ChannelModel, spec: FeedSpec): Promise<void> {
    await openFeed(connection, spec, {
      logger: this.logger,
      onClosed: () => this.restartIfCurrent(connection),
      deadLetter: (content, source, reason) => this.deadLetterRaw(content, source, {}, reason),
    });
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
      headers: deadLetterHeaders(headers, source, reason),
    });
    this.countFor(source).deadLettered++;
  }

  private countFor(queue: string): QueueCounts {
    let counts = this.queueCounts.get(queue);
    if (!counts) this.queueCounts.set(queue, (counts = { redelivered: 0, requeued: 0, deadLettered: 0 }));
    return counts;
  }

  private toDelivery(channel: Channel, queue: string, message: ConsumeMessage, channelOpen: () => boolean): Delivery {
    const counts = this.countFor(queue);
    if (message.fields.redelivered) this.stats.redeliveries++;
    return deliveryOf(channel, message, {
      counts,
      logger: this.logger,
      channelOpen,
      deadLetter: (reason, part) =>
        this.deadLetterRaw(
          part?.content ?? message.content,
          queue,
          deliveryHeaders(message),
          reason,
          part?.messageId ?? message.properties.messageId,
        ),
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Longest wait for the broker's answer to each step of `close`. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Waits for `work`, or `ms` at most (what it was doing is left to finish or fail on its own). */
async function withinMs(ms: number, work: Promise<unknown> | undefined): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
