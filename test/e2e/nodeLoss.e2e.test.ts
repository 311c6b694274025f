import { loggedEvents } from '../support/eventLog';
import { imageRecordsPerJob } from '../support/imageRecords';
import { killNode, queueLeader, queueReplicas, startNode } from '../../infra/local/rabbitCluster';
import { useRabbitCluster, type ClusterLease } from '../support/cluster';
import { SERVED_IMAGES, startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/**
 * The whole stack on the project's three-node RabbitMQ cluster while the node leading the image
 * work queue — and, as every queue is declared through the first node, its delay queues — is
 * killed with SIGKILL mid-run and left down, retries on their way through the delay queues all
 * along: every job settles as it should and every image is recorded exactly once. The node is
 * then started again while a few more jobs run. (`npm run chaos` runs the longer versions.)
 *
 * Retries are what this is about: before they went back to the work queue by our own forwarder,
 * RabbitMQ's dead-letter worker of a delay queue could keep asking the killed node forever, and
 * the retries stayed in the delay queue (docs/CHAOS.md).
 */
let lease: ClusterLease;
let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;

const JOBS = 20;
/** Jobs submitted while the killed node starts again. */
const RESTART_JOBS = 5;
const IMAGES_PER_JOB = 20;
const STORES = ['S00339218', 'S01408764', 'S00000201'];

beforeAll(async () => {
  lease = await useRabbitCluster();
  environment = await createTestEnvironment('e2e-nodeloss', lease.amqpUrl);
  images = await startImageServer();
  stack = await startStack(environment, { IMAGE_MAX_ATTEMPTS: '3', GPU_DELAY_MIN_MS: '20', GPU_DELAY_MAX_MS: '60' });
}, 300_000);

afterAll(async () => {
  await stack?.stopAll();
  await images?.close();
  await lease?.release();
  await environment?.cleanup();
}, 120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function job(index: number) {
  // Mostly good images, one in ten answering 503 once (a retry through the delay queues).
  const urls = Array.from({ length: IMAGES_PER_JOB }, (_, image) =>
    image % 10 === 3
      ? images.url(`/img/flaky-1-${index}-${image}.jpg`)
      : images.url(`${SERVED_IMAGES[image % SERVED_IMAGES.length]!.path}?job=${index}&image=${image}`),
  );
  return {
    count: 2,
    visits: [0, 1].map((visit) => ({
      store_id: STORES[(index + visit) % STORES.length]!,
      image_url: urls.filter((_, image) => image % 2 === visit),
      visit_time: new Date(Date.UTC(2024, 0, 1 + (index % 28), 9, visit)).toISOString(),
    })),
  };
}

/** Submits jobs `from`..`to` − 1 one after another, retrying refusals; returns their ids as they come. */
function submitting(from: number, to: number, jobIds: number[]): Promise<void> {
  return (async () => {
    for (let index = from; index < to; index++) {
      for (;;) {
        const answer = await fetch(`${stack.baseUrl}/api/submit`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(job(index)),
        });
        if (answer.status === 201) {
          jobIds.push(((await answer.json()) as { job_id: number }).job_id);
          break;
        }
        // 503 while the ingest has no broker that confirms; the client tries again.
        expect(answer.status).toBe(503);
        await sleep(200);
      }
      await sleep(100);
    }
  })();
}

/** Each job completed within a minute and a half of this call (a failure names a job still waiting). */
async function expectEachJobCompletedWithEveryImageOnce(jobIds: number[]): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (const jobId of jobIds) {
    expect(await waitForTerminal(stack, jobId, Math.max(deadline - Date.now(), 1_000))).toEqual({
      status: 'completed',
      job_id: jobId,
    });
  }
  const perJob = await imageRecordsPerJob(environment.db);
  expect(jobIds.map((jobId) => perJob.get(jobId))).toEqual(jobIds.map(() => IMAGES_PER_JOB));
}

describe('losing the RabbitMQ node that leads the work queue', () => {
  it('settles every job as it should, each image recorded exactly once, with the node down for good and back', async () => {
    const { names } = environment.topology;
    const leader = await queueLeader(names.imageRequestsQueue);
    const replicas = await queueReplicas();
    const delayQueuesLed = [0, 1, 2].filter((level) => replicas.get(names.retryQueue(level))?.leader === leader);
    console.log(`killing ${leader.name}, leader of the work queue and of ${delayQueuesLed.length} of 3 delay queues`);

    const jobIds: number[] = [];
    const firstBatch = submitting(0, JOBS, jobIds);
    while (jobIds.length < JOBS / 4) await sleep(50);
    await killNode(leader);
    await firstBatch;
    // Settled with the node still down: nothing waits for it to come back.
    await expectEachJobCompletedWithEveryImageOnce(jobIds);

    const restarting = startNode(leader);
    await submitting(JOBS, JOBS + RESTART_JOBS, jobIds);
    await restarting;
    await expectEachJobCompletedWithEveryImageOnce(jobIds);

    const types = (await loggedEvents(environment.db)).map(({ event }) => event.type);
    const images = (JOBS + RESTART_JOBS) * IMAGES_PER_JOB;
    expect(types.filter((type) => type === 'ImageProcessed' || type === 'ImageFailed')).toHaveLength(images);
    expect(types.filter((type) => type === 'JobSubmitted')).toHaveLength(JOBS + RESTART_JOBS);
  }, 300_000);
});
