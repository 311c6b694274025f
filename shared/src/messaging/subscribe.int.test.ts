import amqp from 'amqplib';
import { z } from 'zod';
import { until } from '../../../test/support/until';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createLogger } from '../config/logger';
import { Broker } from './broker';
import { BrokerUnavailableError } from './errors';
import { InFlight, subscribe } from './subscribe';

/**
 * The promises `subscribe` makes, on real RabbitMQ: an outage holds the message (it is neither
 * redelivered nor dead-lettered while the backing service is away), a message whose handler keeps
 * failing goes to the dead-letter queue after the redelivery limit, saying where it came from and why.
 */
const logger = createLogger('subscribe-test', 'silent' as 'info');
const schema = z.object({ n: z.number() });
let environment: TestEnvironment;
let broker: Broker;
let connection: amqp.ChannelModel;
let channel: amqp.Channel;

beforeAll(async () => {
  environment = await createTestEnvironment('subscribe');
  broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'subscribe-test' });
  await broker.start();
  connection = await amqp.connect(environment.amqpUrl);
  channel = await connection.createChannel();
});
/** Each test's handlers: the next test starts once they are done (a handler may still requeue its message). */
let inFlight: InFlight;
beforeEach(() => {
  inFlight = new InFlight();
});
afterEach(async () => {
  await broker.cancelConsumers();
  await inFlight.idle();
  for (const queue of environment.topology.queues) await channel.purgeQueue(queue.name);
});
afterAll(async () => {
  await connection?.close();
  await broker?.close();
  await environment.cleanup();
});

const queue = () => environment.topology.names.dispatchQueue;
const send = (body: unknown) => broker.publish('', queue(), body);

async function deadLetters(): Promise<amqp.GetMessage[]> {
  const letters: amqp.GetMessage[] = [];
  for (let message; (message = await channel.get(environment.topology.names.deadLetterQueue, { noAck: true }));) {
    letters.push(message);
  }
  return letters;
}

describe('subscribe on real RabbitMQ', () => {
  it('holds a message through an outage: the same delivery is retried until the service is back', async () => {
    const deliveries: number[] = [];
    let outages = 3;
    let handled = 0;
    await subscribe(broker, logger, inFlight, {
      queue: queue(),
      prefetch: 1,
      schema,
      redeliveryLimit: 2,
      handle: async (_message, delivery) => {
        deliveries.push(delivery.deliveryCount);
        if (outages-- > 0) throw new BrokerUnavailableError('database away');
        handled++;
      },
    });
    await send({ n: 1 });
    await until(() => handled === 1);
    // Four calls, all on the first delivery: an outage never spent a redelivery.
    expect(deliveries).toEqual([0, 0, 0, 0]);
    expect(await deadLetters()).toEqual([]);
    expect((await channel.checkQueue(queue())).messageCount).toBe(0);
  });

  it('gives a held message back to its queue once the outage outlasts the hold', async () => {
    const deliveries: number[] = [];
    await subscribe(broker, logger, inFlight, {
      queue: queue(),
      prefetch: 1,
      schema,
      redeliveryLimit: 100,
      outageHoldMs: 300,
      handle: async (_message, delivery) => {
        deliveries.push(delivery.deliveryCount);
        throw new BrokerUnavailableError('database away');
      },
    });
    await send({ n: 2 });
    await until(() => deliveries.some((count) => count > 0));
    expect(deliveries[0]).toBe(0);
    expect(Math.max(...deliveries)).toBeGreaterThan(0);
  });

  it('dead-letters a message whose handler keeps failing after the redelivery limit, naming its queue and why', async () => {
    const attempts: number[] = [];
    await subscribe(broker, logger, inFlight, {
      queue: queue(),
      prefetch: 1,
      schema,
      redeliveryLimit: 3,
      handle: async (_message, delivery) => {
        attempts.push(delivery.deliveryCount);
        throw new Error('this message is bad');
      },
    });
    await send({ n: 3 });
    let letters: amqp.GetMessage[] = [];
    await until(async () => (letters = await deadLetters()).length > 0);
    // Delivered until the limit (at least once each: a redelivery under load may repeat one).
    expect([...new Set(attempts)]).toEqual([0, 1, 2]);
    expect(letters).toHaveLength(1);
    expect(JSON.parse(letters[0]!.content.toString())).toEqual({ n: 3 });
    expect(letters[0]!.properties.headers).toMatchObject({
      'x-rp-queue': queue(),
      'x-rp-reason': 'handler failed 3 times: this message is bad',
    });
    expect((await channel.checkQueue(queue())).messageCount).toBe(0);
  });

  it('dead-letters an invalid message at once, with the reason', async () => {
    let called = false;
    await subscribe(broker, logger, inFlight, {
      queue: queue(),
      prefetch: 1,
      schema,
      redeliveryLimit: 3,
      handle: async () => {
        called = true;
      },
    });
    await send({ n: 'four' });
    let letters: amqp.GetMessage[] = [];
    await until(async () => (letters = await deadLetters()).length > 0);
    expect(called).toBe(false);
    expect(letters[0]!.properties.headers).toMatchObject({
      'x-rp-queue': queue(),
      'x-rp-reason': 'message failed validation: n: Invalid input: expected number, received string',
    });
  });
});
