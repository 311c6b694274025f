import Koa from 'koa';
import Router from '@koa/router';
import { errorMiddleware, securityHeaders, type Logger } from '@retail-pulse/shared';
import { parseJobId, unknownJob, type JobStatusQuery } from './jobStatus/query';
import { parseVisitsParams } from './visits/params';
import type { VisitsQuery } from './visits/query';

export interface StatusAppOptions {
  jobStatus: JobStatusQuery;
  visits: VisitsQuery;
  health: () => Record<string, unknown>;
  logger: Logger;
}

/** A query parameter given once; repeated ones are passed on as they are, to be refused. */
function optionalString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

export function createStatusApp(options: StatusAppOptions): Koa {
  const app = new Koa();
  app.proxy = true;
  const router = new Router();
  router.get(['/api/status', '/api/status/'], async (ctx) => {
    const jobId = parseJobId(ctx.query.jobid);
    if (jobId === undefined) throw unknownJob();
    ctx.body = await options.jobStatus.statusOf(jobId, optionalString(ctx.query.generation));
  });
  router.get(['/api/visits', '/api/visits/'], async (ctx) => {
    ctx.body = await options.visits.find(parseVisitsParams(ctx.query), optionalString(ctx.query.generation));
  });
  router.get('/health', (ctx) => {
    ctx.body = options.health();
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
