import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';

export interface Upstream {
  host: string;
  port: number;
}

export interface Routes {
  ingest: Upstream;
  statusApi: Upstream;
}

/** Which service answers a path: submit goes to the ingest, status and visits to the status API. */
export function upstreamFor(path: string, routes: Routes): Upstream | undefined {
  const pathname = path.split('?')[0] ?? '';
  if (pathname === '/api/submit' || pathname === '/api/submit/') return routes.ingest;
  if (/^\/api\/(status|visits)\/?$/.test(pathname)) return routes.statusApi;
  return undefined;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

/**
 * The one base URL clients use: a small streaming reverse proxy over keep-alive connections.
 * A service that is down or restarting is answered with 503 and Retry-After.
 */
export function createProxyHandler(routes: Routes) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  return (incoming: IncomingMessage, response: ServerResponse): void => {
    const url = incoming.url ?? '/';
    if (url === '/health') return sendJson(response, 200, { status: 'ok' });
    const upstream = upstreamFor(url, routes);
    if (!upstream) return sendJson(response, 404, { error: `no route for ${incoming.method} ${url.split('?')[0]}` });
    const forwarded = httpRequest(
      {
        host: upstream.host,
        port: upstream.port,
        method: incoming.method,
        path: url,
        agent,
        headers: { ...incoming.headers, 'x-forwarded-for': incoming.socket.remoteAddress ?? '' },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => {
      if (!response.headersSent)
        sendJson(response, 503, { error: 'service temporarily unavailable; retry shortly' }, { 'Retry-After': '1' });
      else response.destroy();
    });
    incoming.pipe(forwarded);
  };
}
