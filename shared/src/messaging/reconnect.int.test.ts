import amqp from 'amqplib';
import { managementApi, testRabbitmqctl } from '../../../test/support/ownRabbitMq';
import { until } from '../../../test/support/until';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { createLogger } from '../config/logger';
import { Broker, type Delivery } from './broker';

/**
 * Connection loss is expected: the broker module reconnects, declares the topology again (a queue
 * deleted meanwhile comes back) and resumes its consumers, with no help from the service. The
 * connection is closed by RabbitMQ itself, through its management API.
 */
const MANAGEMENT = managementApi();
const auth = { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` };
let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createTestEnvironment('reconnect');
});
afterAll(async () => {
  await environment.cleanup();
});

/** Closes, from the server side, every connection carrying this client-given name. */
async function closeConnectionsNamed(name: string): Promise<number> {
  const response = await fetch(`${MANAGEMENT}/connections?columns=name,client_properties`, { headers: auth });
  const connections = (await response.json()) as Array<{
    name: string;
    client_properties: { connection_name?: string };
  }>;
  const ours = connections.filter((connection) => connection.client_properties.connection_name === name);
  for (const connection of ours) {
    await fetch(`${MANAGEMENT}/connections/${encodeURIComponent(connection.name)}`, {
      method: 'DELETE',
      headers: auth,
    });
  }
  return ours.length;
}

/** Starts `broker`, consumes `queue` into the list it returns, and sees one message ("before") arrive. */
async function consumingFrom(broker: Broker, queue: string): Promise<string[]> {
  const received: string[] = [];
  await broker.start();
  await broker.consume({
    queue,
    prefetch: 10,
    onDelivery: (delivery: Delivery) => {
      received.push(delivery.content.toString());
      delivery.ack();
    },
  });
  await broker.publish('', queue, 'before');
  await until(() => received.includes('"before"'));
  return received;
}

/** Consumers RabbitMQ counts on `queue` now; 0 while the queue does not exist. */
async function consumersOf(admin: amqp.ChannelModel, queue: string): Promise<number> {
  const check = await admin.createChannel();
  check.on('error', () => undefined);
  try {
    return (await check.checkQueue(queue)).consumerCount;
  } catch {
    return 0;
  } finally {
    await check.close().catch(() => undefined);
  }
}

describe('the broker after RabbitMQ closes its connection', () => {
  it('reconnects, declares the topology again and resumes consuming', async () => {
    const name = `reconnect-${environment.prefix}`;
    const broker = new Broker(
      environment.amqpUrl,
      environment.topology,
      createLogger('reconnect', 'silent' as 'info'),
      {
        connectionName: name,
      },
    );
    const admin = await amqp.connect(environment.amqpUrl);
    try {
      const queue = environment.topology.names.dispatchQueue;
      const received = await consumingFrom(broker, queue);

      const channel = await admin.createChannel();
      await channel.deleteQueue(queue);
      // Let the management API see the connection, then close it from the server side.
      await until(async () => (await closeConnectionsNamed(name)) > 0);
      await until(async () => (await consumersOf(admin, queue)) === 1);
      expect(broker.connected).toBe(true);
      await broker.publish('', queue, 'after');
      await until(() => received.includes('"after"'));
      expect(received).toEqual(['"before"', '"after"']);
    } finally {
      await broker.close();
      await admin.close();
    }
  });
});

describe('the broker after RabbitMQ cancels its consumer', () => {
  it('declares the queue again and resumes consuming, though its connection never dropped', async () => {
    const broker = new Broker(
      environment.amqpUrl,
      environment.topology,
      createLogger('reconnect', 'silent' as 'info'),
      { connectionName: `cancelled-${environment.prefix}` },
    );
    const admin = await amqp.connect(environment.amqpUrl);
    try {
      const queue = environment.topology.names.imageRequestsQueue;
      const received = await consumingFrom(broker, queue);

      // Deleting the queue makes RabbitMQ cancel the consumer (basic.cancel); nothing else happens.
      await (await admin.createChannel()).deleteQueue(queue);
      await until(async () => (await consumersOf(admin, queue)) === 1);
      await broker.publish('', queue, 'after');
      await until(() => received.includes('"after"'));
      expect(received).toEqual(['"before"', '"after"']);
      expect(broker.stats.reconnects).toBe(1);
    } finally {
      await broker.close();
      await admin.close();
    }
  });
});

/** The connections RabbitMQ holds now under this client-given name, asked of the node itself (no stats lag). */
async function openConnectionsNamed(name: string): Promise<number> {
  const stdout = await testRabbitmqctl(['list_connections', '-q', 'client_properties']);
  return stdout.split('\n').filter((line) => line.includes(`{"connection_name","${name}"}`)).length;
}

describe('the broker closed while it is still connecting', () => {
  it('closes the connection it was opening instead of keeping it', async () => {
    const name = `closed-early-${environment.prefix}`;
    const broker = new Broker(environment.amqpUrl, environment.topology, createLogger('reconnect', 'silent'), {
      connectionName: name,
    });
    const started = broker.start();
    await broker.close(); // before the connection has even been made
    await started;
    expect(broker.connected).toBe(false);
    expect(await openConnectionsNamed(name)).toBe(0);
    // The check sees a connection that stays open: one started and never closed is listed.
    const other = new Broker(environment.amqpUrl, environment.topology, createLogger('reconnect', 'silent'), {
      connectionName: `${name}-open`,
    });
    await other.start();
    try {
      expect(await openConnectionsNamed(`${name}-open`)).toBe(1);
    } finally {
      await other.close();
    }
  });
});
