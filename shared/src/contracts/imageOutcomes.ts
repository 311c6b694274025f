import { z } from 'zod';
import { imageFailedSchema, imageProcessedSchema, type ImageFailed, type ImageProcessed } from './events';

/** Outcomes one ImageOutcomes message carries at most. */
export const MAX_OUTCOMES_PER_MESSAGE = 500;

/** An image's outcome, as the image-processor publishes it: the event in its current version. */
export type ImageOutcome = ImageProcessed | ImageFailed;

/**
 * The trace context an outcome was decided in (W3C `traceparent`, `tracestate`), so the
 * projection's handling of it joins its image's trace although one message carries many images.
 */
const traceCarrier = z.record(z.string(), z.string().max(512));

/**
 * Several images' outcomes in one message, as the image-processor sends them: one broker
 * operation (publish, enqueue, delivery, ack) for many images instead of one each. Each event is
 * still an event of its own (its own id, appended once to the log); the message is only the
 * envelope they travel in. Single events on the events exchange stay valid.
 */
export const imageOutcomesSchema = z.object({
  type: z.literal('ImageOutcomes'),
  version: z.literal(1),
  outcomes: z
    .array(
      z.object({
        event: z.discriminatedUnion('type', [imageProcessedSchema, imageFailedSchema]),
        trace: traceCarrier.optional(),
      }),
    )
    .min(1)
    .max(MAX_OUTCOMES_PER_MESSAGE),
});
export type ImageOutcomes = z.infer<typeof imageOutcomesSchema>;
