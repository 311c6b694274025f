import type { Channel, GetMessage } from 'amqplib';

/** Every message a queue holds now, taken (acked) one by one: a confirmed publish is already enqueued. */
export async function takeAll(channel: Channel, queue: string): Promise<GetMessage[]> {
  const taken: GetMessage[] = [];
  for (
    let message = await channel.get(queue, { noAck: true });
    message;
    message = await channel.get(queue, { noAck: true })
  ) {
    taken.push(message);
  }
  return taken;
}
