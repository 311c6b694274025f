import type { Context, Next } from 'koa';
import { HttpError } from './errors';
import { METRICS_PATH, operationalRoute, UNMATCHED_ROUTE, type ServiceMetrics } from '../service/metrics';

/**
 * The route label of a request: what the app named (`ctx.state.route`), else the pattern the
 * router matched, else the operational endpoint's own path, else "unmatched". Never the raw path,
 * so the label's values stay as few as the routes however many paths clients send.
 */
function routeLabel(ctx: Context): string {
  const named = (ctx.state as { route?: unknown }).route;
  if (typeof named === 'string') return named;
  const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof matched === 'string') return matched.length > 1 ? matched.replace(/\/$/, '') : matched;
  return operationalRoute(ctx.path) ?? UNMATCHED_ROUTE;
}

/** Counts and times every request, outermost, so that the status is the one the client got. */
export function httpMetricsMiddleware(metrics: ServiceMetrics) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      metrics.observeRequest({
        method: ctx.method,
        route: routeLabel(ctx),
        status: ctx.status,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    }
  };
}

/**
 * `GET /metrics`: the service's metrics in Prometheus's text format. `admit` runs first where the
 * scrape must be let in like any other request (the gateway, with API keys on).
 */
export function metricsEndpoint(metrics: ServiceMetrics, admit?: (ctx: Context) => void) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path !== METRICS_PATH) return next();
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      throw new HttpError(
        405,
        { error: `${ctx.method} is not allowed on ${METRICS_PATH} (allowed: GET, HEAD)` },
        { Allow: 'GET, HEAD' },
      );
    }
    admit?.(ctx);
    const { contentType, body } = await metrics.exposition();
    ctx.type = contentType;
    ctx.body = body;
  };
}
