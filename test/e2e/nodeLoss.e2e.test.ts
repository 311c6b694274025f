import { loggedEvents } from '../support/eventLog';
import { imageRecordsPerJob } from '../support/imageRecords';
import { killNode, queueLeader, startNode } from '../../infra/local/rabbitCluster';
import { useRabbitCluster, type ClusterLease } from '../support/cluster';
import { SERVED_IMAGES, startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/**
 * The whole stack on the project's three-node RabbitMQ cluster while the node leading the image
 * work queue is killed with SIGKILL mid-run and restarted: every job settles as it should and
 * every image is recorded exactly once. (`npm run chaos` runs the longer version.)
 */
let lease: ClusterLease;
let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;

const JOBS = 20;
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

describe('losing the RabbitMQ node that leads the work queue', () => {
  it('settles every job as it should, each image recorded exactly once', async () => {
    const leader = await queueLeader(environment.topology.names.imageRequestsQueue);
    const jobIds: number[] = [];
    const submitting = (async () => {
      for (let index = 0; index < JOBS; index++) {
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
    while (jobIds.length < JOBS / 4) await sleep(50);
    await killNode(leader);
    await sleep(2_000);
    await startNode(leader);
    await submitting;

    for (const jobId of jobIds) {
      expect(await waitForTerminal(stack, jobId, 120_000)).toEqual({ status: 'completed', job_id: jobId });
    }
    const perJob = await imageRecordsPerJob(environment.db);
    expect(jobIds.map((jobId) => perJob.get(jobId))).toEqual(jobIds.map(() => IMAGES_PER_JOB));
    const types = (await loggedEvents(environment.db)).map(({ event }) => event.type);
    expect(types.filter((type) => type === 'ImageProcessed' || type === 'ImageFailed')).toHaveLength(
      JOBS * IMAGES_PER_JOB,
    );
    expect(types.filter((type) => type === 'JobSubmitted')).toHaveLength(JOBS);
  });
});
