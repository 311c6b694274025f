import type Koa from 'koa';
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import type { Logger } from '@retail-pulse/shared/config';
import { bodyReadError, contentCodingOf, createJsonApi, HttpError } from '@retail-pulse/shared/http';
import { isOutage } from '@retail-pulse/shared/messaging';
import type { Health } from '@retail-pulse/shared/service';
import { deadLetterHandlers, type DeadLetterDependencies } from './deadLetters/route';
import { cancelJobRoute, type CancelDependencies } from './cancelJob/route';
import type { Db } from 'mongodb';
import type { JobStates } from './jobState';
import { retryJobRoute } from './retryJob/route';
import { submitJobRoute, type SubmitDependencies } from './submitJob/route';

export interface IngestAppOptions extends SubmitDependencies, CancelDependencies {
  /** Where a job stands, for the commands on it (cancel, retry). */
  jobStates: JobStates;
  /** The read models a retry reads its job's failed images from. */
  db: Db;
  maxBodyBytes: number;
  deadLetters: DeadLetterDependencies;
  health: Health;
  /** When set, only requests forwarded by the gateway (carrying it) are answered. */
  internalToken?: string;
  logger: Logger;
}

export function createIngestApp(options: IngestAppOptions): Koa {
  const router = new Router();
  const requireJson = async (ctx: Koa.Context, next: Koa.Next) => {
    if (!ctx.is('application/json'))
      throw new HttpError(415, { error: 'request body must be JSON (Content-Type: application/json)' });
    // The body parser reads the header itself: hand it the coding in its one spelling, or refuse it here.
    ctx.req.headers['content-encoding'] = contentCodingOf(ctx.get('content-encoding'));
    await next();
  };
  const parseJson = koaBody({
    json: true,
    jsonStrict: false,
    jsonLimit: options.maxBodyBytes,
    multipart: false,
    urlencoded: false,
    text: false,
    onError: (error, ctx) => {
      throw bodyReadError(error, contentCodingOf(ctx.get('content-encoding')));
    },
  });
  router.post(['/api/submit', '/api/submit/'], requireJson, parseJson, submitJobRoute(options));
  // Commands on a job take no body: whatever one holds is left unread (Node drops it).
  router.post(['/api/jobs/:jobId/cancel', '/api/jobs/:jobId/cancel/'], cancelJobRoute(options));
  router.post(['/api/jobs/:jobId/retry', '/api/jobs/:jobId/retry/'], retryJobRoute(options));
  const deadLetters = deadLetterHandlers(options.deadLetters);
  router.get(['/api/ops/dead-letters', '/api/ops/dead-letters/'], deadLetters.list);
  router.post(
    ['/api/ops/dead-letters/redrive', '/api/ops/dead-letters/redrive/'],
    requireJson,
    parseJson,
    deadLetters.redrive,
  );
  return createJsonApi({
    ...options,
    mount: (app) => app.use(router.routes()).use(router.allowedMethods({ throw: false })),
    isOutage,
  });
}
