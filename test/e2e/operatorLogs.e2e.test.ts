import { brotliCompressSync } from 'node:zlib';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type ServiceName, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

/**
 * What an operator reads in the services' own output (stdout, JSON lines): one info line per
 * settled job from the projection, and a client's mistake as one warn line without a stack.
 */
let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;

beforeAll(async () => {
  environment = await createTestEnvironment('logs');
  images = await startImageServer();
  stack = await startStack(environment, { LOG_LEVEL: 'info' });
});

afterAll(async () => {
  await stack?.stopAll();
  await images?.close();
  await environment?.cleanup();
});

/** Every line the service wrote so far, as it wrote it. */
const linesOf = (name: ServiceName): string[] => stack.services.get(name)!.output.join('').split('\n');

const jsonLinesOf = (name: ServiceName): Array<Record<string, unknown>> =>
  linesOf(name).flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

describe('the log', () => {
  it('has one info line per settled job: its id, images, failures and seconds since submission', async () => {
    const submitted = await fetch(`${stack.baseUrl}/api/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        count: 1,
        visits: [
          {
            store_id: 'S00339218',
            image_url: [images.url('/img/shelf.jpg'), images.url('/img/missing.jpg'), images.url('/img/front.png')],
            visit_time: '2024-01-21T10:00:00Z',
          },
        ],
      }),
    });
    const { job_id: jobId } = (await submitted.json()) as { job_id: number };
    await waitForTerminal(stack, jobId);
    const settled = () =>
      jsonLinesOf('projection').filter((line) => line.msg === 'job settled' && line.jobId === jobId);
    await until(() => settled().length > 0, { what: `the settled line of job ${jobId}` });
    expect(settled()).toEqual([
      expect.objectContaining({
        level: 30,
        service: 'projection',
        jobId,
        status: 'failed',
        images: 3,
        failed: 1,
        seconds: expect.any(Number),
      }),
    ]);
    expect(settled()[0]!.seconds as number).toBeGreaterThanOrEqual(0);
    expect(settled()[0]!.seconds as number).toBeLessThan(60);
  });

  it('logs bad JSON and bodies that are not what their Content-Encoding says as one warn line each, no stack', async () => {
    const ingest = `http://127.0.0.1:${stack.ports.ingest}/api/submit`;
    const send = (body: Blob | string, encoding?: string) =>
      fetch(ingest, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(encoding ? { 'content-encoding': encoding } : {}) },
        body,
      });
    const before = linesOf('ingest').length;
    const answers = await Promise.all([
      send('{"count": 1, "visits": ['),
      send('{"count":1}', 'br'),
      send('{"count":1}', 'gzip'),
      send(new Blob([brotliCompressSync('{"count": 1, "visits": [').subarray(0, 5)]), 'br'),
    ]);
    expect(await Promise.all(answers.map(async (answer) => [answer.status, await answer.json()]))).toEqual([
      [400, { error: 'request body is not valid JSON' }],
      [400, { error: 'request body is not valid br data, as its Content-Encoding says' }],
      [400, { error: 'request body is not valid gzip data, as its Content-Encoding says' }],
      [400, { error: 'request body is not valid br data, as its Content-Encoding says' }],
    ]);
    const clientErrors = () => jsonLinesOf('ingest').filter((line) => line.msg === 'client error');
    await until(() => clientErrors().length >= 4, { what: 'four client-error lines' });
    expect(clientErrors()).toEqual(
      Array.from({ length: 4 }, () =>
        expect.objectContaining({ level: 40, status: 400, method: 'POST', path: '/api/submit' }),
      ),
    );
    const written = linesOf('ingest').slice(before);
    expect(written.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
    expect(written.join('\n')).not.toMatch(/\\n\s+at /);
  });
});
