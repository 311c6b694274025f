import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@retail-pulse/shared/config';
import { closeServer, listen } from '@retail-pulse/shared/http';
import { Readiness } from '@retail-pulse/shared/service';
import { ApiKeys, RateLimiter } from './access';
import { createGatewayApp } from './app';
import { Dashboard, DASHBOARD_POLICY } from './dashboard';
import { UpstreamService } from './forward';

/** The dashboard's files as the gateway serves them, with API keys on, over real sockets. */
const logger = createLogger('gateway-dashboard-test', 'silent' as 'info');
const page = '<!doctype html><script type="module" src="/assets/index-Abc123.js"></script>';
let buildDir: string;
const servers: Server[] = [];
const upstreams: UpstreamService[] = [];

async function gatewayFor(dir: string): Promise<string> {
  // Nothing listens behind it: these routes never reach a service.
  const service = new UpstreamService({ host: '127.0.0.1', port: 9 }, 'a-token-of-sixteen-characters', {
    headersTimeoutMs: 1_000,
    bodyTimeoutMs: 1_000,
  });
  upstreams.push(service);
  const app = createGatewayApp({
    upstreams: { ingest: service, statusApi: service },
    apiKeys: new ApiKeys('the-key'),
    rateLimiter: new RateLimiter(0, 1),
    dashboard: new Dashboard(dir),
    maxBodyBytes: 64 * 1024,
    health: { readiness: new Readiness({}, logger) },
    logger,
  });
  const server = await listen(app, 0, '127.0.0.1');
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(() => {
  buildDir = mkdtempSync(join(tmpdir(), 'rp-dashboard-'));
  mkdirSync(join(buildDir, 'assets'));
  writeFileSync(join(buildDir, 'index.html'), page);
  writeFileSync(join(buildDir, 'assets', 'index-Abc123.js'), 'console.log(1)');
  writeFileSync(join(buildDir, 'assets', 'index-Def456.css'), 'body{}');
});
afterAll(async () => {
  await Promise.all(servers.map((server) => closeServer(server)));
  await Promise.all(upstreams.map((service) => service.close()));
  rmSync(buildDir, { recursive: true, force: true });
});

describe('the dashboard, served by the gateway', () => {
  it('serves the page to anyone, under its own policy, revalidated each time', async () => {
    const baseUrl = await gatewayFor(buildDir);
    const answer = await fetch(`${baseUrl}/`);
    expect(answer.status).toBe(200);
    expect(await answer.text()).toBe(page);
    expect(
      Object.fromEntries(
        ['content-type', 'content-security-policy', 'cache-control', 'x-content-type-options'].map((name) => [
          name,
          answer.headers.get(name),
        ]),
      ),
    ).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': DASHBOARD_POLICY,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    const etag = answer.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    // As a browser revalidates (fetch would otherwise add `Cache-Control: no-cache`, which forbids a 304).
    const again = await fetch(`${baseUrl}/`, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
    expect([again.status, await again.text()]).toEqual([304, '']);
    // The data behind it still needs the key.
    expect((await fetch(`${baseUrl}/api/jobs`)).status).toBe(401);
  });

  it('serves content-hashed files with their type, cached for good, and nothing else', async () => {
    const baseUrl = await gatewayFor(buildDir);
    const script = await fetch(`${baseUrl}/assets/index-Abc123.js`);
    expect([script.status, script.headers.get('content-type'), script.headers.get('cache-control')]).toEqual([
      200,
      'text/javascript; charset=utf-8',
      'public, max-age=31536000, immutable',
    ]);
    const style = await fetch(`${baseUrl}/assets/index-Def456.css`, { method: 'HEAD' });
    expect([style.status, style.headers.get('content-type')]).toEqual([200, 'text/css; charset=utf-8']);
    for (const path of ['/assets/index-Zzz.js', '/assets/..%2Findex.html', '/assets/%2E%2E%2Fpackage.json']) {
      const missing = await fetch(`${baseUrl}${path}`);
      expect([path, missing.status, missing.headers.get('cache-control')]).toEqual([path, 404, 'no-store']);
      expect(await missing.json()).toEqual({ error: `no route for GET ${path}` });
    }
    expect((await fetch(`${baseUrl}/index.html`)).status).toBe(404);
    expect((await fetch(`${baseUrl}/`, { method: 'POST' })).status).toBe(405);
  });

  it('says how to build it when it was not built', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'rp-dashboard-empty-'));
    try {
      const baseUrl = await gatewayFor(empty);
      const answer = await fetch(`${baseUrl}/`);
      expect([answer.status, await answer.json()]).toEqual([
        503,
        {
          error:
            'the dashboard is not built: run `npm run build -w dashboard` (npm start does it), then restart the gateway',
        },
      ]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
