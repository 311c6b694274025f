import '@retail-pulse/shared/service/instrument';
import { z } from 'zod';
import { createLogger, env, internalTokenShape, loadConfig } from '@retail-pulse/shared/config';
import { closeServer, listen } from '@retail-pulse/shared/http';
import { Readiness, runService, ServiceMetrics } from '@retail-pulse/shared/service';
import { ApiKeys, RateLimiter } from './access';
import { createGatewayApp } from './app';
import { Dashboard, dashboardBuildDir } from './dashboard';
import { UpstreamService } from './forward';
import { upstreamProbe } from './upstreams';

const configSchema = z
  .object({
    ...internalTokenShape,
    /** The address clients reach the gateway on: every interface by default; the one port that faces clients. */
    GATEWAY_BIND: env.string('0.0.0.0'),
    PORT: env.int(8080, 0, 65_535),
    /** Where the gateway reaches the ingest and the status API (not where they listen: see *_BIND there). */
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
    /** Longest a client may take over its request's headers, and over the whole request. */
    HEADERS_TIMEOUT_MS: env.int(10_000, 100),
    REQUEST_TIMEOUT_MS: env.int(60_000, 100),
    /** Longest wait for a service behind to begin its answer, and longest pause within it. */
    UPSTREAM_TIMEOUT_MS: env.int(30_000, 100),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  })
  // Keys at the gateway guard nothing if the ports behind it answer anyone: they need the token too.
  .refine((config) => new ApiKeys(config.API_KEYS).enabled === false || config.INTERNAL_TOKEN !== undefined, {
    path: ['INTERNAL_TOKEN'],
    message: 'is required when API_KEYS is set (the ingest and the status API must be given the same one)',
  })
  .refine((config) => config.HEADERS_TIMEOUT_MS <= config.REQUEST_TIMEOUT_MS, {
    path: ['HEADERS_TIMEOUT_MS'],
    message: 'must not exceed REQUEST_TIMEOUT_MS',
  });

runService('gateway', async () => {
  const config = loadConfig(configSchema);
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const timeouts = { headersTimeoutMs: config.UPSTREAM_TIMEOUT_MS, bodyTimeoutMs: config.UPSTREAM_TIMEOUT_MS };
  const upstreams = {
    ingest: new UpstreamService(
      { host: config.INGEST_HOST, port: config.INGEST_PORT },
      config.INTERNAL_TOKEN,
      timeouts,
    ),
    statusApi: new UpstreamService(
      { host: config.STATUS_API_HOST, port: config.STATUS_API_PORT },
      config.INTERNAL_TOKEN,
      timeouts,
    ),
  };
  const apiKeys = new ApiKeys(config.API_KEYS);
  const health = {
    metrics: new ServiceMetrics(),
    readiness: new Readiness(
      {
        ingest: { probe: upstreamProbe({ host: config.INGEST_HOST, port: config.INGEST_PORT }) },
        'status-api': { probe: upstreamProbe({ host: config.STATUS_API_HOST, port: config.STATUS_API_PORT }) },
      },
      logger,
    ),
  };
  const dashboard = new Dashboard(dashboardBuildDir());
  if (!dashboard.built) {
    logger.warn({ dir: dashboard.buildDir }, 'the dashboard is not built (npm run build -w dashboard): / answers 503');
  }
  const app = createGatewayApp({
    upstreams,
    apiKeys,
    dashboard,
    rateLimiter: new RateLimiter(config.RATE_LIMIT_PER_SECOND, config.RATE_LIMIT_BURST),
    maxBodyBytes: config.MAX_BODY_BYTES,
    health,
    logger,
  });
  const server = await listen(app, config.PORT, config.GATEWAY_BIND, {
    headersTimeoutMs: config.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
  });
  logger.info({ address: config.GATEWAY_BIND, port: config.PORT, apiKeys: apiKeys.enabled }, 'gateway listening');
  return {
    logger,
    stopSteps: [() => closeServer(server), () => upstreams.ingest.close(), () => upstreams.statusApi.close()],
  };
});
