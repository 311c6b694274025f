import { z } from 'zod';

/**
 * What the projection tells every status API after a batch settles jobs: their outcomes, as
 * written to the given generation of the job-status read model. A hint that saves a read; the
 * read model stays the source of truth.
 */
export const jobSettledNoticeSchema = z.object({
  generation: z.number().int().positive(),
  jobs: z.array(
    z.object({
      jobId: z.number().int().positive(),
      status: z.enum(['completed', 'failed']),
      errors: z.array(z.object({ store_id: z.string(), error: z.string() })),
    }),
  ),
});

export type JobSettledNotice = z.infer<typeof jobSettledNoticeSchema>;
