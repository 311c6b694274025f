import { routeFor } from './routes';

describe('routeFor', () => {
  it.each([
    ['/api/submit', 'ingest', 'POST'],
    ['/api/submit/', 'ingest', 'POST'],
    ['/api/status', 'statusApi', 'GET'],
    ['/api/visits', 'statusApi', 'GET'],
    ['/api/visits/', 'statusApi', 'GET'],
  ])('%s → %s (%s)', (path, upstream, method) => {
    expect(routeFor(path)?.upstream).toBe(upstream);
    expect(routeFor(path)?.methods).toContain(method);
  });

  it.each(['/', '/api', '/api/submitx', '/api/status/1', '/admin', '/health'])('%s has no route', (path) =>
    expect(routeFor(path)).toBeUndefined(),
  );
});
