import { z } from 'zod';
import { routingResponses, type ApiResponse, type ApiRoute } from './route';
import type { ApiWebhook } from './webhooks';

type JsonObject = { [key: string]: unknown };

const SCHEMA_REF = '#/components/schemas/';

/**
 * Builds the OpenAPI 3.1 document from route declarations: every schema is the zod schema the
 * services validate with, turned into JSON Schema 2020-12 (OpenAPI 3.1's dialect) by zod itself.
 * A schema given an `id` (`.meta({ id })`) becomes a component, referenced wherever it is used.
 */
export class OpenApiBuilder {
  private readonly components = new Map<string, { json: string; schema: JsonObject }>();

  /** JSON Schema of a request (`input`) or an answer (`output`): the two differ where zod transforms. */
  schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw' }) as JsonObject;
    const defs = (json.$defs ?? {}) as Record<string, JsonObject>;
    delete json.$defs;
    delete json.$schema;
    for (const [id, def] of Object.entries(defs)) this.addComponent(id, rewriteRefs(def) as JsonObject);
    return rewriteRefs(json) as JsonObject;
  }

  private addComponent(id: string, schema: JsonObject): void {
    const json = JSON.stringify(schema);
    const known = this.components.get(id);
    if (known && known.json !== json) throw new Error(`two different schemas are named ${id}`);
    this.components.set(id, { json, schema });
  }

  private parametersOf(object: z.ZodObject | undefined, where: 'query' | 'path' | 'header'): JsonObject[] {
    if (!object) return [];
    return Object.entries(object.shape).map(([name, field]) => {
      const { description, example, ...schema } = this.schemaOf(field as z.ZodType, 'input');
      return {
        name,
        in: where,
        required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
        ...(description !== undefined ? { description } : {}),
        ...(example !== undefined ? { example } : {}),
        schema,
      };
    });
  }

  responseOf(response: ApiResponse): JsonObject {
    const headers = Object.entries(response.headers ?? {}).map(([name, header]) => [
      name,
      { description: header.description, schema: this.schemaOf(header.schema, 'output') },
    ]);
    return {
      description: response.description,
      ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
      ...(response.schema
        ? {
            content: {
              [response.contentType ?? 'application/json']: {
                schema: this.schemaOf(response.schema, 'output'),
                ...(response.examples ? { examples: response.examples } : {}),
              },
            },
          }
        : {}),
    };
  }

  operationOf(route: ApiRoute): JsonObject {
    const parameters = [
      ...this.parametersOf(route.pathParams, 'path'),
      ...this.parametersOf(route.query, 'query'),
      ...this.parametersOf(route.headers, 'header'),
    ];
    const responses = Object.entries(route.responses).map(([status, response]) => [status, this.responseOf(response)]);
    return {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.requestBody
        ? {
            requestBody: {
              required: true,
              ...(route.requestBody.description ? { description: route.requestBody.description } : {}),
              content: {
                'application/json': {
                  schema: this.schemaOf(route.requestBody.schema, 'input'),
                  ...(route.requestBody.examples ? { examples: route.requestBody.examples } : {}),
                },
              },
            },
          }
        : {}),
      responses: Object.fromEntries(responses),
      ...(route.public ? { security: [] } : {}),
    };
  }

  /** A webhook as OpenAPI 3.1's `webhooks` holds it: the request this API sends, and the answers it expects. */
  webhookOf(webhook: ApiWebhook): JsonObject {
    return {
      post: {
        operationId: webhook.name,
        summary: webhook.summary,
        description: webhook.description,
        parameters: this.parametersOf(webhook.headers, 'header'),
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: this.schemaOf(webhook.body, 'output'), examples: webhook.examples },
          },
        },
        responses: Object.fromEntries(
          Object.entries(webhook.responses).map(([status, response]) => [status, this.responseOf(response)]),
        ),
      },
    };
  }

  schemas(): Record<string, JsonObject> {
    return Object.fromEntries(
      [...this.components].sort(([a], [b]) => a.localeCompare(b)).map(([id, c]) => [id, c.schema]),
    );
  }
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')
        ? SCHEMA_REF + inner.slice('#/$defs/'.length)
        : rewriteRefs(inner),
    ]),
  );
}

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

/** The OpenAPI 3.1 document of `routes`, and of the webhooks the API sends. */
export function openApiDocument(
  routes: readonly ApiRoute[],
  info: DocumentInfo,
  webhooks: readonly ApiWebhook[] = [],
): JsonObject {
  const builder = new OpenApiBuilder();
  const paths: Record<string, JsonObject> = {};
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`${route.method.toUpperCase()} ${route.path} is declared twice`);
    item[route.method] = builder.operationOf(route);
  }
  const webhookItems = Object.fromEntries(webhooks.map((webhook) => [webhook.name, builder.webhookOf(webhook)]));
  const tags = [...new Set(routes.flatMap((route) => route.tags))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/', description: 'the gateway this document is served by' }],
    tags,
    // Keys are asked for only when the gateway is given API_KEYS: either scheme, or none.
    security: [{ apiKey: [] }, { bearer: [] }, {}],
    paths,
    ...(webhooks.length > 0 ? { webhooks: webhookItems } : {}),
    components: {
      schemas: builder.schemas(),
      // The gateway's own answers to a path it has no route for, or a method a path does not take.
      responses: {
        NotFound: builder.responseOf(routingResponses[404]),
        MethodNotAllowed: builder.responseOf(routingResponses[405]),
      },
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: "One of the gateway's API_KEYS." },
        bearer: { type: 'http', scheme: 'bearer', description: "One of the gateway's API_KEYS, as a bearer token." },
      },
    },
  };
}
