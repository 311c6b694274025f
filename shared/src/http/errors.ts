import type { Context, Next } from 'koa';
import type { Logger } from '../logger';
import { isOutage } from '../outage';

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

/** koa-body and Koa throw errors carrying a status; map them to the right client answer. */
function clientErrorOf(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  const status =
    (error as { status?: unknown; statusCode?: unknown })?.status ?? (error as { statusCode?: unknown })?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const type = (error as { type?: unknown }).type;
  const messages: Record<number, string> = {
    413: 'request body is too large',
    415: 'request body must be JSON (Content-Type: application/json)',
  };
  const message =
    type === 'entity.parse.failed' || (error as Error).message?.includes('JSON')
      ? 'request body is not valid JSON'
      : (messages[status] ?? (error as Error).message ?? 'bad request');
  return new HttpError(status, { error: message });
}

/** The one error middleware: every thrown error becomes a status and a JSON body, never a stack trace. */
export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    try {
      await next();
    } catch (error) {
      const clientError = clientErrorOf(error);
      if (clientError) {
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
