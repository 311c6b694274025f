import type { Server } from 'node:http';
import Koa, { type Context, type Next } from 'koa';
import type { Logger } from '../config/logger';
import { errorMiddleware } from './errors';
import { requireInternalToken } from './internalToken';

/** Conservative security headers for a JSON API: on every answer, errors included. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'Cache-Control': 'no-store',
};

async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  await next();
  ctx.set(SECURITY_HEADERS);
}

export interface JsonApiOptions {
  logger: Logger;
  /** Mounts the routes, e.g. `(app) => app.use(router.routes()).use(router.allowedMethods())`. */
  mount: (app: Koa) => void;
  /** Errors meaning a backing service is away for now: answered 503 with Retry-After. */
  isOutage?: (error: unknown) => boolean;
  /** When set, every request but the health checks must carry it (see internalToken.ts). */
  internalToken?: string;
}

/**
 * A JSON API as every service serves one: security headers on every answer (outermost, so error
 * answers carry them too), the one error middleware, the routes, and a JSON 404 for the rest.
 */
export function createJsonApi(options: JsonApiOptions): Koa {
  const app = new Koa();
  app.proxy = true;
  app.use(securityHeaders);
  app.use(errorMiddleware(options.logger, options.isOutage));
  if (options.internalToken !== undefined) app.use(requireInternalToken(options.internalToken));
  options.mount(app);
  app.use((ctx) => {
    if (ctx.status === 404 && !ctx.body) {
      ctx.status = 404;
      ctx.body = { error: `no route for ${ctx.method} ${ctx.path}` };
    }
  });
  return app;
}

/** Starts an HTTP server for a Koa app on `host` (an address of this machine) and resolves once it listens. */
export function listen(app: Koa, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.keepAliveTimeout = 65_000;
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
