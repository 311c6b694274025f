import type Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from '@retail-pulse/shared/config';
import { createJsonApi } from '@retail-pulse/shared/http';
import { isOutage } from '@retail-pulse/shared/messaging';
import type { Health } from '@retail-pulse/shared/service';
import type { JobEvents } from './jobs/events';
import type { JobsFeed } from './jobs/feed';
import type { JobsQuery } from './jobs/query';
import { parseJobId, unknownJob, type JobStatusQuery } from './jobStatus/query';
import { mountOpsRoutes, type OpsStatus } from './ops/routes';
import { parseVisitsParams } from './visits/params';
import type { VisitsQuery } from './visits/query';

export interface StatusAppOptions {
  jobStatus: JobStatusQuery;
  visits: VisitsQuery;
  jobs: JobsQuery;
  jobEvents: JobEvents;
  jobsFeed: JobsFeed;
  ops: OpsStatus;
  health: Health;
  /** When set, only requests forwarded by the gateway (carrying it) are answered. */
  internalToken?: string;
  logger: Logger;
}

/** A query parameter given once; repeated ones are passed on as they are, to be refused. */
function optionalString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

export function createStatusApp(options: StatusAppOptions): Koa {
  const router = new Router();
  router.get(['/api/status', '/api/status/'], async (ctx) => {
    const jobId = parseJobId(ctx.query.jobid);
    if (jobId === undefined) throw unknownJob();
    ctx.body = await options.jobStatus.statusOf(jobId, optionalString(ctx.query.generation));
  });
  router.get(['/api/visits', '/api/visits/'], async (ctx) => {
    ctx.body = await options.visits.find(parseVisitsParams(ctx.query), optionalString(ctx.query.generation));
  });
  router.get(['/api/jobs', '/api/jobs/'], async (ctx) => {
    ctx.body = await options.jobs.list(ctx.query);
  });
  // Before `/api/jobs/:jobId`, which would take `events` for a job id.
  router.get(['/api/jobs/events', '/api/jobs/events/'], (ctx) => options.jobsFeed.serve(ctx));
  router.get(['/api/jobs/:jobId', '/api/jobs/:jobId/'], async (ctx) => {
    ctx.body = await options.jobs.detail(ctx.params.jobId!, ctx.query);
  });
  router.get(['/api/jobs/:jobId/events', '/api/jobs/:jobId/events/'], async (ctx) => {
    await options.jobEvents.serve(ctx, ctx.params.jobId!);
  });
  router.get(['/api/jobs/:jobId/images', '/api/jobs/:jobId/images/'], async (ctx) => {
    ctx.body = await options.jobs.images(ctx.params.jobId!, ctx.query);
  });
  mountOpsRoutes(router, options.ops);
  return createJsonApi({
    ...options,
    mount: (app) => app.use(router.routes()).use(router.allowedMethods({ throw: false })),
    isOutage,
  });
}
