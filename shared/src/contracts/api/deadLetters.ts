import { z } from 'zod';
import { errorBody, errorExample, gatewayResponses, type ApiRoute } from './route';

/**
 * The dead-letter queue over HTTP (`/api/ops/dead-letters`), answered by the ingest — the command
 * side, which re-drives letters through the broker with confirms — as `npm run dead-letters`
 * lists and re-drives them.
 */

const datetime = z.iso.datetime({ offset: true });
const count = z.number().int().nonnegative();

const limit = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,5}$/, `limit must be an integer from 1 to ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, `limit must be an integer from 1 to ${max}`)
        .max(max, `limit must be an integer from 1 to ${max}`),
    )
    .optional()
    .transform((value) => value ?? fallback);

export const deadLettersQuerySchema = z.object({ limit: limit(1000, 100) });

export const deadLetterSchema = z.object({
  message_id: z.string().nullable(),
  /** The queue it came from, where a re-drive sends it; null when it does not say. */
  queue: z.string().nullable(),
  reason: z.string(),
  dead_lettered_at: datetime.nullable(),
  /** Times it was re-driven before, and came back. */
  redriven: count,
  /** The first 200 characters of its body, credentials in URLs masked. */
  preview: z.string(),
});

export const deadLettersSchema = z.object({
  /** The dead-letter queue, and how many letters it holds now. */
  queue: z.string(),
  count,
  /** The first `limit` of them, oldest first (reading leaves them in place). */
  letters: z.array(deadLetterSchema),
});
export type DeadLettersBody = z.infer<typeof deadLettersSchema>;

export const redriveRequestSchema = z.strictObject({
  /** Only this letter; absent: every letter (of `queue`, when given). */
  message_id: z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'message_id must be 1 to 255 visible ASCII characters')
    .optional(),
  /** Only letters from this queue of the topology. */
  queue: z.string().min(1).max(255).optional(),
  /** Letters already re-driven this many times stay (default 3). */
  max_redrives: z.number().int().min(1).max(100).optional(),
  /** Letters looked at, at most (default 1000). */
  limit: z.number().int().min(1).max(10_000).optional(),
});
export type RedriveRequestBody = z.infer<typeof redriveRequestSchema>;

export const redriveResultSchema = z.object({
  /** Letters in the queue when the re-drive started; it looks at no more than these. */
  found: count,
  redriven: count,
  /** Letters left in the queue, by why. */
  kept: z.object({ no_source_queue: count, other_queue: count, other_message: count, redrive_limit: count }),
});
export type RedriveResultBody = z.infer<typeof redriveResultSchema>;

// The routes, for the OpenAPI document (./index.ts lists them).

const letter = {
  message_id: 'poison-1',
  queue: 'rp.image-requests',
  reason: 'message failed validation: version: Invalid input: expected 1',
  dead_lettered_at: '2026-12-01T22:18:35.000Z',
  redriven: 0,
  preview: '{"type":"ImageRequested"}',
};

export const deadLettersRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/api/ops/dead-letters',
    operationId: 'listDeadLetters',
    summary: 'Dead letters and why',
    description:
      'The messages a consumer refused for good (a message that failed its schema, or whose handler kept failing), ' +
      'oldest first, with the reason and the queue each came from. Reading leaves them in place.',
    tags: ['operations'],
    query: z.object({
      limit: z.string().optional().meta({ description: 'Letters shown, 1 to 1000 (default 100).', example: '100' }),
    }),
    responses: {
      200: {
        description: 'The dead-letter queue.',
        schema: deadLettersSchema,
        examples: { one: { value: { queue: 'rp.dead-letters', count: 1, letters: [letter] } } },
      },
      400: {
        description: 'A malformed `limit`.',
        schema: errorBody,
        examples: { bad: errorExample('limit: limit must be an integer from 1 to 1000') },
      },
      ...gatewayResponses,
    },
  },
  {
    method: 'post',
    path: '/api/ops/dead-letters/redrive',
    operationId: 'redriveDeadLetters',
    summary: 'Send dead letters back',
    description:
      'Sends the letters in the dead-letter queue now back to the queues they came from — one (`message_id`), ' +
      'those of one queue, or all — each confirmed by RabbitMQ before it leaves the dead-letter queue. A letter ' +
      're-driven `max_redrives` times already stays. `{}` re-drives every letter. `/api/ops/dead-letters/redrive/` ' +
      'is the same route.',
    tags: ['operations'],
    requestBody: {
      schema: redriveRequestSchema,
      examples: { all: { value: {} }, one: { value: { message_id: 'poison-1' } } },
    },
    responses: {
      200: {
        description: 'What was done.',
        schema: redriveResultSchema,
        examples: {
          one: {
            value: {
              found: 3,
              redriven: 1,
              kept: { no_source_queue: 0, other_queue: 0, other_message: 2, redrive_limit: 0 },
            },
          },
        },
      },
      400: {
        description: 'A malformed body, or a queue the topology does not have.',
        schema: errorBody,
        examples: { queue: errorExample('queue must be one of rp.projection, rp.dispatch, rp.image-requests') },
      },
      404: {
        description: '`message_id` names no letter in the queue.',
        schema: errorBody,
        examples: { unknown: errorExample('no dead letter has message id poison-9') },
      },
      415: {
        description: 'The body is not JSON.',
        schema: errorBody,
        examples: { notJson: errorExample('request body must be JSON (Content-Type: application/json)') },
      },
      ...gatewayResponses,
    },
  },
];
