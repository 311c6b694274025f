import { z } from 'zod';
import { describeZodError } from '../../contracts/events';

/**
 * What the projection tells every image-processor after a batch settles jobs: their outcomes, as
 * written to the given generation of the job-status read model, so their image requests are
 * dropped without a read. A hint; the read model stays the source of truth.
 */
export const jobSettledNoticeSchema = z.object({
  generation: z.number().int().positive(),
  jobs: z.array(
    z.object({
      jobId: z.number().int().positive(),
      status: z.enum(['completed', 'failed']),
      failures: z.array(z.object({ storeId: z.string(), reason: z.string() })),
    }),
  ),
});

export type JobSettledNotice = z.infer<typeof jobSettledNoticeSchema>;

/** Reads a notice as it comes off the broker; throws, saying what is wrong, for a malformed one. */
export function parseJobSettledNotice(content: Buffer): JobSettledNotice {
  let json: unknown;
  try {
    json = JSON.parse(content.toString('utf8'));
  } catch {
    throw new Error('malformed settled-jobs notice: not JSON');
  }
  const notice = jobSettledNoticeSchema.safeParse(json);
  if (!notice.success) throw new Error(`malformed settled-jobs notice: ${describeZodError(notice.error)}`);
  return notice.data;
}
