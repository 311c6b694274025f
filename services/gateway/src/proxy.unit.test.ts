import { upstreamFor } from './proxy';

const routes = { ingest: { host: 'i', port: 1 }, statusApi: { host: 's', port: 2 } };

describe('upstreamFor', () => {
  it.each([
    ['/api/submit', 'i'],
    ['/api/submit/', 'i'],
    ['/api/status?jobid=1', 's'],
    ['/api/visits?area=1', 's'],
    ['/api/visits/', 's'],
  ])('%s → %s', (path, host) => expect(upstreamFor(path, routes)?.host).toBe(host));

  it.each(['/', '/api', '/api/submitx', '/api/status/1', '/admin'])('%s has no route', (path) =>
    expect(upstreamFor(path, routes)).toBeUndefined(),
  );
});
