import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@retail-pulse/shared/config';
import { closeServer, listen } from '@retail-pulse/shared/http';
import { Readiness, ServiceMetrics } from '@retail-pulse/shared/service';
import { ApiKeys, RateLimiter } from './access';
import { createGatewayApp } from './app';
import { Dashboard } from './dashboard';
import { UpstreamService } from './forward';

/** The gateway's `/metrics` with API keys on, over real sockets, before a plain HTTP server. */
const KEY = 'metrics-test-key';
const logger = createLogger('gateway-metrics-test', 'silent' as 'info');
let gateway: Server;
let upstream: Server;
let upstreamService: UpstreamService;
let baseUrl: string;

beforeAll(async () => {
  upstream = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamService = new UpstreamService(
    { host: '127.0.0.1', port: (upstream.address() as AddressInfo).port },
    'a-token-of-sixteen-characters',
    { headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000 },
  );
  const app = createGatewayApp({
    upstreams: { ingest: upstreamService, statusApi: upstreamService },
    apiKeys: new ApiKeys(KEY),
    // One request per client per 100 s: the second API request is a 429.
    rateLimiter: new RateLimiter(0.01, 1),
    dashboard: new Dashboard(tmpdir()),
    maxBodyBytes: 64 * 1024,
    health: { readiness: new Readiness({}, logger), metrics: new ServiceMetrics() },
    logger,
  });
  gateway = await listen(app, 0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await closeServer(gateway);
  await closeServer(upstream);
  await upstreamService.close();
});

const withKey = { 'x-api-key': KEY };
const scrape = async () => {
  const response = await fetch(`${baseUrl}/metrics`, { headers: withKey });
  expect(response.status).toBe(200);
  return response.text();
};

describe("the gateway's /metrics with API keys on", () => {
  it('wants a key, as every route on this public port does, while health stays open', async () => {
    const refused = await fetch(`${baseUrl}/metrics`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: 'a valid API key is required (X-API-Key header or Authorization: Bearer)',
    });
    expect((await fetch(`${baseUrl}/metrics`, { headers: { 'x-api-key': 'wrong' } })).status).toBe(401);
    expect((await fetch(`${baseUrl}/health/live`)).status).toBe(200);
    const bearer = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(bearer.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('labels requests by route pattern, never by the raw path or query, and takes no rate-limit token', async () => {
    expect((await fetch(`${baseUrl}/api/status?jobid=7`, { headers: withKey })).status).toBe(200);
    expect((await fetch(`${baseUrl}/api/status?jobid=8`, { headers: withKey })).status).toBe(429);
    expect((await fetch(`${baseUrl}/api/status/12345`, { headers: withKey })).status).toBe(404);
    const notAllowed = await fetch(`${baseUrl}/api/visits/`, { method: 'DELETE', headers: withKey });
    expect(notAllowed.status).toBe(405);
    // The one token is spent, yet the scrape is answered: Prometheus is not throttled with the clients.
    const text = await scrape();
    expect(text).toMatch(/^rp_http_requests_total\{method="GET",route="\/api\/status",status="200"\} 1$/m);
    expect(text).toMatch(/^rp_http_requests_total\{method="GET",route="\/api\/status",status="429"\} 1$/m);
    expect(text).toMatch(/^rp_http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    expect(text).toMatch(/^rp_http_requests_total\{method="DELETE",route="\/api\/visits",status="405"\} 1$/m);
    expect(text).toMatch(/^rp_http_requests_total\{method="GET",route="\/metrics",status="401"\} 2$/m);
    expect(text).toMatch(
      /^rp_http_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/api\/status",status="200"\} 1$/m,
    );
    expect(text).not.toMatch(/12345|jobid/);
  });

  it('answers other methods on /metrics 405 naming the allowed ones, and other paths as before', async () => {
    const post = await fetch(`${baseUrl}/metrics`, { method: 'POST', headers: withKey });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(await post.json()).toEqual({ error: 'POST is not allowed on /metrics (allowed: GET, HEAD)' });
    const other = await fetch(`${baseUrl}/metricsx`, { headers: withKey });
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: 'no route for GET /metricsx' });
  });
});
