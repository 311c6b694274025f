import { describeZodError, type SubmittedVisit } from '@retail-pulse/shared/contracts';
import { submitRequestSchema, type SubmitLimits } from '@retail-pulse/shared/contracts/api';
import { badRequest, HttpError } from '@retail-pulse/shared/http';

export type { SubmitLimits };

export interface SubmitRequest {
  visits: SubmittedVisit[];
  imageCount: number;
  /** Where the settled job's detail is POSTed (the body's `callback_url`), if anywhere. */
  callbackUrl?: string;
}

/** One schema per limits object: building a zod schema costs far more than using it. */
const schemas = new WeakMap<SubmitLimits, ReturnType<typeof submitRequestSchema>>();

function schemaFor(limits: SubmitLimits): ReturnType<typeof submitRequestSchema> {
  let schema = schemas.get(limits);
  if (!schema) {
    schema = submitRequestSchema(limits);
    schemas.set(limits, schema);
  }
  return schema;
}

/** Validates a submit body; every problem becomes a 400 (or 413 past a limit) with one clear sentence. */
export function parseSubmitRequest(body: unknown, limits: SubmitLimits): SubmitRequest {
  const parsed = schemaFor(limits).safeParse(body);
  if (!parsed.success) throw badRequest(describeZodError(parsed.error));
  const { count, visits, callback_url: callbackUrl } = parsed.data;
  if (count !== visits.length) {
    throw badRequest(`count (${count}) does not match the number of visits (${visits.length})`);
  }
  if (visits.length > limits.maxVisitsPerJob) {
    throw new HttpError(413, {
      error: `a job may hold at most ${limits.maxVisitsPerJob} visits (got ${visits.length})`,
    });
  }
  const imageCount = visits.reduce((sum, visit) => sum + visit.image_url.length, 0);
  if (imageCount > limits.maxImagesPerJob) {
    throw new HttpError(413, { error: `a job may hold at most ${limits.maxImagesPerJob} images (got ${imageCount})` });
  }
  return {
    imageCount,
    visits: visits.map((visit) => ({
      storeId: visit.store_id,
      visitTime: visit.visit_time,
      imageUrls: visit.image_url,
    })),
    ...(callbackUrl !== undefined ? { callbackUrl } : {}),
  };
}
