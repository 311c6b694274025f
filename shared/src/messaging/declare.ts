import type { ChannelModel } from 'amqplib';
import { connectToAnyNode } from './connect';
import type { Topology } from './topology';

/** Declares every exchange, queue and binding of a topology (each service, on every (re)connect). */
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
