import type { Context, Next } from 'koa';
import type { Logger } from '../config/logger';
import { discardRequestBody } from './discardBody';

/** A failure the client should see: its status and JSON body. Handlers throw these. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.error === 'string' ? body.error : `HTTP ${status}`);
  }
}

export const badRequest = (message: string) => new HttpError(400, { error: message });
export const serviceUnavailable = (message: string, retryAfterSeconds = 1) =>
  new HttpError(503, { error: message }, { 'Retry-After': String(retryAfterSeconds) });

/** What the body parser's (raw-body's) error types mean to a client. */
const bodyErrorMessages: Record<string, string> = {
  'entity.too.large': 'request body is too large',
  'request.size.invalid': 'request body is shorter or longer than its Content-Length',
  'encoding.unsupported': 'unsupported Content-Encoding',
  'charset.unsupported': 'unsupported charset',
  'request.aborted': 'request body was cut short',
};

/**
 * zlib's own errors while the body parser inflates a gzip or deflate body (Z_DATA_ERROR,
 * Z_BUF_ERROR, …) or decodes a br one (Node names those ERR__ERROR_FORMAT_…): the body is not
 * what its Content-Encoding says — the client's mistake, not a fault of ours.
 */
function isUndecodableBody(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR_'));
}

/**
 * koa-body and Koa throw errors carrying a 4xx status; map them to the right client answer, by
 * what they are (the parser's error type, a JSON SyntaxError), never by their message text.
 */
function clientErrorOf(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (isUndecodableBody(error)) {
    return new HttpError(400, { error: 'request body could not be decoded as its Content-Encoding says' });
  }
  const status =
    (error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return new HttpError(status, { error: clientMessageOf(error, status) });
}

function clientMessageOf(error: unknown, status: number): string {
  if (error instanceof SyntaxError) return 'request body is not valid JSON';
  const { type, limit } = error as { type?: unknown; limit?: unknown };
  if (type === 'entity.too.large' && typeof limit === 'number') {
    return `request body is too large (at most ${limit} bytes)`;
  }
  const known = typeof type === 'string' ? bodyErrorMessages[type] : undefined;
  if (known) return known;
  if (status === 415) return 'request body must be JSON (Content-Type: application/json)';
  // Koa's own client errors (ctx.throw) are written for clients; anything else says only its status.
  return (error as { expose?: unknown }).expose === true ? (error as Error).message : 'bad request';
}

/**
 * The one error middleware: every thrown error becomes a status and a JSON body, never a stack
 * trace, and what is left of the request's body is read and dropped, so the connection stays
 * good for the next request.
 */
export function errorMiddleware(logger: Logger, isOutage: (error: unknown) => boolean = () => false) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (error) {
      if (!discardRequestBody(ctx.req)) ctx.set('Connection', 'close');
      const clientError = clientErrorOf(error);
      if (clientError) {
        // The client's mistake, not the service's: one line to see it by, no stack. (A handler's
        // own 503 has logged its cause where it was thrown.)
        if (clientError.status < 500) {
          logger.warn(
            { status: clientError.status, error: clientError.message, method: ctx.method, path: ctx.path },
            'client error',
          );
        }
        ctx.status = clientError.status;
        ctx.body = clientError.body;
        ctx.set(clientError.headers);
        return;
      }
      if (isOutage(error)) {
        logger.warn({ err: String(error), path: ctx.path }, 'backing service unavailable');
        ctx.status = 503;
        ctx.body = { error: 'service temporarily unavailable; retry shortly' };
        ctx.set('Retry-After', '2');
        return;
      }
      logger.error({ err: error instanceof Error ? error.stack : String(error), path: ctx.path }, 'request failed');
      ctx.status = 500;
      ctx.body = { error: 'internal error' };
    }
  };
}
