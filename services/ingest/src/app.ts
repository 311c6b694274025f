import Koa from 'koa';
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import { errorMiddleware, HttpError, securityHeaders, type Logger } from '@retail-pulse/shared';
import { submitJobRoute, type SubmitDependencies } from './submitJob/route';

export interface IngestAppOptions extends SubmitDependencies {
  maxBodyBytes: number;
  health: () => Record<string, unknown>;
  logger: Logger;
}

export function createIngestApp(options: IngestAppOptions): Koa {
  const app = new Koa();
  app.proxy = true;
  const router = new Router();
  const requireJson = async (ctx: Koa.Context, next: Koa.Next) => {
    if (!ctx.is('application/json'))
      throw new HttpError(415, { error: 'request body must be JSON (Content-Type: application/json)' });
    await next();
  };
  const parseJson = koaBody({
    json: true,
    jsonStrict: false,
    jsonLimit: options.maxBodyBytes,
    multipart: false,
    urlencoded: false,
    text: false,
  });
  router.post(['/api/submit', '/api/submit/'], requireJson, parseJson, submitJobRoute(options));
  router.get('/health', (ctx) => {
    const health = options.health();
    ctx.status = health.status === 'ok' ? 200 : 503;
    ctx.body = health;
  });
  // Outermost, so error answers carry the headers too.
  app.use(securityHeaders);
  app.use(errorMiddleware(options.logger));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  app.use((ctx) => {
    if (ctx.status === 404 && !ctx.body) {
      ctx.status = 404;
      ctx.body = { error: `no route for ${ctx.method} ${ctx.path}` };
    }
  });
  return app;
}
