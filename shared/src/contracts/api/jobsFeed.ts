import { z } from 'zod';
import { jobSummarySchema } from './jobs';
import { gatewayResponses, type ApiRoute } from './route';

/**
 * `GET /api/jobs/events`: the newest jobs as they change, for a live list (the dashboard's). One
 * reader per status API reads the listing's newest block(s) every `JOBS_FEED_POLL_MS` while any
 * stream is open, whatever their number, and each stream is sent what changed.
 */

/** How many of the newest jobs the feed follows; the first event holds all of them. */
export const JOBS_FEED_SIZE = 100;

/** One event's `data`: jobs (summaries as `GET /api/jobs` gives them) that are new or changed, newest first. */
export const jobsFeedEventSchema = z.object({ jobs: z.array(jobSummarySchema) });
export type JobsFeedEventBody = z.infer<typeof jobsFeedEventSchema>;

const summary = (jobId: number, succeeded: number, status: string) => ({
  job_id: jobId,
  status,
  images: { total: 3, succeeded, failed: 0, pending: 3 - succeeded },
  submitted_at: '2024-01-21T16:23:41.102Z',
});

export const jobsFeedRoutes: ApiRoute[] = [
  {
    method: 'get',
    path: '/api/jobs/events',
    operationId: 'followJobs',
    summary: 'The newest jobs, live (Server-Sent Events)',
    description:
      `A \`text/event-stream\` that never ends on its own: the first event's \`data\` holds the ${JOBS_FEED_SIZE} ` +
      'newest jobs (`{"jobs":[…]}`, summaries as `GET /api/jobs` answers them, newest first), each later event the ' +
      `jobs among the ${JOBS_FEED_SIZE} newest that were submitted or changed since. A client merges them by \`job_id\`. ` +
      'A reconnecting client gets the whole list again. Comment lines keep a quiet stream open every 15 s. ' +
      '`/api/jobs/events/` is the same route; this path is not a job id.',
    tags: ['jobs'],
    responses: {
      200: {
        description: 'The stream of events.',
        contentType: 'text/event-stream',
        schema: z.string(),
        examples: {
          live: {
            value:
              `retry: 2000\n\ndata: ${JSON.stringify({ jobs: [summary(2, 1, 'ongoing'), summary(1, 3, 'completed')] })}\n\n` +
              `data: ${JSON.stringify({ jobs: [summary(2, 2, 'ongoing')] })}\n\n`,
          },
        },
      },
      ...gatewayResponses,
    },
  },
];
