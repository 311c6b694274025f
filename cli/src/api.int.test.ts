import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, ApiError } from './api';

/** A server answering each request with the next of `answers` (status, Retry-After), then 200. */
async function serve(
  answers: Array<{ status: number; retryAfter?: string }>,
): Promise<{ server: Server; url: string; asked: () => number }> {
  let asked = 0;
  const server = createServer((_request, response) => {
    const answer = answers[asked++];
    if (!answer) return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (answer.retryAfter !== undefined) headers['retry-after'] = answer.retryAfter;
    response.writeHead(answer.status, headers).end(JSON.stringify({ error: `answer ${asked}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, asked: () => asked };
}

describe('Api.get', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('asks again after a 503 that names its Retry-After, and returns the answer that follows', async () => {
    const stub = await serve([
      { status: 503, retryAfter: '0' },
      { status: 503, retryAfter: '0' },
    ]);
    server = stub.server;
    await expect(new Api({ url: stub.url }).get('/api/jobs/1')).resolves.toEqual({ ok: true });
    expect(stub.asked()).toBe(3);
  });

  it('hands on a 503 without Retry-After, and any other error, as they came', async () => {
    const stub = await serve([{ status: 503 }, { status: 404, retryAfter: '0' }]);
    server = stub.server;
    const api = new Api({ url: stub.url });
    await expect(api.get('/a')).rejects.toEqual(new ApiError(503, 'answer 1'));
    await expect(api.get('/b')).rejects.toEqual(new ApiError(404, 'answer 2'));
    expect(stub.asked()).toBe(2);
  });

  it('stops asking once the next wait would end past its deadline', async () => {
    const stub = await serve([{ status: 503, retryAfter: '3600' }]);
    server = stub.server;
    await expect(new Api({ url: stub.url }).get('/a')).rejects.toEqual(new ApiError(503, 'answer 1'));
    expect(stub.asked()).toBe(1);
  });
});
