import { z } from 'zod';
import {
  describeZodError,
  hasUnsafeCharacters,
  IDENTIFIER_RULE,
  isIdentifier,
  type SubmittedVisit,
} from '@retail-pulse/shared/contracts';
import { badRequest, HttpError } from '@retail-pulse/shared/http';

export interface SubmitLimits {
  maxVisitsPerJob: number;
  maxImagesPerJob: number;
  maxUrlLength: number;
}

function imageUrlSchema(maxLength: number) {
  return (
    z
      .string({ error: 'must be a string' })
      .max(maxLength, `must be at most ${maxLength} characters`)
      .refine((value) => {
        try {
          const url = new URL(value);
          return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname.length > 0;
        } catch {
          return false;
        }
      }, 'must be an http or https URL')
      // Spaces too: a URL holds them percent-encoded, and a raw one would split it in every text that names it.
      .refine(
        (value) => !/\s/.test(value) && !hasUnsafeCharacters(value),
        'must not contain spaces or control characters (percent-encode them)',
      )
  );
}

export function submitRequestSchema(limits: SubmitLimits) {
  const visit = z.object(
    {
      store_id: z.string({ error: 'must be a string' }).refine(isIdentifier, IDENTIFIER_RULE),
      image_url: z
        .array(imageUrlSchema(limits.maxUrlLength), { error: 'must be an array of image URLs' })
        .min(1, 'must hold at least one URL'),
      visit_time: z.iso.datetime({
        offset: true,
        error: 'must be an RFC 3339 date-time, e.g. 2024-01-21T16:23:40.898Z',
      }),
    },
    { error: 'must be an object with store_id, image_url and visit_time' },
  );
  return z.object(
    {
      count: z.number({ error: 'must be an integer' }).int('must be an integer').positive('must be at least 1'),
      visits: z.array(visit, { error: 'must be an array of visits' }).min(1, 'must hold at least one visit'),
    },
    { error: 'request body must be a JSON object with count and visits' },
  );
}

export interface SubmitRequest {
  visits: SubmittedVisit[];
  imageCount: number;
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
  const { count, visits } = parsed.data;
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
  };
}
