import {
  Agent,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { INTERNAL_TOKEN_HEADER, SECURITY_HEADERS } from '@retail-pulse/shared/http';
import { presentedKey, type ApiKeys, type RateLimiter } from './access';

export interface Upstream {
  host: string;
  port: number;
}

export interface Routes {
  ingest: Upstream;
  statusApi: Upstream;
}

export interface Access {
  apiKeys: ApiKeys;
  rateLimiter: RateLimiter;
  /** Largest request body forwarded; larger ones are answered 413 here, not streamed on. */
  maxBodyBytes: number;
  /** Handed on with every forwarded request, so the services behind answer only the gateway. */
  internalToken?: string;
}

const TOO_LARGE = { error: 'request body is too large' };

/** Which service answers a path: submit goes to the ingest, status and visits to the status API. */
export function upstreamFor(path: string, routes: Routes): Upstream | undefined {
  const pathname = path.split('?')[0] ?? '';
  if (pathname === '/api/submit' || pathname === '/api/submit/') return routes.ingest;
  if (/^\/api\/(status|visits)\/?$/.test(pathname)) return routes.statusApi;
  return undefined;
}

/** The client's headers, with its address added and the internal token (when there is one) set by the gateway alone. */
function forwardedHeaders(incoming: IncomingMessage, internalToken: string | undefined): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ...incoming.headers, 'x-forwarded-for': incoming.socket.remoteAddress ?? '' };
  delete headers[INTERNAL_TOKEN_HEADER];
  if (internalToken !== undefined) headers[INTERNAL_TOKEN_HEADER] = internalToken;
  return headers;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...SECURITY_HEADERS, ...headers });
  response.end(JSON.stringify(body));
}

/**
 * The one base URL clients use: a small streaming reverse proxy over keep-alive connections.
 * It checks API keys (when configured) and each client's request rate before forwarding; a
 * service that is down or restarting is answered with 503 and Retry-After.
 */
export function createProxyHandler(routes: Routes, access: Access) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  return (incoming: IncomingMessage, response: ServerResponse): void => {
    const url = incoming.url ?? '/';
    if (url === '/health') return sendJson(response, 200, { status: 'ok' });
    const upstream = upstreamFor(url, routes);
    if (!upstream) return sendJson(response, 404, { error: `no route for ${incoming.method} ${url.split('?')[0]}` });
    const key = presentedKey(incoming);
    if (!access.apiKeys.allows(key)) {
      incoming.resume();
      return sendJson(
        response,
        401,
        { error: 'a valid API key is required (X-API-Key header or Authorization: Bearer)' },
        { 'WWW-Authenticate': 'Bearer' },
      );
    }
    const client = access.apiKeys.enabled ? `key:${key}` : `ip:${incoming.socket.remoteAddress ?? ''}`;
    const waitSeconds = access.rateLimiter.take(client);
    if (waitSeconds !== undefined) {
      incoming.resume();
      return sendJson(response, 429, { error: 'too many requests; slow down' }, { 'Retry-After': String(waitSeconds) });
    }
    const declared = Number(incoming.headers['content-length']);
    if (Number.isFinite(declared) && declared > access.maxBodyBytes) return refuseBody(incoming, response);
    const forwarded = httpRequest(
      {
        host: upstream.host,
        port: upstream.port,
        method: incoming.method,
        path: url,
        agent,
        headers: forwardedHeaders(incoming, access.internalToken),
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forwarded.on('error', () => {
      if (response.writableEnded) return;
      if (!response.headersSent)
        sendJson(response, 503, { error: 'service temporarily unavailable; retry shortly' }, { 'Retry-After': '1' });
      else response.destroy();
    });
    let received = 0;
    incoming.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > access.maxBodyBytes && !forwarded.destroyed) {
        incoming.unpipe(forwarded);
        forwarded.destroy();
        refuseBody(incoming, response);
      }
    });
    incoming.pipe(forwarded);
  };
}

/** Past this, a refused body is not even read to its end: the connection is cut. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Answers 413 once the client has finished sending (clients that are still writing when the
 * answer comes often report a reset instead of the answer); absurdly large bodies are cut off.
 */
function refuseBody(incoming: IncomingMessage, response: ServerResponse): void {
  let drained = 0;
  incoming.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) {
      if (!response.headersSent) sendJson(response, 413, TOO_LARGE, { Connection: 'close' });
      incoming.destroy();
    }
  });
  incoming.once('end', () => {
    if (!response.headersSent) sendJson(response, 413, TOO_LARGE);
  });
  incoming.resume();
}
