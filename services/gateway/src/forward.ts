import { trace } from '@opentelemetry/api';
import type { Context } from 'koa';
import { errors, Pool } from 'undici';
import { HttpError, INTERNAL_TOKEN_HEADER, serviceUnavailable } from '@retail-pulse/shared/http';
import type { Upstream } from './routes';

/** The request headers the services behind use; nothing else of the client's is handed on. */
const FORWARDED_HEADERS = ['content-type', 'accept', 'user-agent', 'last-event-id', 'idempotency-key'];
/** The client's trace context: handed on as it came when the gateway does not trace. */
const TRACE_HEADERS = ['traceparent', 'tracestate'];

/** Answers up to this long (by their Content-Length) are read whole, then sent; longer ones and streams are piped. */
const BUFFERED_ANSWER_BYTES = 256 * 1024;

/** Headers of one hop (RFC 9110 §7.6.1), never passed from the service's answer to the client. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te']);

export interface UpstreamTimeouts {
  /** Longest wait for a service's answer to begin. */
  headersTimeoutMs: number;
  /** Longest pause while its answer arrives. */
  bodyTimeoutMs: number;
}

function originOf({ host, port }: Upstream): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * One service behind the gateway, over a pool of kept-alive connections (undici). Every request
 * it is handed has a whole, decoded body of known length, so a connection never carries half of
 * a client's body into the next request.
 */
export class UpstreamService {
  private readonly pool: Pool;

  constructor(
    upstream: Upstream,
    private readonly internalToken: string | undefined,
    timeouts: UpstreamTimeouts,
  ) {
    this.pool = new Pool(originOf(upstream), {
      connections: 256,
      headersTimeout: timeouts.headersTimeoutMs,
      bodyTimeout: timeouts.bodyTimeoutMs,
    });
  }

  /** Sends the request on with `body` and makes the service's answer the gateway's, streamed. */
  async forward(ctx: Context, body: Buffer | undefined): Promise<void> {
    const headers: Record<string, string> = { 'x-forwarded-for': ctx.req.socket.remoteAddress ?? '' };
    // When the gateway traces, its request span continues the client's trace and undici's
    // instrumentation sends that span's context on; the client's own headers would be a second copy.
    const traced = trace.getActiveSpan() !== undefined;
    for (const name of traced ? FORWARDED_HEADERS : [...FORWARDED_HEADERS, ...TRACE_HEADERS]) {
      const value = ctx.get(name);
      if (value !== '') headers[name] = value;
    }
    if (this.internalToken !== undefined) headers[INTERNAL_TOKEN_HEADER] = this.internalToken;
    let answer: Awaited<ReturnType<Pool['request']>>;
    try {
      answer = await this.pool.request({ path: `${ctx.path}${ctx.search}`, method: ctx.method, headers, body });
    } catch (error) {
      if (error instanceof errors.InvalidArgumentError) {
        throw new HttpError(400, { error: 'request cannot be forwarded: malformed path or header' });
      }
      if (error instanceof errors.HeadersTimeoutError) {
        throw new HttpError(
          504,
          { error: 'the service did not answer in time; retry shortly' },
          { 'Retry-After': '1' },
        );
      }
      throw serviceUnavailable('service temporarily unavailable; retry shortly', 1);
    }
    ctx.status = answer.statusCode;
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) ctx.set(name, value);
    }
    const length = Number(answer.headers['content-length']);
    if (ctx.method !== 'HEAD' && length <= BUFFERED_ANSWER_BYTES) {
      // A short answer of known length is taken whole and sent as one buffer: piping it cost the
      // gateway more than the status API spent making it (a stream pipeline per request, and the
      // abort signal with its DOMException each pipeline builds as it ends).
      try {
        ctx.body = Buffer.from(await answer.body.arrayBuffer());
      } catch {
        throw serviceUnavailable('the service broke off its answer; retry shortly', 1);
      }
      return;
    }
    // Koa pipes the answer to the client, and a failure there ends the response. An answer it
    // does not pipe (to HEAD; to a client that left) is destroyed once the response is done,
    // which undici reports as an abort: an error of our own making, with nothing left to do.
    answer.body.on('error', () => undefined);
    ctx.body = answer.body;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
