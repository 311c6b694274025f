import { randomBytes } from 'node:crypto';
import { listeningAddresses } from '../support/listeners';
import { startStack, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/**
 * No way around the gateway: the internal ports listen on loopback only, and with API keys on, the
 * ingest and the status API answer only what the gateway forwards (it adds the internal token).
 */
let environment: TestEnvironment;
let stack: Stack;
const apiKey = 'front-door-key-1';

beforeAll(async () => {
  environment = await createTestEnvironment('gateway-only');
  stack = await startStack(environment, { API_KEYS: apiKey, INTERNAL_TOKEN: randomBytes(24).toString('hex') });
});
afterAll(async () => {
  await stack?.stopAll();
  await environment?.cleanup();
});

const job = JSON.stringify({
  count: 1,
  visits: [{ store_id: 'S00339218', image_url: ['http://127.0.0.1:1/a.jpg'], visit_time: '2024-01-21T16:23:40Z' }],
});
const submitTo = (base: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/api/submit/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: job,
  });
const refusal = { error: 'this service answers only requests that come through the gateway' };

describe('no way around the gateway', () => {
  it('binds every internal port to loopback, and only the gateway to every interface', () => {
    for (const name of ['ingest', 'status-api', 'projection', 'image-processor'] as const) {
      expect({ name, addresses: listeningAddresses(stack.ports[name]!) }).toEqual({ name, addresses: ['127.0.0.1'] });
    }
    expect(listeningAddresses(stack.ports.gateway!)).toEqual(['0.0.0.0']);
  });

  it('refuses a submit sent straight to the ingest, with or without a client key, and takes it through the gateway', async () => {
    const ingest = `http://127.0.0.1:${stack.ports.ingest}`;
    const attempts: Array<Record<string, string>> = [
      {},
      { 'x-api-key': apiKey },
      { 'x-internal-token': 'a guess that is long enough' },
    ];
    for (const headers of attempts) {
      const direct = await submitTo(ingest, headers);
      expect({ headers, status: direct.status }).toEqual({ headers, status: 403 });
      expect(await direct.json()).toEqual(refusal);
    }
    const withoutKey = await submitTo(stack.baseUrl);
    expect(withoutKey.status).toBe(401);
    const accepted = await submitTo(stack.baseUrl, { 'x-api-key': apiKey });
    expect(accepted.status).toBe(201);
    const { job_id: jobId } = (await accepted.json()) as { job_id: number };

    const statusApi = `http://127.0.0.1:${stack.ports['status-api']}`;
    const directStatus = await fetch(`${statusApi}/api/status?jobid=${jobId}`);
    expect(directStatus.status).toBe(403);
    expect(await directStatus.json()).toEqual(refusal);
    const status = await fetch(`${stack.baseUrl}/api/status?jobid=${jobId}`, { headers: { 'x-api-key': apiKey } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ job_id: jobId });
  });

  it('keeps the health checks open on loopback', async () => {
    for (const name of ['ingest', 'status-api'] as const) {
      expect((await fetch(`http://127.0.0.1:${stack.ports[name]}/health`)).status).toBe(200);
    }
  });
});
