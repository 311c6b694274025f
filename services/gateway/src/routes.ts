import { HttpError } from '@retail-pulse/shared/http';

/** Where one service behind the gateway is reached. */
export interface Upstream {
  host: string;
  port: number;
}

export interface Upstreams {
  ingest: Upstream;
  statusApi: Upstream;
}

/** What the gateway serves itself: the API's OpenAPI document and its reference page (reference.ts). */
export type ReferenceResource = 'document' | 'page' | 'asset';

/** The operator dashboard's page and its built files (dashboard.ts). */
export type DashboardResource = 'page' | 'asset';

/** A path's route: a service behind the gateway, or a resource of the gateway's own, and the methods it takes. */
export type Route = {
  /** The route's pattern, as the metrics name it (never the raw path). */
  pattern: string;
  methods: readonly string[];
} & ({ upstream: keyof Upstreams } | { reference: ReferenceResource } | { dashboard: DashboardResource });

/**
 * The public API, once: which service answers each path, and to which methods. Every path here is
 * in the OpenAPI document (shared/src/contracts/api), which routes.unit.test.ts checks.
 */
const routeTable: ReadonlyArray<{ path: RegExp; route: Route }> = [
  { path: /^\/api\/submit\/?$/, route: { pattern: '/api/submit', upstream: 'ingest', methods: ['POST'] } },
  { path: /^\/api\/status\/?$/, route: { pattern: '/api/status', upstream: 'statusApi', methods: ['GET', 'HEAD'] } },
  { path: /^\/api\/visits\/?$/, route: { pattern: '/api/visits', upstream: 'statusApi', methods: ['GET', 'HEAD'] } },
  { path: /^\/api\/jobs\/?$/, route: { pattern: '/api/jobs', upstream: 'statusApi', methods: ['GET', 'HEAD'] } },
  // Before `/api/jobs/{job_id}`, which it would otherwise be taken for.
  {
    path: /^\/api\/jobs\/events\/?$/,
    route: { pattern: '/api/jobs/events', upstream: 'statusApi', methods: ['GET'] },
  },
  {
    path: /^\/api\/jobs\/[^/]+\/?$/,
    route: { pattern: '/api/jobs/{job_id}', upstream: 'statusApi', methods: ['GET', 'HEAD'] },
  },
  {
    path: /^\/api\/jobs\/[^/]+\/events\/?$/,
    route: { pattern: '/api/jobs/{job_id}/events', upstream: 'statusApi', methods: ['GET'] },
  },
  {
    path: /^\/api\/jobs\/[^/]+\/images\/?$/,
    route: { pattern: '/api/jobs/{job_id}/images', upstream: 'statusApi', methods: ['GET', 'HEAD'] },
  },
  {
    path: /^\/api\/jobs\/[^/]+\/cancel\/?$/,
    route: { pattern: '/api/jobs/{job_id}/cancel', upstream: 'ingest', methods: ['POST'] },
  },
  {
    path: /^\/api\/jobs\/[^/]+\/retry\/?$/,
    route: { pattern: '/api/jobs/{job_id}/retry', upstream: 'ingest', methods: ['POST'] },
  },
  {
    path: /^\/api\/ops\/pipeline\/?$/,
    route: { pattern: '/api/ops/pipeline', upstream: 'statusApi', methods: ['GET', 'HEAD'] },
  },
  {
    path: /^\/api\/ops\/store-master\/?$/,
    route: { pattern: '/api/ops/store-master', upstream: 'statusApi', methods: ['GET', 'HEAD'] },
  },
  {
    path: /^\/api\/ops\/read-models\/?$/,
    route: { pattern: '/api/ops/read-models', upstream: 'statusApi', methods: ['GET', 'HEAD'] },
  },
  {
    path: /^\/api\/ops\/dead-letters\/?$/,
    route: { pattern: '/api/ops/dead-letters', upstream: 'ingest', methods: ['GET', 'HEAD'] },
  },
  {
    path: /^\/api\/ops\/dead-letters\/redrive\/?$/,
    route: { pattern: '/api/ops/dead-letters/redrive', upstream: 'ingest', methods: ['POST'] },
  },
  { path: /^\/$/, route: { pattern: '/', dashboard: 'page', methods: ['GET', 'HEAD'] } },
  { path: /^\/assets\/[^/]+$/, route: { pattern: '/assets/{file}', dashboard: 'asset', methods: ['GET', 'HEAD'] } },
  { path: /^\/openapi\.json$/, route: { pattern: '/openapi.json', reference: 'document', methods: ['GET', 'HEAD'] } },
  { path: /^\/docs\/?$/, route: { pattern: '/docs', reference: 'page', methods: ['GET', 'HEAD'] } },
  { path: /^\/docs\/[^/]+$/, route: { pattern: '/docs/{file}', reference: 'asset', methods: ['GET', 'HEAD'] } },
];

/** The route for a request path (without its query), if the API has one. */
export function routeFor(pathname: string): Route | undefined {
  return routeTable.find(({ path }) => path.test(pathname))?.route;
}

/** The route a request takes, or the 404 / 405 that says why it has none. */
export function routeOf(method: string, pathname: string): Route {
  const route = routeFor(pathname);
  if (!route) throw new HttpError(404, { error: `no route for ${method} ${pathname}` });
  if (!route.methods.includes(method)) {
    const allowed = route.methods.join(', ');
    throw new HttpError(
      405,
      { error: `${method} is not allowed on ${pathname} (allowed: ${allowed})` },
      { Allow: allowed },
    );
  }
  return route;
}
