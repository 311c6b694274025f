import type Koa from 'koa';
import type { Logger } from '@retail-pulse/shared/config';
import { createJsonApi } from '@retail-pulse/shared/http';
import type { Health } from '@retail-pulse/shared/service';
import { admit, requireKey, type ApiKeys, type RateLimiter } from './access';
import type { Dashboard } from './dashboard';
import type { UpstreamService } from './forward';
import { ApiReference } from './reference';
import { readRequestBody } from './requestBody';
import { routeFor, routeOf, type Upstreams } from './routes';

export interface GatewayOptions {
  upstreams: Record<keyof Upstreams, UpstreamService>;
  apiKeys: ApiKeys;
  rateLimiter: RateLimiter;
  /** The operator dashboard's built files, served at `/` to anyone (the page asks for a key itself). */
  dashboard: Dashboard;
  /** Largest request body taken, as sent and as decoded; larger ones are answered 413 here. */
  maxBodyBytes: number;
  /**
   * Health answered before keys and rate limits: probes carry no key. Its metrics on `/metrics`
   * need a key when keys are configured (this port faces clients), but no rate-limit token.
   */
  health: Health;
  logger: Logger;
}

/**
 * The one base URL clients use: one Koa app on the shared JSON API wiring (security headers, the
 * one error path). A request is routed (404/405), let in (401/429), its body read and decoded
 * within the limit (413/415/400), and handed whole to the service behind, whose answer it gets.
 * The API's own description (/openapi.json, /docs) and the operator dashboard's page (/, /assets)
 * the gateway serves itself, to anyone.
 */
export function createGatewayApp(options: GatewayOptions): Koa {
  const reference = new ApiReference();
  return createJsonApi({
    logger: options.logger,
    // Clients talk to the gateway directly: a client is its socket's address, whatever it claims.
    trustForwardedFor: false,
    health: options.health,
    admitScrape: (ctx) => void requireKey(ctx.req, options.apiKeys),
    mount: (app) =>
      app.use(async (ctx) => {
        (ctx.state as { route?: string }).route = routeFor(ctx.path)?.pattern;
        const route = routeOf(ctx.method, ctx.path);
        if ('reference' in route) {
          admit(ctx.req, options.apiKeys, options.rateLimiter, { public: true });
          return reference.serve(ctx, route.reference);
        }
        if ('dashboard' in route) {
          // Like /docs: the page holds no data; what it shows it asks of the API, with a key.
          admit(ctx.req, options.apiKeys, options.rateLimiter, { public: true });
          return options.dashboard.serve(ctx, route.dashboard);
        }
        admit(ctx.req, options.apiKeys, options.rateLimiter);
        const body = ctx.method === 'POST' ? await readRequestBody(ctx.req, options.maxBodyBytes) : undefined;
        await options.upstreams[route.upstream].forward(ctx, body);
      }),
  });
}
