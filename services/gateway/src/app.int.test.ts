import { tmpdir } from 'node:os';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { createLogger } from '@retail-pulse/shared/config';
import { closeServer, listen } from '@retail-pulse/shared/http';
import { freePort } from '../../../test/support/stack';
import { RawConnection, rawRequest } from '../../../test/support/rawHttp';
import { ApiKeys, RateLimiter } from './access';
import { Readiness } from '@retail-pulse/shared/service';
import { createGatewayApp } from './app';
import { Dashboard } from './dashboard';
import { UpstreamService } from './forward';

/** The front door over real sockets, before a plain HTTP server that records what reaches it. */
const maxBodyBytes = 64 * 1024;
const internalToken = 'the-gateway-internal-token';
let gateway: Server;
let gatewayPort: number;
let baseUrl: string;
let upstream: Server | undefined;
let upstreamPort: number;
let services: UpstreamService[];
const received: Array<{ url: string | undefined; headers: IncomingHttpHeaders; body: string }> = [];

async function startUpstream(): Promise<void> {
  upstream = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString() });
      const answer = JSON.stringify({ path: request.url });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      response.end(answer);
    });
  });
  await new Promise<void>((resolve) => upstream!.listen(upstreamPort, '127.0.0.1', resolve));
}

beforeAll(async () => {
  upstreamPort = await freePort(); // nothing listens here until a test starts the upstream
  const timeouts = { headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 };
  const service = () => new UpstreamService({ host: '127.0.0.1', port: upstreamPort }, internalToken, timeouts);
  services = [service(), service()];
  const app = createGatewayApp({
    upstreams: { ingest: services[0]!, statusApi: services[1]! },
    apiKeys: new ApiKeys(undefined),
    rateLimiter: new RateLimiter(0, 1),
    dashboard: new Dashboard(tmpdir()),
    maxBodyBytes,
    health: { readiness: new Readiness({}, createLogger('gateway-test', 'silent' as 'info')) },
    logger: createLogger('gateway-test', 'silent' as 'info'),
  });
  gateway = await listen(app, 0, '127.0.0.1');
  gatewayPort = (gateway.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${gatewayPort}`;
});
afterAll(async () => {
  if (upstream) await closeServer(upstream);
  await closeServer(gateway);
  await Promise.all(services.map((service) => service.close()));
});

const json = JSON.stringify({ count: 1, visits: [] });

describe('the gateway', () => {
  it('answers 503 with Retry-After and security headers while the service is down, then forwards once it is up', async () => {
    const down = await fetch(`${baseUrl}/api/status?jobid=1`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect(down.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await down.json()).toEqual({ error: 'service temporarily unavailable; retry shortly' });
    const submit = await fetch(`${baseUrl}/api/submit`, { method: 'POST', body: '{"count":1}' });
    expect(submit.status).toBe(503);

    await startUpstream();
    const up = await fetch(`${baseUrl}/api/status?jobid=1`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ path: '/api/status?jobid=1' });
  });

  it.each([
    ['gzip', gzipSync(json)],
    ['x-gzip', gzipSync(json)],
    ['deflate', deflateSync(json)],
    ['BR', brotliCompressSync(json)],
    ['identity', Buffer.from(json)],
  ])(
    'hands on a body sent as %s decoded, with its length, the token and the client address, nothing else',
    async (coding, body) => {
      received.length = 0;
      const response = await fetch(`${baseUrl}/api/submit`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-encoding': coding,
          'x-internal-token': 'forged by the client',
          'x-forwarded-for': '203.0.113.9',
          cookie: 'session=1',
        },
        body,
      });
      expect(response.status).toBe(200);
      const [seen] = received;
      expect(seen?.body).toBe(json);
      expect(seen?.headers).toMatchObject({
        'content-type': 'application/json',
        'content-length': String(json.length),
        'x-internal-token': internalToken,
        'x-forwarded-for': '127.0.0.1',
      });
      expect(seen?.headers['content-encoding']).toBeUndefined();
      expect(seen?.headers.cookie).toBeUndefined();
    },
  );

  it('refuses what it cannot take with a 4xx that names the problem, on one connection that carries on', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * maxBodyBytes, 'a'));
    const post = (headers: Record<string, string | number>, body: string | Buffer) =>
      rawRequest('POST', '/api/submit', { 'Content-Type': 'application/json', ...headers }, body);
    const chunked = Buffer.concat([
      Buffer.from('POST /api/submit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'),
      Buffer.from('Transfer-Encoding: chunked\r\n\r\n'),
      ...Array.from({ length: 3 }, () => Buffer.from(`8000\r\n${'a'.repeat(0x8000)}\r\n`)),
      Buffer.from('0\r\n\r\n'),
    ]);
    const cases: Array<[Buffer, number, string]> = [
      [
        post({ 'Content-Encoding': 'gzip', 'Content-Length': bomb.length }, bomb),
        413,
        `request body is too large once decoded (at most ${maxBodyBytes} bytes)`,
      ],
      [
        post({ 'Content-Encoding': 'br', 'Content-Length': json.length }, json),
        400,
        'request body is not valid br data, as its Content-Encoding says',
      ],
      [
        post({ 'Content-Encoding': 'gzip', 'Content-Length': 10 }, gzipSync(json).subarray(0, 10)),
        400,
        'request body is not valid gzip data, as its Content-Encoding says',
      ],
      [
        post({ 'Content-Encoding': 'zstd', 'Content-Length': json.length }, json),
        415,
        'unsupported Content-Encoding: send gzip, deflate, br or none, one at most',
      ],
      [chunked, 413, `request body is too large (at most ${maxBodyBytes} bytes)`],
      [rawRequest('DELETE', '/api/submit', {}), 405, 'DELETE is not allowed on /api/submit (allowed: POST)'],
    ];
    const connection = await RawConnection.open(gatewayPort);
    try {
      for (const [index, [request, status, error]] of cases.entries()) {
        await connection.send([request]);
        const { responses } = await connection.waitFor(index + 1, 5_000);
        expect(responses[index]).toMatchObject({ status, body: JSON.stringify({ error }) });
      }
      await connection.send([post({ 'Content-Length': json.length }, json)]);
      const { responses, ending } = await connection.waitFor(cases.length + 1, 5_000);
      expect(responses[cases.length]).toMatchObject({ status: 200, body: JSON.stringify({ path: '/api/submit' }) });
      expect(ending).toBe('open');
    } finally {
      connection.close();
    }
  });

  it('answers requests the HTTP parser refuses in JSON, after the answers it owes on the connection', async () => {
    const connection = await RawConnection.open(gatewayPort);
    await connection.send([rawRequest('GET', '/api/status?jobid=7', {}), 'NOT HTTP AT ALL\r\n\r\n']);
    const { responses, ending } = await connection.waitForClose(5_000);
    expect(responses.map(({ status, body }) => ({ status, body }))).toEqual([
      { status: 200, body: JSON.stringify({ path: '/api/status?jobid=7' }) },
      { status: 400, body: JSON.stringify({ error: 'malformed HTTP request: Invalid method encountered' }) },
    ]);
    expect(responses[1]?.headers['x-content-type-options']).toBe('nosniff');
    expect(ending).toBe('closed');

    const huge = await RawConnection.open(gatewayPort);
    await huge.send([rawRequest('GET', '/api/status?jobid=7', { 'X-Padding': 'a'.repeat(20_000) })]);
    expect((await huge.waitForClose(5_000)).responses).toMatchObject([
      { status: 431, body: JSON.stringify({ error: 'request headers are too large (at most 16 KiB)' }) },
    ]);
  });
});
