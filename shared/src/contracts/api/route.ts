import { z } from 'zod';

/** One answer of a route: its description, body schema (JSON unless said), examples and headers. */
export interface ApiResponse {
  description: string;
  /** The body; absent for an answer without one. */
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
  examples?: Record<string, { summary?: string; value: unknown }>;
  headers?: Record<string, { description: string; schema: z.ZodType }>;
}

/**
 * One route of the public API, declared next to the schemas it validates with: the document
 * (openapi.ts) is built from these, and the services parse with the same schemas.
 */
export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** An OpenAPI path template: `/api/jobs/{job_id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Query parameters, one per property; a property's `.meta({ description, example })` documents it. */
  query?: z.ZodObject;
  /** Path parameters, one per property, named as in `path`. */
  pathParams?: z.ZodObject;
  /** Request headers the route reads, one per property (named as sent, e.g. `Idempotency-Key`). */
  headers?: z.ZodObject;
  requestBody?: {
    schema: z.ZodType;
    description?: string;
    examples?: Record<string, { summary?: string; value: unknown }>;
  };
  responses: Record<number, ApiResponse>;
  /** Served without an API key even when the gateway has API_KEYS (the document and its page). */
  public?: boolean;
}

/** What every failure but the unknown job says: one sentence, never a stack or an echo of hostile input. */
export const errorBody = z
  .object({ error: z.string().meta({ description: 'What is wrong, in one sentence.' }) })
  .meta({ id: 'Error', example: { error: 'visits: must hold at least one visit' } });

export const retryAfterHeader = {
  description: 'Seconds to wait before trying again.',
  schema: z.string().regex(/^[0-9]+$/),
};

const errorExample = (error: string, summary?: string) => ({ ...(summary ? { summary } : {}), value: { error } });

/** The answers every route behind the gateway may give besides its own: keys, rate limits, outages. */
export const gatewayResponses: Record<number, ApiResponse> = {
  401: {
    description: 'The gateway has API keys (`API_KEYS`) and the request carries none of them.',
    schema: errorBody,
    headers: { 'WWW-Authenticate': { description: '`Bearer`', schema: z.literal('Bearer') } },
    examples: {
      missingKey: errorExample('a valid API key is required (X-API-Key header or Authorization: Bearer)'),
    },
  },
  429: {
    description: "Past the client's rate (`RATE_LIMIT_PER_SECOND`, `RATE_LIMIT_BURST`).",
    schema: errorBody,
    headers: { 'Retry-After': retryAfterHeader },
    examples: { tooMany: errorExample('too many requests; slow down') },
  },
  500: {
    description: 'A fault of the service; the body never holds a stack trace.',
    schema: errorBody,
    examples: { internal: errorExample('internal error') },
  },
  503: {
    description: 'A service, the message broker or the database is unreachable for now; retry after `Retry-After`.',
    schema: errorBody,
    headers: { 'Retry-After': retryAfterHeader },
    examples: {
      serviceDown: errorExample('service temporarily unavailable; retry shortly', 'the service behind the gateway'),
      databaseDown: errorExample('service temporarily unavailable; retry shortly', 'the database'),
    },
  },
  504: {
    description: 'The service behind the gateway did not begin its answer within `UPSTREAM_TIMEOUT_MS`.',
    schema: errorBody,
    headers: { 'Retry-After': retryAfterHeader },
    examples: { timeout: errorExample('the service did not answer in time; retry shortly') },
  },
};

/** Answers of the gateway itself to a path it has no route for, or a method the path does not take. */
export const routingResponses: Record<404 | 405, ApiResponse> = {
  404: {
    description: 'No route for this path.',
    schema: errorBody,
    examples: { unknownPath: errorExample('no route for GET /api/unknown') },
  },
  405: {
    description: 'The path exists but does not take this method; `Allow` lists those it takes.',
    schema: errorBody,
    headers: { Allow: { description: 'The methods the path takes, e.g. `GET, HEAD`.', schema: z.string() } },
    examples: { wrongMethod: errorExample('DELETE is not allowed on /api/status (allowed: GET, HEAD)') },
  },
};

export { errorExample };
