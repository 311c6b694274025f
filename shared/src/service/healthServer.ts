import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { METRICS_PATH, operationalRoute, UNMATCHED_ROUTE, type ServiceMetrics } from './metrics';
import type { Readiness, ReadinessReport } from './readiness';

/** What a service tells its operational endpoints: health, and the metrics a scrape reads. */
export interface Health {
  readiness: Readiness;
  /** What else `/health` reports (counts, lag, …): for operators and benchmarks, not for probes. */
  details?: () => Record<string, unknown>;
  /** Served on `/metrics` beside the health endpoints, where given. */
  metrics?: ServiceMetrics;
}

export interface HealthAnswer {
  status: number;
  body: Record<string, unknown>;
}

const healthPaths = new Set(['/health', '/health/live', '/health/ready']);

const pathOf = (url: string) => url.split('?')[0] ?? url;

export function isHealthPath(url: string): boolean {
  return healthPaths.has(pathOf(url));
}

function readinessBody(report: ReadinessReport): Record<string, unknown> {
  return report.ready
    ? { status: 'ok', checks: report.checks }
    : { status: 'unavailable', down: report.down, checks: report.checks };
}

/**
 * Every service's health endpoints, whatever serves them:
 * - `/health/live`: 200 while the process runs and its event loop answers (restart it otherwise);
 * - `/health/ready`: 200 while every required dependency works now, else 503 naming what is down
 *   (send it no traffic meanwhile);
 * - `/health`: the readiness answer with the service's details.
 * Undefined for any other path.
 */
export async function answerHealth(url: string, health: Health): Promise<HealthAnswer | undefined> {
  const path = pathOf(url);
  if (!isHealthPath(path)) return undefined;
  if (path === '/health/live') return { status: 200, body: { status: 'ok' } };
  const report = await health.readiness.check();
  const body = readinessBody(report);
  return { status: report.ready ? 200 : 503, body: path === '/health' ? { ...health.details?.(), ...body } : body };
}

/** Answers a health request on a plain Node server; false (nothing sent) when the path is not one of them. */
export function serveHealth(
  request: IncomingMessage,
  response: ServerResponse,
  health: Health,
  headers: Readonly<Record<string, string>> = {},
): boolean {
  const url = request.url ?? '/';
  if (!isHealthPath(url)) return false;
  void answerHealth(url, health).then((answer) => {
    response.writeHead(answer!.status, { 'Content-Type': 'application/json', ...headers });
    response.end(JSON.stringify(answer!.body));
  });
  return true;
}

/** Answers a scrape of `/metrics` on a plain Node server; false (nothing sent) for any other request. */
function serveMetrics(
  request: IncomingMessage,
  response: ServerResponse,
  metrics: ServiceMetrics | undefined,
): boolean {
  if (!metrics || pathOf(request.url ?? '/') !== METRICS_PATH || !['GET', 'HEAD'].includes(request.method ?? '')) {
    return false;
  }
  void metrics.exposition().then(({ contentType, body }) => {
    response.writeHead(200, { 'Content-Type': contentType });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  return true;
}

/**
 * Serves the health endpoints, and `/metrics` when the service has metrics, on a port of their
 * own, for services without an HTTP API; every answer is counted in the HTTP metrics.
 */
export function startHealthServer(port: number, host: string, health: Health): Server {
  const { metrics } = health;
  const server = createServer((request, response) => {
    if (metrics) {
      const started = process.hrtime.bigint();
      response.once('finish', () =>
        metrics.observeRequest({
          method: request.method ?? 'GET',
          route: operationalRoute(pathOf(request.url ?? '/')) ?? UNMATCHED_ROUTE,
          status: response.statusCode,
          seconds: Number(process.hrtime.bigint() - started) / 1e9,
        }),
      );
    }
    if (serveHealth(request, response, health) || serveMetrics(request, response, metrics)) return;
    response.writeHead(404, { 'Content-Type': 'application/json' });
    response.end('{}');
  });
  server.listen(port, host);
  return server;
}
