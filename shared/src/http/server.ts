import { createServer, type IncomingMessage, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import Koa, { type Context, type Next } from 'koa';
import type { Logger } from '../config/logger';
import type { Health } from '../service/healthServer';
import { errorMiddleware } from './errors';
import { healthMiddleware } from './health';
import { httpMetricsMiddleware, metricsEndpoint } from './metrics';
import { answerMalformedRequests, MAX_HEADER_BYTES } from './framing';
import { requireInternalToken } from './internalToken';
import { SECURITY_HEADERS } from './securityHeaders';

/**
 * A page meant for a browser (the gateway's /docs) sets the headers it needs instead in
 * `ctx.state.securityHeaders`; every other answer gets the JSON API's.
 */
async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  await next();
  ctx.set({ ...SECURITY_HEADERS, ...(ctx.state as { securityHeaders?: Record<string, string> }).securityHeaders });
}

export interface JsonApiOptions {
  logger: Logger;
  /** Mounts the routes, e.g. `(app) => app.use(router.routes()).use(router.allowedMethods())`. */
  mount: (app: Koa) => void;
  /** Errors meaning a backing service is away for now: answered 503 with Retry-After. */
  isOutage?: (error: unknown) => boolean;
  /** Served on `/health`, `/health/live` and `/health/ready`, and its metrics on `/metrics`. */
  health: Health;
  /**
   * Lets a scrape of `/metrics` in, or throws the answer (the gateway's API keys). Unset: open, as
   * the health endpoints are, on a port that only this machine reaches.
   */
  admitScrape?: (ctx: Context) => void;
  /** When set, every request but the health checks must carry it (see internalToken.ts). */
  internalToken?: string;
  /**
   * Whether X-Forwarded-For names the client (default: yes, behind the gateway). The gateway faces
   * clients itself and must not believe what they say there.
   */
  trustForwardedFor?: boolean;
}

/**
 * A JSON API as every service serves one: every request counted and timed (outermost, so with
 * the status the client got), security headers on every answer (so error answers carry them too),
 * the one error middleware, the health endpoints and `/metrics`, the routes, and a JSON 404 for
 * the rest.
 */
export function createJsonApi(options: JsonApiOptions): Koa {
  const app = new Koa();
  app.proxy = options.trustForwardedFor ?? true;
  const { metrics } = options.health;
  if (metrics) app.use(httpMetricsMiddleware(metrics));
  app.use(securityHeaders);
  app.use(errorMiddleware(options.logger, options.isOutage));
  app.use(healthMiddleware(options.health));
  if (metrics) app.use(metricsEndpoint(metrics, options.admitScrape));
  if (options.internalToken !== undefined) app.use(requireInternalToken(options.internalToken));
  options.mount(app);
  app.use((ctx) => {
    if (ctx.status === 404 && !ctx.body) {
      ctx.status = 404;
      ctx.body = { error: `no route for ${ctx.method} ${ctx.path}` };
    }
  });
  // What goes wrong after an answer began (its body streamed): a client that leaves mid-stream (an
  // event stream closed, a download cancelled) is ordinary; anything else is logged as one line.
  app.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    options.logger.error({ err: error.stack ?? String(error) }, 'answer failed while it was sent');
  });
  return app;
}

export interface ListenOptions {
  /** Longest a client may take to send a request's headers (Node's default: 60 s). */
  headersTimeoutMs?: number;
  /** Longest a client may take to send a whole request, body included (Node's default: 300 s). */
  requestTimeoutMs?: number;
}

/**
 * Starts an HTTP server for a Koa app on `host` (an address of this machine) and resolves once it
 * listens. Requests the HTTP parser refuses are answered in JSON too (framing.ts); timeouts are
 * checked every second, so a slow client is cut off close to its limit.
 */
export function listen(app: Koa, port: number, host: string, options: ListenOptions = {}): Promise<Server> {
  const serverOptions: ServerOptions = { maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: 1_000 };
  if (options.headersTimeoutMs !== undefined) serverOptions.headersTimeout = options.headersTimeoutMs;
  if (options.requestTimeoutMs !== undefined) serverOptions.requestTimeout = options.requestTimeoutMs;
  return new Promise((resolve, reject) => {
    const server = createServer(serverOptions, app.callback());
    server.keepAliveTimeout = 65_000;
    answerMalformedRequests(server);
    trackUnusedConnections(server);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
    server.listen(port, host);
  });
}

/** Starts an API service's server, and says where it listens and whether it answers only the gateway. */
export async function serveApi(
  app: Koa,
  service: { name: string; port: number; bind: string; internalToken: string | undefined; logger: Logger },
): Promise<Server> {
  const server = await listen(app, service.port, service.bind);
  service.logger.info(
    { address: service.bind, port: service.port, gatewayOnly: service.internalToken !== undefined },
    `${service.name} listening`,
  );
  return server;
}

/** Connections of a server that have not sent a request yet (see closeServer). */
const unusedConnections = new WeakMap<Server, Set<Socket>>();

function trackUnusedConnections(server: Server): void {
  const unused = new Set<Socket>();
  unusedConnections.set(server, unused);
  server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  server.on('request', (request: IncomingMessage) => unused.delete(request.socket));
}

/**
 * Stops taking connections and resolves once the open ones are done. Idle kept-alive connections
 * are closed at once, and so are connections that never sent a request: Node counts those as
 * busy, and the gateway's connection pool opens one to a service after a client left an event
 * stream mid-way, which held every stop for the whole stop timeout.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    for (const socket of unusedConnections.get(server) ?? []) socket.destroy();
  });
}
