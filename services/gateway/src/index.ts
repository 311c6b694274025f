import { createServer } from 'node:http';
import { z } from 'zod';
import { createLogger, env, loadConfig } from '@retail-pulse/shared';
import { createProxyHandler } from './proxy';

const configSchema = z.object({
  PORT: env.int(8080, 0, 65_535),
  INGEST_HOST: env.string('127.0.0.1'),
  INGEST_PORT: env.int(8081, 1, 65_535),
  STATUS_API_HOST: env.string('127.0.0.1'),
  STATUS_API_PORT: env.int(8082, 1, 65_535),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

function main(): void {
  const config = loadConfig(configSchema);
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const server = createServer(
    createProxyHandler({
      ingest: { host: config.INGEST_HOST, port: config.INGEST_PORT },
      statusApi: { host: config.STATUS_API_HOST, port: config.STATUS_API_PORT },
    }),
  );
  server.keepAliveTimeout = 65_000;
  server.listen(config.PORT, '0.0.0.0', () => logger.info({ port: config.PORT }, 'gateway listening'));
  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main();
