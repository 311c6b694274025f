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

export interface Route {
  /** The route's pattern, as the metrics name it (never the raw path). */
  pattern: string;
  upstream: keyof Upstreams;
  methods: readonly string[];
}

/** The public API, once: which service answers each path, and to which methods. */
const routeTable: ReadonlyArray<{ path: RegExp; route: Route }> = [
  { path: /^\/api\/submit\/?$/, route: { pattern: '/api/submit', upstream: 'ingest', methods: ['POST'] } },
  { path: /^\/api\/status\/?$/, route: { pattern: '/api/status', upstream: 'statusApi', methods: ['GET', 'HEAD'] } },
  { path: /^\/api\/visits\/?$/, route: { pattern: '/api/visits', upstream: 'statusApi', methods: ['GET', 'HEAD'] } },
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
