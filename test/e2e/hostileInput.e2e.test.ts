import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, startStack, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { prng } from '../support/prng';

/**
 * Anyone can send anything: generated malformed bodies and query strings never get a 5xx, and the
 * stack is still healthy afterwards. API keys and rate limits are enforced at the front door.
 */
let environment: TestEnvironment;
let stack: Stack;

beforeAll(async () => {
  environment = await createTestEnvironment('hostile');
  stack = await startStack(environment, {
    RATE_LIMIT_PER_SECOND: '0',
    MAX_VISITS_PER_JOB: '50',
    MAX_IMAGES_PER_JOB: '100',
  });
});
afterAll(async () => {
  await stack?.stopAll();
  await environment?.cleanup();
});

const random = prng(20261122);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const weird: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -0,
  '',
  ' ',
  'S00339218',
  '2024-13-45T99:99:99Z',
  'javascript:alert(1)',
  'ftp://example.com/a.jpg',
  'http://',
  'http://[::1]/a.jpg',
  'x'.repeat(5_000),
  '\u0000\u202e\ud83d\ude00',
  '{"$where":"1"}',
  [],
  [null],
  [1, 2, 3],
  {},
  { $gt: '' },
  { __proto__: { polluted: true } },
  Array(60).fill('http://example.com/a.jpg'),
];

function validVisit() {
  return { store_id: 'S00339218', image_url: ['http://example.invalid/a.jpg'], visit_time: '2024-01-21T16:23:40Z' };
}

function mutate(value: unknown, depth = 0): unknown {
  if (depth > 3 || random() < 0.25) return pick(weird);
  if (Array.isArray(value)) {
    const copy = value.map((item) => (random() < 0.5 ? mutate(item, depth + 1) : item));
    if (random() < 0.3) copy.push(mutate(copy[0], depth + 1));
    if (random() < 0.2) copy.length = 0;
    return copy;
  }
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    const keys = Object.keys(copy);
    const key = pick(keys.length > 0 ? keys : ['count']);
    const roll = random();
    if (roll < 0.3) delete copy[key];
    else if (roll < 0.8) copy[key] = mutate(copy[key], depth + 1);
    else copy[pick(['extra', 'constructor', '__proto__', 'prototype', 'visits'])] = pick(weird);
    return copy;
  }
  return pick(weird);
}

function malformedSubmit(): { body: string; contentType: string | undefined } {
  const roll = random();
  const contentType =
    random() < 0.9
      ? 'application/json'
      : pick([undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']);
  if (roll < 0.15) {
    const bytes = Buffer.from(Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
    return { body: bytes.toString('latin1'), contentType };
  }
  const valid = { count: 1, visits: [validVisit()] };
  if (roll < 0.3) {
    const text = JSON.stringify(valid);
    return { body: text.slice(0, Math.floor(random() * text.length)), contentType };
  }
  if (roll < 0.35) return { body: JSON.stringify(pick(weird)), contentType };
  return { body: JSON.stringify(mutate(valid)), contentType };
}

function malformedQuery(): string {
  const values = [
    '',
    '0',
    '-5',
    '1e3',
    '0x1F',
    '99999999999999999999',
    'abc',
    '%00',
    '%ZZ',
    '%E2%80%AE',
    'null',
    '[]',
    "1' OR '1'='1",
    'S00339218',
    '7100015',
    '2024-02-30',
    '2024-01-21T25:00:00Z',
    'x'.repeat(3_000),
  ];
  if (random() < 0.4) {
    const jobid = Array.from({ length: 1 + Math.floor(random() * 2) }, () => `jobid=${pick(values)}`).join('&');
    return `/api/status?${jobid}${random() < 0.2 ? `&generation=${pick(values)}` : ''}`;
  }
  const parameters = ['area', 'storeid', 'startdate', 'enddate', 'generation', 'area[$ne]', 'storeid[]'];
  const query = Array.from({ length: Math.floor(random() * 5) }, () => `${pick(parameters)}=${pick(values)}`).join('&');
  return `/api/visits?${query}`;
}

describe('hostile input', () => {
  it('answers 1,200 generated malformed requests without a single 5xx, and stays healthy', async () => {
    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    const requests = Array.from({ length: 1_200 }, (_, index) => index);
    const worker = async () => {
      for (let index = requests.pop(); index !== undefined; index = requests.pop()) {
        let response: Response;
        let described: string;
        if (index % 2 === 0) {
          const { body, contentType } = malformedSubmit();
          described = `POST ${contentType} ${body.slice(0, 200)}`;
          response = await fetch(`${stack.baseUrl}/api/submit`, {
            method: 'POST',
            headers: contentType ? { 'content-type': contentType } : {},
            body,
          });
        } else {
          const path = malformedQuery();
          described = `GET ${path.slice(0, 200)}`;
          response = await fetch(`${stack.baseUrl}${path}`);
        }
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status >= 500) serverErrors.push(`${response.status} ${described} → ${text}`);
        expect(() => JSON.parse(text)).not.toThrow();
        expect(text).not.toMatch(/at .+\.ts:\d+/); // no stack traces
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(serverErrors).toEqual([]);
    // The generator reached both the validation paths and the happy path.
    expect(statuses.get(400)).toBeGreaterThan(300);
    for (const name of ['gateway', 'ingest', 'status-api', 'projection', 'image-processor'] as const) {
      const health = await fetch(`http://127.0.0.1:${stack.ports[name]}/health`);
      expect({ name, status: health.status }).toEqual({ name, status: 200 });
    }
  });

  it('refuses bodies over the size limit (413) and non-JSON bodies (415)', async () => {
    const big = await fetch(`${stack.baseUrl}/api/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 1, visits: [{ ...validVisit(), store_id: 'x'.repeat(6 * 1024 * 1024) }] }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toEqual({ error: 'request body is too large (at most 5242880 bytes)' });
    // Past the gateway (which refuses it by its declared length), the ingest holds the same limit.
    const direct = await fetch(`http://127.0.0.1:${stack.ports.ingest}/api/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 1, visits: [{ ...validVisit(), store_id: 'x'.repeat(6 * 1024 * 1024) }] }),
    });
    expect(direct.status).toBe(413);
    const form = await fetch(`${stack.baseUrl}/api/submit`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'count=1',
    });
    expect(form.status).toBe(415);
    const tooMany = await fetch(`${stack.baseUrl}/api/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 51, visits: Array.from({ length: 51 }, validVisit) }),
    });
    expect(tooMany.status).toBe(413);
    expect(await tooMany.json()).toEqual({ error: 'a job may hold at most 50 visits (got 51)' });
  });

  describe('a front door with API keys and a rate limit', () => {
    let gateway: ChildProcess;
    let baseUrl: string;
    beforeAll(async () => {
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      gateway = spawn(process.execPath, ['--import', 'tsx', 'services/gateway/src/index.ts'], {
        cwd: join(__dirname, '../..'),
        env: {
          ...process.env,
          PORT: String(port),
          INGEST_PORT: String(stack.ports.ingest),
          STATUS_API_PORT: String(stack.ports['status-api']),
          API_KEYS: 'key-one,key-two',
          // Required with keys; the stack behind was started without one, so it is not checked there.
          INTERNAL_TOKEN: 'an-internal-token-for-tests',
          // One token per 1,000 s: no refill can happen during the test, however slow the machine.
          RATE_LIMIT_PER_SECOND: '0.001',
          RATE_LIMIT_BURST: '3',
          LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      });
      for (let ready = false; !ready;) {
        ready = await fetch(`${baseUrl}/health`).then(
          (response) => response.ok,
          () => false,
        );
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    afterAll(() => {
      gateway.kill('SIGTERM');
    });

    it('needs a valid key', async () => {
      const missing = await fetch(`${baseUrl}/api/status?jobid=999999`);
      expect(missing.status).toBe(401);
      expect(await missing.json()).toEqual({
        error: 'a valid API key is required (X-API-Key header or Authorization: Bearer)',
      });
      expect(
        (await fetch(`${baseUrl}/api/status?jobid=999999`, { headers: { 'x-api-key': 'key-three' } })).status,
      ).toBe(401);
      const allowed = await fetch(`${baseUrl}/api/status?jobid=999999`, {
        headers: { authorization: 'Bearer key-one' },
      });
      expect(allowed.status).toBe(400); // through to the status API: an unknown job
      expect(allowed.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('limits each key to its rate, with Retry-After', async () => {
      const answers = [];
      for (let index = 0; index < 5; index++) {
        answers.push(await fetch(`${baseUrl}/api/status?jobid=999999`, { headers: { 'x-api-key': 'key-two' } }));
      }
      expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 429, 429]);
      expect(Number(answers[3]!.headers.get('retry-after'))).toBeGreaterThan(900);
      expect(await answers[3]!.json()).toEqual({ error: 'too many requests; slow down' });
    });
  });
});
