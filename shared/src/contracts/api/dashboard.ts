import { z } from 'zod';
import { errorBody, errorExample, type ApiRoute } from './route';

/**
 * The operator dashboard, served by the gateway itself from the dashboard workspace's build: the
 * page and its content-hashed files. Public like the reference page: they hold no data, and the
 * page asks for an API key before it asks the API for anything.
 */
export const dashboardRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/',
    operationId: 'getDashboard',
    summary: 'The operator dashboard',
    description:
      'Jobs with live progress, a job’s images and failures, the pipeline’s charts, dead letters, the store master ' +
      'and the read models, in one page. Needs no API key; the page asks for one when the gateway has `API_KEYS`.',
    tags: ['dashboard'],
    public: true,
    responses: {
      200: { description: 'An HTML page.', contentType: 'text/html', schema: z.string() },
      304: { description: 'The page is unchanged since the `If-None-Match` it was asked with.' },
      503: {
        description: 'The dashboard was not built on this machine (`npm run build -w dashboard`; `npm start` does it).',
        schema: errorBody,
        examples: {
          notBuilt: errorExample(
            'the dashboard is not built: run `npm run build -w dashboard` (npm start does it), then restart the gateway',
          ),
        },
      },
    },
  },
  {
    method: 'get',
    path: '/assets/{file}',
    operationId: 'getDashboardAsset',
    summary: 'A script or style sheet of the dashboard',
    description: 'Named by a hash of its content, so it is cached for a year (`immutable`).',
    tags: ['dashboard'],
    public: true,
    pathParams: z.object({
      file: z.string().meta({ description: 'A file the page loads.', example: 'index-Baocs3zN.js' }),
    }),
    responses: {
      200: { description: 'The file (JavaScript or CSS).', contentType: '*/*', schema: z.string() },
      304: { description: 'Unchanged since the `If-None-Match` it was asked with.' },
      404: {
        description: 'No such file.',
        schema: errorBody,
        examples: { unknown: errorExample('no route for GET /assets/x.js') },
      },
      503: {
        description: 'The dashboard was not built on this machine.',
        schema: errorBody,
        examples: {
          notBuilt: errorExample(
            'the dashboard is not built: run `npm run build -w dashboard` (npm start does it), then restart the gateway',
          ),
        },
      },
    },
  },
];
