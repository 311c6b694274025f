import { z } from 'zod';

/**
 * The jobs routes' parameters and answers as zod schemas: the status API validates with them,
 * and an OpenAPI document can be generated from them. Names are the API's own (snake_case).
 */

export const errorBodySchema = z.object({ error: z.string() });

const decimalId = /^[1-9][0-9]{0,14}$/;

/** `{job_id}` in a path: a positive integer in decimal. */
export const jobIdParamSchema = z
  .string()
  .regex(decimalId, 'job_id must be a positive integer')
  .transform(Number)
  .pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER));

const limitSchema = z
  .string()
  .regex(/^[0-9]{1,5}$/, 'limit must be an integer from 1 to 1000')
  .transform(Number)
  .pipe(
    z
      .number()
      .int()
      .min(1, 'limit must be an integer from 1 to 1000')
      .max(1000, 'limit must be an integer from 1 to 1000'),
  )
  .optional()
  .transform((limit) => limit ?? 100);

const cursorSchema = z
  .string()
  .min(1, 'cursor must not be empty')
  .max(200, 'cursor is not one this API gave')
  .optional();
const generationSchema = z.string().optional();

export const jobStateSchema = z.enum(['ongoing', 'completed', 'failed']);

export const imagesQuerySchema = z.object({ limit: limitSchema, cursor: cursorSchema, generation: generationSchema });
export type ImagesQuery = z.output<typeof imagesQuerySchema>;

export const jobsQuerySchema = z.object({
  status: z
    .enum(['ongoing', 'completed', 'failed'], { error: 'status must be ongoing, completed or failed' })
    .optional(),
  limit: limitSchema,
  cursor: cursorSchema,
  generation: generationSchema,
});
export type JobsQuery = z.output<typeof jobsQuerySchema>;

export const imageCountsSchema = z.object({
  total: z.number().int().nonnegative(),
  succeeded: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
});

export const jobDetailSchema = z.object({
  job_id: z.number().int().positive(),
  status: jobStateSchema,
  images: imageCountsSchema,
  submitted_at: z.iso.datetime({ offset: true }),
  /** When the image that settled the job was reported; absent while the job is ongoing. */
  settled_at: z.iso.datetime({ offset: true }).optional(),
  visits: z.array(
    z.object({ store_id: z.string(), visit_time: z.iso.datetime({ offset: true }), images: imageCountsSchema }),
  ),
});
export type JobDetailBody = z.infer<typeof jobDetailSchema>;

export const jobImageSchema = z.object({
  url: z.string(),
  store_id: z.string(),
  visit_time: z.iso.datetime({ offset: true }),
  status: z.enum(['pending', 'succeeded', 'failed']),
  width: z.number().int().positive().nullable(),
  height: z.number().int().positive().nullable(),
  perimeter: z.number().int().positive().nullable(),
  /** Why the image failed; only on failed images. */
  error: z.string().optional(),
  /** Attempts the image-processor made (0 while none has been reported). */
  attempts: z.number().int().nonnegative(),
});
export type JobImageBody = z.infer<typeof jobImageSchema>;

export const jobImagesPageSchema = z.object({ images: z.array(jobImageSchema), next_cursor: z.string().nullable() });
export type JobImagesPageBody = z.infer<typeof jobImagesPageSchema>;

export const jobSummarySchema = z.object({
  job_id: z.number().int().positive(),
  status: jobStateSchema,
  images: imageCountsSchema,
  submitted_at: z.iso.datetime({ offset: true }),
});
export const jobsPageSchema = z.object({ jobs: z.array(jobSummarySchema), next_cursor: z.string().nullable() });
export type JobsPageBody = z.infer<typeof jobsPageSchema>;
