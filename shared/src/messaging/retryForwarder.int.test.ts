import amqp, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { until } from '../../../test/support/until';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createLogger } from '../config/logger';
import { Broker } from './broker';
import { deleteTopology } from './declare';
import {
  delayQueueBindings,
  delayQueueName,
  delayQueues,
  RETRY_DUE_AT_HEADER,
  type DelayedRetries,
} from './delayedRetries';
import { publishRetry, RetryForwarder } from './retryForwarder';
import type { Topology } from './topology';

/**
 * The forwarder on a work queue of its own (as another service would have one), against the real
 * RabbitMQ: a retry waits, held, until it is due; a due one is published to the work queue and
 * acked; one held by a forwarder that goes away is forwarded by the next.
 */
const logger = createLogger('retry-forwarder-test', 'silent');
let environment: TestEnvironment;
let retries: DelayedRetries;
let topology: Topology;
let admin: ChannelModel;
let channel: Channel;
const brokers: Broker[] = [];
const forwarders: RetryForwarder[] = [];

/** One level of a minute: nothing published with a delay is due during the test by the clock. */
const LEVEL_MS = 60_000;

beforeAll(async () => {
  environment = await createTestEnvironment('retry-forwarder');
  const prefix = environment.prefix;
  retries = {
    workQueue: `${prefix}.deliveries`,
    workExchange: `${prefix}.deliveries-work`,
    workRoutingKey: 'DeliveryDue',
    retryExchange: `${prefix}.retry`,
    levelsMs: [LEVEL_MS],
  };
  topology = {
    names: environment.topology.names,
    exchanges: [
      { name: retries.workExchange, type: 'direct' },
      { name: retries.retryExchange, type: 'direct' },
    ],
    queues: [
      { name: retries.workQueue, arguments: { 'x-queue-type': 'quorum' } },
      ...delayQueues(retries, { 'x-queue-type': 'quorum' }),
    ],
    bindings: [
      { exchange: retries.workExchange, queue: retries.workQueue, routingKey: retries.workRoutingKey },
      ...delayQueueBindings(retries),
    ],
    retryRoutes: { images: retries, webhooks: retries },
  };
  admin = await amqp.connect(environment.amqpUrl);
  channel = await admin.createChannel();
});

afterAll(async () => {
  for (const forwarder of forwarders) forwarder.stop();
  await Promise.all(brokers.map((broker) => broker.close()));
  await admin?.close();
  if (topology) await deleteTopology(environment.amqpUrl, topology);
  await environment?.cleanup();
});

async function startBroker(name: string): Promise<Broker> {
  const broker = new Broker(environment.amqpUrl, topology, logger, { connectionName: name });
  brokers.push(broker);
  await broker.start();
  return broker;
}

async function startForwarder(broker: Broker, now?: () => number): Promise<RetryForwarder> {
  const forwarder = new RetryForwarder(broker, retries, logger, { prefetch: 100, ...(now ? { now } : {}) });
  forwarders.push(forwarder);
  await forwarder.start();
  return forwarder;
}

/** Takes what the work queue holds now (the broker confirmed each forward before its ack). */
async function takeAllFromWorkQueue(): Promise<GetMessage[]> {
  const taken: GetMessage[] = [];
  for (;;) {
    const message = await channel.get(retries.workQueue, { noAck: true });
    if (!message) return taken;
    taken.push(message);
  }
}

describe('the retry forwarder', () => {
  it('holds each retry until it is due, then moves it to the work queue; one held by a forwarder gone is forwarded by the next', async () => {
    const publisher = await startBroker('retry-publisher');
    const firstBroker = await startBroker('forwarder-1');
    const first = await startForwarder(firstBroker);
    await publishRetry(publisher, retries, {
      level: 0,
      delayMs: LEVEL_MS,
      payload: { delivery: 'later' },
      messageId: 'later',
      type: 'DeliveryDue',
    });
    await publishRetry(publisher, retries, { level: 0, delayMs: 0, payload: { delivery: 'now' }, messageId: 'now' });

    // The one due now overtakes the one ahead of it in the delay queue, which stays held.
    await until(() => first.stats.forwarded === 1, { what: 'the due retry forwarded' });
    const forwarded = await takeAllFromWorkQueue();
    expect(forwarded.map((message) => JSON.parse(message.content.toString()) as unknown)).toEqual([
      { delivery: 'now' },
    ]);
    expect(first.stats.held).toBe(1);
    expect((await channel.checkQueue(delayQueueName(retries, 0))).messageCount).toBe(0);

    // The first forwarder goes away while it holds the other: the broker has it back, and the
    // next forwarder (its clock a level later, so the retry is due) moves it on.
    first.stop();
    await firstBroker.close();
    const second = await startForwarder(await startBroker('forwarder-2'), () => Date.now() + LEVEL_MS);
    await until(() => second.stats.forwarded === 1, { what: 'the held retry forwarded by the next forwarder' });
    const [later, ...more] = await takeAllFromWorkQueue();
    expect(more).toEqual([]);
    expect(JSON.parse(later!.content.toString())).toEqual({ delivery: 'later' });
    expect(later!.properties).toMatchObject({ messageId: 'later', type: 'DeliveryDue' });
    expect(later!.properties.headers).not.toHaveProperty(RETRY_DUE_AT_HEADER);
    expect(second.stats.held).toBe(0);
    expect((await channel.checkQueue(delayQueueName(retries, 0))).messageCount).toBe(0);
  });
});
