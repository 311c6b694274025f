import { z } from 'zod';
import { errorBody, errorExample, type ApiRoute } from './route';

/** Enough of an OpenAPI document to know one when it is served; the whole is checked by a validator in tests. */
const openApiDocumentBody = z
  .looseObject({
    openapi: z.string().regex(/^3\.1\.\d+$/),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'OpenApiDocument' });

const html = { description: 'An HTML page.', contentType: 'text/html', schema: z.string() };

/** The API's description and its reference page, served by the gateway itself, to anyone. */
export const referenceRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    description: 'OpenAPI 3.1, generated from the schemas the services validate with. Needs no API key.',
    tags: ['reference'],
    public: true,
    responses: { 200: { description: 'The OpenAPI document.', schema: openApiDocumentBody } },
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'getReferencePage',
    summary: 'Browsable reference',
    description: 'This document rendered as a page (Swagger UI, served from this machine). Needs no API key.',
    tags: ['reference'],
    public: true,
    responses: { 200: html },
  },
  {
    method: 'get',
    path: '/docs/{file}',
    operationId: 'getReferencePageAsset',
    summary: 'A script or style sheet of the reference page',
    tags: ['reference'],
    public: true,
    pathParams: z.object({
      file: z.string().meta({ description: 'A file the page loads.', example: 'swagger-ui.css' }),
    }),
    responses: {
      200: { description: 'The file (JavaScript or CSS).', contentType: '*/*', schema: z.string() },
      404: {
        description: 'No such file.',
        schema: errorBody,
        examples: { unknown: errorExample('no route for GET /docs/x') },
      },
    },
  },
];
