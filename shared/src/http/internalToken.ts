import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { HttpError } from './errors';

/** The header in which the gateway hands the internal token on with every request it forwards. */
export const INTERNAL_TOKEN_HEADER = 'x-internal-token';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Answers only requests that came through the gateway: every path but the health checks needs
 * the internal token. Compared as digests, in constant time, so neither the token's length nor
 * a matching prefix shows in the timing.
 */
export function requireInternalToken(token: string) {
  const expected = digest(token);
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path !== '/health' && !ctx.path.startsWith('/health/')) {
      const presented = ctx.get(INTERNAL_TOKEN_HEADER);
      if (presented === '' || !timingSafeEqual(digest(presented), expected)) {
        throw new HttpError(403, { error: 'this service answers only requests that come through the gateway' });
      }
    }
    await next();
  };
}
