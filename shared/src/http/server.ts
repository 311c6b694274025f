import type { Server } from 'node:http';
import type Koa from 'koa';
import type { Context, Next } from 'koa';

/** Conservative security headers for a JSON API. */
export async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  await next();
  ctx.set({
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    'Cache-Control': 'no-store',
  });
}

/** Starts an HTTP server for a Koa app and resolves once it listens. */
export function listen(app: Koa, port: number, host = '0.0.0.0'): Promise<Server> {
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
