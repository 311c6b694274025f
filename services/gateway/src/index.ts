import { createServer } from 'node:http';
import { z } from 'zod';
import { createLogger, env, loadConfig } from '@retail-pulse/shared/config';
import { closeServer, SECURITY_HEADERS } from '@retail-pulse/shared/http';
import { Readiness, runService, serveHealth } from '@retail-pulse/shared/service';
import { ApiKeys, RateLimiter } from './access';
import { createProxyHandler, type Routes } from './proxy';
import { upstreamProbe } from './upstreams';

const configSchema = z.object({
  PORT: env.int(8080, 0, 65_535),
  INGEST_HOST: env.string('127.0.0.1'),
  INGEST_PORT: env.int(8081, 1, 65_535),
  STATUS_API_HOST: env.string('127.0.0.1'),
  STATUS_API_PORT: env.int(8082, 1, 65_535),
  /** Comma-separated API keys; unset or empty: no key needed. */
  API_KEYS: z.string().optional(),
  /** Requests per second per client (API key, or address without keys); 0 turns limiting off. */
  RATE_LIMIT_PER_SECOND: env.number(1_000, 0),
  RATE_LIMIT_BURST: env.int(2_000, 1),
  MAX_BODY_BYTES: env.int(5 * 1024 * 1024, 1_024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

runService('gateway', async () => {
  const config = loadConfig(configSchema);
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const routes: Routes = {
    ingest: { host: config.INGEST_HOST, port: config.INGEST_PORT },
    statusApi: { host: config.STATUS_API_HOST, port: config.STATUS_API_PORT },
  };
  const proxy = createProxyHandler(routes, {
    apiKeys: new ApiKeys(config.API_KEYS),
    rateLimiter: new RateLimiter(config.RATE_LIMIT_PER_SECOND, config.RATE_LIMIT_BURST),
    maxBodyBytes: config.MAX_BODY_BYTES,
  });
  const health = {
    readiness: new Readiness(
      { ingest: { probe: upstreamProbe(routes.ingest) }, 'status-api': { probe: upstreamProbe(routes.statusApi) } },
      logger,
    ),
  };
  // Health is answered here, before keys and rate limits: probes carry no key.
  const server = createServer(
    (request, response) => serveHealth(request, response, health, SECURITY_HEADERS) || proxy(request, response),
  );
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, '0.0.0.0', resolve);
  });
  logger.info({ port: config.PORT }, 'gateway listening');
  return { logger, stopSteps: [() => closeServer(server)] };
});
