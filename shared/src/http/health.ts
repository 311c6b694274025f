import type { Context, Next } from 'koa';
import { answerHealth, type Health } from '../service/healthServer';

/** The health endpoints (`/health`, `/health/live`, `/health/ready`) on a JSON API's own port. */
export function healthMiddleware(health: Health) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const answer = ctx.method === 'GET' || ctx.method === 'HEAD' ? await answerHealth(ctx.url, health) : undefined;
    if (!answer) return next();
    ctx.status = answer.status;
    ctx.body = answer.body;
  };
}
