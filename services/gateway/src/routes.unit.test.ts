import { routeFor } from './routes';

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
    ['/api/jobs/x/', 'statusApi', 'GET'],
  ])('%s → %s (%s)', (path, upstream, method) => {
    expect(routeFor(path)?.upstream).toBe(upstream);
    expect(routeFor(path)?.methods).toContain(method);
  });

  it.each([
    '/',
    '/api',
    '/api/submitx',
    '/api/status/1',
    '/admin',
    '/health',
    '/api/jobs/1/2',
    '/api/jobs//images',
    '/api/jobs/1/images/x',
  ])('%s has no route', (path) => expect(routeFor(path)).toBeUndefined());
});
