import type { Context } from 'koa';
import { redactSecrets } from '@retail-pulse/shared/config';
import { describeZodError } from '@retail-pulse/shared/contracts';
import {
  deadLettersQuerySchema,
  redriveRequestSchema,
  type DeadLettersBody,
  type RedriveResultBody,
} from '@retail-pulse/shared/contracts/api';
import { badRequest, HttpError, serviceUnavailable } from '@retail-pulse/shared/http';
import {
  DEFAULT_MAX_REDRIVES,
  inspectDeadLetters,
  redriveDeadLetters,
  type DeadLetter,
  type Topology,
} from '@retail-pulse/shared/messaging';

export interface DeadLetterDependencies {
  amqpUrl: string;
  topology: Topology;
}

/** Letters a re-drive looks at when the request does not say. */
const REDRIVE_LIMIT = 1_000;

/** Each call opens a connection of its own (as the CLI does): a broker away is a 503 to retry. */
async function withBroker<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw serviceUnavailable('the message broker is unavailable; retry shortly', 2);
  }
}

/** Bodies and reasons can name image URLs with credentials: masked, as in failure reasons. */
const letterBody = (letter: DeadLetter): DeadLettersBody['letters'][number] => ({
  message_id: letter.messageId ?? null,
  queue: letter.queue ?? null,
  reason: redactSecrets(letter.reason),
  dead_lettered_at: letter.deadLetteredAt ?? null,
  redriven: letter.redriven,
  preview: redactSecrets(letter.preview),
});

/**
 * `GET /api/ops/dead-letters` and `POST /api/ops/dead-letters/redrive`: the dead-letter queue as
 * `npm run dead-letters` shows and re-drives it, over HTTP for the dashboard. The ingest answers
 * them as the service that takes commands and publishes with confirms.
 */
export function deadLetterHandlers(deps: DeadLetterDependencies) {
  const queues = deps.topology.queues
    .map((queue) => queue.name)
    .filter((name) => name !== deps.topology.names.deadLetterQueue);
  return {
    list: async (ctx: Context): Promise<void> => {
      const parsed = deadLettersQuerySchema.safeParse(ctx.query);
      if (!parsed.success) throw badRequest(describeZodError(parsed.error));
      const { count, letters } = await withBroker(() =>
        inspectDeadLetters(deps.amqpUrl, deps.topology, parsed.data.limit),
      );
      ctx.body = {
        queue: deps.topology.names.deadLetterQueue,
        count,
        letters: letters.map(letterBody),
      } satisfies DeadLettersBody;
    },
    redrive: async (ctx: Context): Promise<void> => {
      const parsed = redriveRequestSchema.safeParse(ctx.request.body);
      if (!parsed.success) throw badRequest(describeZodError(parsed.error));
      const request = parsed.data;
      if (request.queue !== undefined && !queues.includes(request.queue)) {
        throw badRequest(`queue must be one of ${queues.join(', ')}`);
      }
      const result = await withBroker(() =>
        redriveDeadLetters(deps.amqpUrl, deps.topology, {
          limit: request.limit ?? REDRIVE_LIMIT,
          queue: request.queue,
          messageId: request.message_id,
          maxRedrives: request.max_redrives ?? DEFAULT_MAX_REDRIVES,
        }),
      );
      const { noSourceQueue, otherQueue, otherMessage, redriveLimit } = result.kept;
      const lookedAt = result.redriven + noSourceQueue + otherQueue + otherMessage + redriveLimit;
      if (request.message_id !== undefined && lookedAt === otherMessage) {
        throw new HttpError(404, { error: `no dead letter has message id ${request.message_id}` });
      }
      ctx.body = {
        found: result.found,
        redriven: result.redriven,
        kept: {
          no_source_queue: noSourceQueue,
          other_queue: otherQueue,
          other_message: otherMessage,
          redrive_limit: redriveLimit,
        },
      } satisfies RedriveResultBody;
    },
  };
}
