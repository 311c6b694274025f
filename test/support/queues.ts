import type { Channel, GetMessage } from 'amqplib';
import { submittedJobsSchema, type JobSubmitted, type SubmittedJobs } from '@retail-pulse/shared/contracts';

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

/** A message of submitted jobs taken from a queue: its type (by its content and by its properties), its id, and its jobs. */
export interface TakenSubmissions {
  type: SubmittedJobs['type'];
  typeProperty: unknown;
  messageId: unknown;
  jobs: JobSubmitted[];
}

/** Every message `queue` holds now, taken, with the jobs each carried (one JobSubmitted, or a JobSubmissions message's). */
export async function takeSubmittedJobs(channel: Channel, queue: string): Promise<TakenSubmissions[]> {
  return (await takeAll(channel, queue)).map((message) => {
    const parsed = submittedJobsSchema.parse(JSON.parse(message.content.toString()));
    return {
      type: parsed.type,
      typeProperty: message.properties.type,
      messageId: message.properties.messageId,
      jobs: parsed.type === 'JobSubmitted' ? [parsed] : parsed.jobs.map((job) => job.event),
    };
  });
}
