import { z } from 'zod';
import { readModelNames } from './readModels';
import { domainEventSchema } from './events';
import { imageOutcomesSchema, jobSubmissionsSchema } from './batches';

const generation = z.number().int().positive();

/**
 * A replay asking the projection to serve rebuilt generations. It travels on the projection's own
 * queue, so exactly one party acts on it: the queue's single active consumer, the log's writer,
 * between two batches. A request the projection sees after `expiresAt` is dropped: the replay
 * that sent it has already reported that nothing was switched.
 */
export const switchReadModelsSchema = z.object({
  type: z.literal('SwitchReadModels'),
  version: z.literal(1),
  data: z.object({
    generations: z.partialRecord(z.enum(readModelNames), generation),
    requestedAt: z.iso.datetime({ offset: true }),
    expiresAt: z.iso.datetime({ offset: true }),
  }),
});
export type SwitchReadModels = z.infer<typeof switchReadModelsSchema>;

/**
 * Everything the projection's queue carries: every domain event, jobs' submissions and images'
 * outcomes in batches, and switch requests.
 */
export const projectionMessageSchema = z.discriminatedUnion('type', [
  domainEventSchema,
  jobSubmissionsSchema,
  imageOutcomesSchema,
  switchReadModelsSchema,
]);
export type ProjectionMessage = z.output<typeof projectionMessageSchema>;
