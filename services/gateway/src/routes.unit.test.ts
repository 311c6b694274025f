import { apiRoutes } from '@retail-pulse/shared/contracts/api';
import { HttpError } from '@retail-pulse/shared/http';
import { routeFor, routeOf } from './routes';

describe('routeFor', () => {
  it.each([
    ['/api/submit', 'ingest', 'POST'],
    ['/api/submit/', 'ingest', 'POST'],
    ['/api/status', 'statusApi', 'GET'],
    ['/api/visits', 'statusApi', 'GET'],
    ['/api/visits/', 'statusApi', 'GET'],
    ['/api/jobs', 'statusApi', 'GET'],
    ['/api/jobs/', 'statusApi', 'GET'],
    ['/api/jobs/12', 'statusApi', 'GET'],
    ['/api/jobs/12/images', 'statusApi', 'GET'],
    ['/api/jobs/12/events', 'statusApi', 'GET'],
    ['/api/jobs/x/', 'statusApi', 'GET'],
    ['/api/jobs/12/cancel', 'ingest', 'POST'],
    ['/api/jobs/12/cancel/', 'ingest', 'POST'],
    ['/api/jobs/12/retry', 'ingest', 'POST'],
    ['/api/jobs/12/retry/', 'ingest', 'POST'],
    ['/api/jobs/events', 'statusApi', 'GET'],
    ['/api/ops/pipeline', 'statusApi', 'GET'],
    ['/api/ops/store-master', 'statusApi', 'GET'],
    ['/api/ops/read-models/', 'statusApi', 'GET'],
    ['/api/ops/dead-letters', 'ingest', 'GET'],
    ['/api/ops/dead-letters/redrive', 'ingest', 'POST'],
  ])('%s → %s (%s)', (path, upstream, method) => {
    const route = routeFor(path);
    expect(route && 'upstream' in route ? route.upstream : undefined).toBe(upstream);
    expect(route?.methods).toContain(method);
  });

  it.each([
    ['/openapi.json', 'document'],
    ['/docs', 'page'],
    ['/docs/', 'page'],
    ['/docs/swagger-ui.css', 'asset'],
  ])('%s is the reference %s, served by the gateway', (path, resource) => {
    const route = routeFor(path);
    expect(route && 'reference' in route ? route.reference : undefined).toBe(resource);
    expect(route?.methods).toEqual(['GET', 'HEAD']);
  });

  it.each([
    ['/', 'page'],
    ['/assets/index-Baocs3zN.js', 'asset'],
  ])('%s is the dashboard %s, served by the gateway', (path, resource) => {
    const route = routeFor(path);
    expect(route && 'dashboard' in route ? route.dashboard : undefined).toBe(resource);
    expect(route?.methods).toEqual(['GET', 'HEAD']);
  });

  it('takes /api/jobs/events for the live list, never for a job id', () => {
    expect(routeFor('/api/jobs/events')?.pattern).toBe('/api/jobs/events');
    expect(routeFor('/api/jobs/events/')?.pattern).toBe('/api/jobs/events');
    expect(routeFor('/api/jobs/eventsx')?.pattern).toBe('/api/jobs/{job_id}');
  });

  it.each([
    '/index.html',
    '/assets',
    '/assets/a/b',
    '/api/ops',
    '/api/ops/dead-letters/x',
    '/api',
    '/api/submitx',
    '/api/status/1',
    '/admin',
    '/health',
    '/openapi.yaml',
    '/docs/a/b',
    '/api/jobs/1/2',
    '/api/jobs//images',
    '/api/jobs/1/images/x',
    '/api/jobs/1/cancel/x',
    '/api/jobs/1/retry/1',
  ])('%s has no route', (path) => expect(routeFor(path)).toBeUndefined());
});

describe('the route table and the OpenAPI document', () => {
  /** A request path an operation's template stands for: `/docs/{file}` → `/docs/file`. */
  const concrete = (template: string) => template.replace(/\{([^}]+)\}/g, '$1');

  it.each(apiRoutes.map((route) => [route.method.toUpperCase(), route.path] as const))(
    'documented %s %s is routed',
    (method, path) => {
      expect(() => routeOf(method, concrete(path))).not.toThrow();
    },
  );

  it('documents every path the gateway routes, and no method it refuses', () => {
    const routed = [
      '/api/submit/',
      '/api/status',
      '/api/visits',
      '/api/jobs',
      '/api/jobs/job_id',
      '/api/jobs/job_id/events',
      '/api/jobs/job_id/images',
      '/api/jobs/job_id/cancel',
      '/api/jobs/job_id/retry',
      '/api/jobs/events',
      '/api/ops/pipeline',
      '/api/ops/store-master',
      '/api/ops/read-models',
      '/api/ops/dead-letters',
      '/api/ops/dead-letters/redrive',
      '/',
      '/assets/file',
      '/openapi.json',
      '/docs',
      '/docs/file',
    ];
    for (const path of routed) {
      const documented = apiRoutes.filter((route) => concrete(route.path) === path);
      expect(documented.map((route) => route.method.toUpperCase()).sort()).toEqual(
        routeFor(path)!.methods.filter((method) => method !== 'HEAD'),
      );
    }
  });

  it('answers 405 with Allow for a method a documented path does not take', () => {
    const refusal = (() => {
      try {
        routeOf('POST', '/openapi.json');
      } catch (error) {
        return error as HttpError;
      }
    })();
    expect(refusal).toBeInstanceOf(HttpError);
    expect(refusal?.status).toBe(405);
    expect(refusal?.headers).toEqual({ Allow: 'GET, HEAD' });
  });
});
