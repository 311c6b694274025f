/**
 * The public HTTP API, once: the zod schemas the services validate requests with and shape their
 * answers by, and the route declarations the OpenAPI document is built from. A new route is a
 * declaration beside its schemas, listed in `apiRoutes`.
 */
import { commandRoutes } from './commands';
import { dashboardRoutes } from './dashboard';
import { deadLettersRoutes } from './deadLetters';
import { jobsRoutes } from './jobs';
import { jobsFeedRoutes } from './jobsFeed';
import { openApiDocument } from './openapi';
import { opsRoutes } from './ops';
import { referenceRoutes } from './reference';
import type { ApiRoute } from './route';
import { statusRoutes } from './status';
import { submitRoutes } from './submit';
import { visitsRoutes } from './visits';
import { apiWebhooks } from './webhooks';

export * from './commands';
export * from './dashboard';
export * from './deadLetters';
export * from './jobs';
export * from './jobsFeed';
export * from './openapi';
export * from './ops';
export * from './reference';
export * from './route';
export * from './status';
export * from './submit';
export * from './visits';
export * from './webhooks';

/** Every route the gateway serves, in the order the document lists them. */
export const apiRoutes: readonly ApiRoute[] = [
  ...submitRoutes,
  ...statusRoutes,
  ...visitsRoutes,
  ...jobsRoutes,
  ...commandRoutes,
  ...jobsFeedRoutes,
  ...opsRoutes,
  ...deadLettersRoutes,
  ...referenceRoutes,
  ...dashboardRoutes,
];

/** The document the gateway serves at /openapi.json. */
export function retailPulseOpenApi(): Record<string, unknown> {
  return openApiDocument(
    apiRoutes,
    {
      title: 'Retail Pulse',
      version: '0.1.0',
      description:
        'Store-visit images: submit a job of visits with image URLs, follow its status, query the measured ' +
        'perimeters per store and day. Every route is on one base URL (the gateway). When the gateway has ' +
        "`API_KEYS`, every route but this document, its page and the dashboard's page needs a key (`X-API-Key` or " +
        '`Authorization: Bearer`). A path without a route answers 404, a method a path does not take 405 ' +
        '(`components.responses`). A submit may name a `callback_url`: the job-settled webhook POSTed there is ' +
        'described under `webhooks`.',
    },
    apiWebhooks,
  );
}
