import { z } from 'zod';
import {
  imageFailedSchema,
  imageProcessedSchema,
  imageRequestedSchema,
  jobSubmittedSchema,
  type ImageFailed,
  type ImageProcessed,
} from './events';

/**
 * Messages of many: several jobs' submissions, several images' requests, or several images'
 * outcomes in one message, so that the broker's work (publish, confirm, enqueue, delivery, ack)
 * is paid once for many jobs or images.
 * Each request and each event inside stays one of its own (its own id, validated by its own
 * schema); the message is only the envelope they travel in. Single messages stay valid.
 */

/** Outcomes one ImageOutcomes message carries at most. */
export const MAX_OUTCOMES_PER_MESSAGE = 500;
/** Submissions one JobSubmissions message carries at most. */
export const MAX_SUBMISSIONS_PER_MESSAGE = 100;
/** Requests one ImageRequests message carries at most. */
export const MAX_REQUESTS_PER_MESSAGE = 100;

/** An image's outcome, as the image-processor publishes it: the event in its current version. */
export type ImageOutcome = ImageProcessed | ImageFailed;

/**
 * The trace context one part of a message of many belongs to (W3C `traceparent`, `tracestate`),
 * so its handling joins its own image's trace although the message carries many images.
 */
const traceCarrier = z.record(z.string(), z.string().max(512));

/**
 * Several images' requests in one message, as the dispatcher sends a job's images (a few to a
 * message, on the work queue). A retry travels alone, as an ImageRequested.
 */
export const imageRequestsSchema = z.object({
  type: z.literal('ImageRequests'),
  version: z.literal(1),
  requests: z
    .array(z.object({ request: imageRequestedSchema, trace: traceCarrier.optional() }))
    .min(1)
    .max(MAX_REQUESTS_PER_MESSAGE),
});
export type ImageRequests = z.infer<typeof imageRequestsSchema>;

/** What the work queue's image consumers take: one request, or several in one message. */
export const imageWorkSchema = z.discriminatedUnion('type', [imageRequestedSchema, imageRequestsSchema]);
export type ImageWork = z.infer<typeof imageWorkSchema>;

/**
 * Several images' outcomes in one message, as the image-processor sends them (the outcomes settled
 * within a few milliseconds of each other). Each event is appended once to the log, as a single
 * event would be.
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

/**
 * Several jobs' JobSubmitted in one message, as the ingest sends the jobs accepted while its
 * previous message awaited the broker's confirm. Each event is appended once to the log and
 * dispatched as a single JobSubmitted would be.
 */
export const jobSubmissionsSchema = z.object({
  type: z.literal('JobSubmissions'),
  version: z.literal(1),
  jobs: z
    .array(z.object({ event: jobSubmittedSchema, trace: traceCarrier.optional() }))
    .min(1)
    .max(MAX_SUBMISSIONS_PER_MESSAGE),
});
export type JobSubmissions = z.infer<typeof jobSubmissionsSchema>;

/** What the dispatch queue carries: one JobSubmitted, or several jobs' in one message. */
export const submittedJobsSchema = z.discriminatedUnion('type', [jobSubmittedSchema, jobSubmissionsSchema]);
export type SubmittedJobs = z.infer<typeof submittedJobsSchema>;
