import amqp from 'amqplib';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createLogger } from '../config/logger';
import { Broker } from './broker';
import { BrokerUnavailableError } from './errors';

const logger = createLogger('broker-test', 'silent');
let environment: TestEnvironment;
let broker: Broker;
let exchange: string;
let queue: string;

beforeAll(async () => {
  environment = await createTestEnvironment('broker');
  broker = new Broker(environment.amqpUrl, environment.topology, logger, { connectionName: 'broker-test' });
  await broker.start();
  // A queue that refuses every publish once it holds one message: the broker nacks them.
  exchange = `${environment.prefix}.probe`;
  queue = `${environment.prefix}.probe-full`;
  const connection = await amqp.connect(environment.amqpUrl);
  const channel = await connection.createChannel();
  await channel.assertExchange(exchange, 'fanout', { durable: true });
  await channel.assertQueue(queue, {
    durable: true,
    // A classic queue: its length limit is exact (a quorum queue's lets one more in).
    arguments: { 'x-queue-type': 'classic', 'x-max-length': 1, 'x-overflow': 'reject-publish' },
  });
  await channel.bindQueue(queue, exchange, '');
  await connection.close();
});

afterAll(async () => {
  await broker.close();
  const connection = await amqp.connect(environment.amqpUrl);
  const channel = await connection.createChannel();
  await channel.deleteQueue(queue);
  await channel.deleteExchange(exchange);
  await connection.close();
  await environment.cleanup();
});

describe('Broker publishes', () => {
  it('retries a nacked publish a bounded number of times, then fails with BrokerUnavailableError', async () => {
    await broker.publish(exchange, '', { n: 1 });
    const started = Date.now();
    const refused = await broker.publish(exchange, '', { n: 2 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BrokerUnavailableError);
    expect(String(refused)).toMatch(/did not confirm a publish in 6 tries: message nacked/);
    // Five retries, after pauses of 0.3 + 0.6 + 0.9 + 1.2 + 1.5 s.
    expect(broker.stats.publishRetries).toBe(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
  });

  it('publishes again once the broker takes messages, on the channel that replaced the nacked ones', async () => {
    const connection = await amqp.connect(environment.amqpUrl);
    await (await connection.createChannel()).purgeQueue(queue);
    await connection.close();
    const retriesBefore = broker.stats.publishRetries;
    await broker.publish(exchange, '', { n: 4 });
    expect(broker.stats.publishRetries).toBe(retriesBefore);
    expect(broker.connected).toBe(true);
  });
});
