import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { SECURITY_HEADERS } from './securityHeaders';

/** Largest request head (request line and headers) a server reads; Node's default. */
export const MAX_HEADER_BYTES = 16 * 1024;

interface Refusal {
  status: number;
  reason: string;
  error: string;
}

/** What a request that never reached the application did wrong, by the HTTP parser's error code. */
function refusalFor(error: NodeJS.ErrnoException & { reason?: unknown }): Refusal {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        error: `request headers are too large (at most ${MAX_HEADER_BYTES / 1024} KiB)`,
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', error: 'the request took too long to arrive' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'Payload Too Large', error: 'chunk extensions are too large' };
    case 'HPE_INVALID_EOF_STATE':
      return { status: 400, reason: 'Bad Request', error: 'the request ended before it was complete' };
    default: {
      // llhttp's reason names the fault ("Invalid header value char", …); it never quotes the input.
      const detail = typeof error.reason === 'string' ? `: ${error.reason}` : '';
      return { status: 400, reason: 'Bad Request', error: `malformed HTTP request${detail}` };
    }
  }
}

function rawAnswer({ status, reason, error }: Refusal): string {
  const body = JSON.stringify({ error });
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    ...SECURITY_HEADERS,
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${status} ${reason}\r\n${lines.join('')}\r\n${body}`;
}

/** A refused connection gets this long to read its answer and close before it is cut. */
const LINGER_MS = 2_000;

/**
 * Requests the HTTP parser refuses (malformed, headers too large, too slow to arrive, cut short)
 * never reach the application, so Node answers them with a bare status line. Here they get a JSON
 * body naming the problem, the same security headers as every other answer, and `Connection:
 * close`. An answer already under way on the connection (pipelined requests before the bad one)
 * is finished first; only when the broken request is the one in flight is it answered at once.
 */
export function answerMalformedRequests(server: Server): void {
  const inFlight = new Map<Socket, Set<ServerResponse>>();
  /** Connections whose request was answered before its body had all arrived (a 413, say). */
  const answeredEarly = new WeakSet<Socket>();
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    const responses = inFlight.get(socket) ?? new Set<ServerResponse>();
    inFlight.set(socket, responses);
    responses.add(response);
    response.once('close', () => {
      responses.delete(response);
      if (responses.size === 0 && inFlight.get(socket) === responses) inFlight.delete(socket);
      if (!request.complete) answeredEarly.add(socket);
    });
    request.once('end', () => answeredEarly.delete(socket));
  });
  // Node has no answer for CONNECT without a listener: it would just drop the connection.
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    socket.end(rawAnswer({ status: 405, reason: 'Method Not Allowed', error: 'CONNECT is not supported' }));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // The client has its answer already (or is gone): the rest of what it sends is not worth one.
    if (error.code === 'ECONNRESET' || !socket.writable || answeredEarly.has(socket)) {
      socket.destroy();
      return;
    }
    let answered = false;
    const answer = () => {
      if (answered) return;
      answered = true;
      if (socket.writable) socket.end(rawAnswer(refusalFor(error)));
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    };
    // The answers owed first: requests read whole, and answers already started. A request still
    // waiting for its body is the broken one; the application will never answer it.
    const owed = [...(inFlight.get(socket) ?? [])].filter((response) => response.req.complete || response.headersSent);
    if (owed.length === 0) return answer();
    let open = owed.length;
    for (const response of owed) response.once('close', () => --open === 0 && answer());
  });
}
