import type { SwitchReadModels } from '../contracts/projectionMessages';
import { connectToAnyNode } from './connect';

/**
 * How many consumers hold a queue now, as the broker counts them (a single-active-consumer
 * queue counts its standbys too). 0 when the queue does not exist.
 */
export async function consumersOf(amqpUrl: string, queue: string): Promise<number> {
  const { connection } = await connectToAnyNode(amqpUrl);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined); // a missing queue closes the channel; answered below
    try {
      return (await channel.checkQueue(queue)).consumerCount;
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) return 0;
      throw error;
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Puts a switch request on the projection's queue, confirmed by the broker. */
export async function sendSwitchRequest(amqpUrl: string, queue: string, request: SwitchReadModels): Promise<void> {
  const { connection } = await connectToAnyNode(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(request)), {
      persistent: true,
      contentType: 'application/json',
      type: request.type,
    });
    await channel.waitForConfirms();
  } finally {
    await connection.close().catch(() => undefined);
  }
}
