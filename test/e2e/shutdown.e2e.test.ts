import { ProjectionState, readModelCollections } from '@retail-pulse/shared/readModels';
import { SERVED_IMAGES, startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/** SIGTERM mid-job: the service stops taking work, finishes what it holds, exits cleanly, loses nothing. */
let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;

beforeAll(async () => {
  environment = await createTestEnvironment('shutdown');
  images = await startImageServer();
  stack = await startStack(environment, { GPU_DELAY_MIN_MS: '400', GPU_DELAY_MAX_MS: '600', IMAGE_CONCURRENCY: '10' });
});
afterAll(async () => {
  await stack?.stopAll();
  await images?.close();
  await environment?.cleanup();
});

const health = async (port: number) =>
  (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Record<string, number>;

it('finishes in-flight images on SIGTERM, exits 0, and the job completes after a restart', async () => {
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
  while ((await health(stack.ports['image-processor']!)).inFlight === 0)
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

  await stack.start('projection');
  await stack.start('image-processor');
  expect(await waitForTerminal(stack.baseUrl, jobId)).toEqual({ status: 'completed', job_id: jobId });
  const active = await new ProjectionState(environment.db).active();
  const records = await environment.db.collection(readModelCollections(active.visits).images).countDocuments({ jobId });
  expect(records).toBe(40);
  expect(await environment.db.collection('events').countDocuments({ jobId })).toBe(41);
});
