import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '@retail-pulse/shared/http';
import { freePort } from '../../../test/support/stack';
import { ApiKeys, RateLimiter } from './access';
import { createProxyHandler } from './proxy';

/** The front door over real sockets: an upstream that is down is a 503 with Retry-After, never a hang or a 500. */
let gateway: Server;
let baseUrl: string;
let upstream: Server | undefined;
let upstreamPort: number;

beforeAll(async () => {
  upstreamPort = await freePort(); // nothing listens here until a test starts the upstream
  gateway = createServer(
    createProxyHandler(
      { ingest: { host: '127.0.0.1', port: upstreamPort }, statusApi: { host: '127.0.0.1', port: upstreamPort } },
      { apiKeys: new ApiKeys(undefined), rateLimiter: new RateLimiter(0, 1), maxBodyBytes: 1_024 },
    ),
  );
  await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (upstream) await closeServer(upstream);
  await closeServer(gateway);
});

describe('the gateway in front of a service that is down', () => {
  it('answers 503 with Retry-After and security headers, then forwards once the service is up', async () => {
    const down = await fetch(`${baseUrl}/api/status?jobid=1`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect(down.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await down.json()).toEqual({ error: 'service temporarily unavailable; retry shortly' });
    const submit = await fetch(`${baseUrl}/api/submit`, { method: 'POST', body: '{"count":1}' });
    expect(submit.status).toBe(503);

    upstream = createServer((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ path: request.url }));
    });
    await new Promise<void>((resolve) => upstream!.listen(upstreamPort, '127.0.0.1', resolve));
    const up = await fetch(`${baseUrl}/api/status?jobid=1`);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ path: '/api/status?jobid=1' });
  });
});
