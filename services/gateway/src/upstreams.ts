import type { Probe } from '@retail-pulse/shared/service';
import type { Upstream } from './routes';

/**
 * The gateway is ready while the services it forwards to answer: their liveness, not their
 * readiness, because each of them answers for its own dependencies (the ingest still takes jobs
 * while the database is away, the status API then says 503 itself), and a gateway taken out of
 * the balancer would turn those answers into connection errors.
 */
export function upstreamProbe(upstream: Upstream): Probe {
  const host = upstream.host.includes(':') ? `[${upstream.host}]` : upstream.host;
  return async (signal) => {
    const response = await fetch(`http://${host}:${upstream.port}/health/live`, { signal });
    await response.body?.cancel();
    return response.ok;
  };
}
