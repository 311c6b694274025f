import { randomBytes } from 'node:crypto';
import { listeningAddresses } from '../support/listeners';
import { startStack, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

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

  it('takes cancel and retry under the rules of submit: a key at the gateway, nothing straight to the ingest', async () => {
    const withKey = { 'x-api-key': apiKey };
    const { job_id: jobId } = (await (await submitTo(stack.baseUrl, withKey)).json()) as { job_id: number };
    const command = (base: string, name: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/api/jobs/${jobId}/${name}`, { method: 'POST', headers });
    const ingest = `http://127.0.0.1:${stack.ports.ingest}`;
    for (const name of ['cancel', 'retry']) {
      expect((await command(stack.baseUrl, name)).status).toBe(401);
      const direct = await command(ingest, name, withKey);
      expect([direct.status, await direct.json()]).toEqual([403, refusal]);
    }
    // Its one image (port 1: refused) is retried for seconds before it fails: the job is ongoing.
    expect((await command(stack.baseUrl, 'cancel', withKey)).status).toBe(202);
    const status = async () =>
      (await (await fetch(`${stack.baseUrl}/api/status?jobid=${jobId}`, { headers: withKey })).json()) as {
        status: string;
      };
    await until(async () => (await status()).status !== 'ongoing', { what: 'the cancelled job settled' });
    expect(await status()).toEqual({
      status: 'failed',
      job_id: jobId,
      error: [{ store_id: 'S00339218', error: 'cancelled' }],
    });
    const retried = await command(stack.baseUrl, 'retry', withKey);
    expect([retried.status, await retried.json()]).toEqual([201, { job_id: expect.any(Number), retry_of: jobId }]);
  });

  it('keeps the health checks open on loopback', async () => {
    for (const name of ['ingest', 'status-api'] as const) {
      expect((await fetch(`http://127.0.0.1:${stack.ports[name]}/health`)).status).toBe(200);
    }
  });
});
