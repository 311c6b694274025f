import { z } from 'zod';

const isoDateTime = z.iso.datetime({ offset: true });
const jobId = z.number().int().positive();

export const eventMetadataSchema = z.object({
  /** The job id, as a string: every event of a job carries it. */
  correlationId: z.string().min(1),
  causationId: z.string().min(1).optional(),
  occurredAt: isoDateTime,
});
export type EventMetadata = z.infer<typeof eventMetadataSchema>;

function eventSchema<T extends string, V extends number, D extends z.ZodType>(type: T, version: V, data: D) {
  return z.object({
    eventId: z.string().min(1),
    type: z.literal(type),
    version: z.literal(version),
    data,
    metadata: eventMetadataSchema,
  });
}

export const submittedVisitSchema = z.object({
  storeId: z.string().min(1),
  visitTime: isoDateTime,
  imageUrls: z.array(z.string().min(1)).min(1),
});
export type SubmittedVisit = z.infer<typeof submittedVisitSchema>;

export const jobSubmittedSchema = eventSchema(
  'JobSubmitted',
  1,
  z.object({
    jobId,
    imageCount: z.number().int().positive(),
    visits: z.array(submittedVisitSchema).min(1),
    /** Where the job's detail is POSTed once it settles (the submit's `callback_url`); absent: nowhere. */
    callbackUrl: z.string().min(1).optional(),
    /** The failed job this one retries (POST /api/jobs/{job_id}/retry): its failed images, as they were. */
    retryOf: jobId.optional(),
  }),
);

const imageRef = {
  jobId,
  imageId: z.string().min(1),
  visitIndex: z.number().int().nonnegative(),
  imageIndex: z.number().int().nonnegative(),
  storeId: z.string().min(1),
  visitTime: isoDateTime,
  url: z.string().min(1),
};

const imageProcessedV1Data = z.object({
  ...imageRef,
  areaCode: z.string(),
  storeName: z.string(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  perimeter: z.number().int().positive(),
  format: z.string(),
  bytes: z.number().int().nonnegative(),
  attempts: z.number().int().positive(),
});

/** ImageProcessed as first published: no measurement time of its own. Still in older logs. */
export const imageProcessedV1Schema = eventSchema('ImageProcessed', 1, imageProcessedV1Data);

/**
 * The store-master version an image was checked against (shared/src/storeMaster): a fact of its
 * settlement, so a replay knows which master said "known" or "unknown store". Optional: events
 * settled before versions were recorded do not have it.
 */
const storeMasterVersion = z.number().int().nonnegative().optional();

/** ImageProcessed v2 records when the image was measured (`processedAt`), part of its provenance. */
export const imageProcessedSchema = eventSchema(
  'ImageProcessed',
  2,
  imageProcessedV1Data.extend({ processedAt: isoDateTime, storeMasterVersion }),
);

/** v1 → v2: a v1 event was published right after the measurement, so its occurredAt is that time. */
export function upcastImageProcessedV1(event: z.infer<typeof imageProcessedV1Schema>): ImageProcessed {
  return { ...event, version: 2, data: { ...event.data, processedAt: event.metadata.occurredAt } };
}

export const imageFailureKinds = [
  'unknown_store',
  'download',
  'http_status',
  'not_an_image',
  'too_large',
  'forbidden_address',
] as const;

/**
 * A client cancelled the job (POST /api/jobs/{job_id}/cancel). A point in the log: an image's
 * outcome recorded before it is a result of the job; the images without one are cancelled, and
 * an outcome recorded after it (an image in flight when the cancel arrived) counts for nothing.
 * On a job already settled it changes nothing. One per job: its id is derived from the job's.
 */
export const jobCancelledSchema = eventSchema('JobCancelled', 1, z.object({ jobId }));

export const imageFailedSchema = eventSchema(
  'ImageFailed',
  1,
  z.object({
    ...imageRef,
    kind: z.enum(imageFailureKinds),
    reason: z.string().min(1),
    attempts: z.number().int().nonnegative(),
    storeMasterVersion,
  }),
);

/**
 * Any event as it may be stored or published, in any version still supported, unchanged.
 * Export and import keep events in the version they were recorded in.
 */
export const storedEventSchema = z.discriminatedUnion('type', [
  jobSubmittedSchema,
  z.discriminatedUnion('version', [imageProcessedSchema, imageProcessedV1Schema]),
  imageFailedSchema,
  jobCancelledSchema,
]);

/**
 * Any supported event, upcast to the current version of its type: what folds and consumers see.
 * A new version adds its schema here with an upcaster from the previous one.
 */
export const domainEventSchema = z.discriminatedUnion('type', [
  jobSubmittedSchema,
  z.discriminatedUnion('version', [imageProcessedSchema, imageProcessedV1Schema.transform(upcastImageProcessedV1)]),
  imageFailedSchema,
  jobCancelledSchema,
]);

export type JobSubmitted = z.infer<typeof jobSubmittedSchema>;
export type ImageProcessed = z.infer<typeof imageProcessedSchema>;
export type ImageFailed = z.infer<typeof imageFailedSchema>;
export type JobCancelled = z.infer<typeof jobCancelledSchema>;
export type ImageFailureKind = ImageFailed['data']['kind'];
export type DomainEvent = z.output<typeof domainEventSchema>;
export type StoredEvent = z.infer<typeof storedEventSchema>;

/** Brings an already validated stored event to the current version of its type. */
export function upcast(event: StoredEvent): DomainEvent {
  if (event.type === 'ImageProcessed' && event.version === 1) return upcastImageProcessedV1(event);
  return event as DomainEvent;
}
export type DomainEventType = DomainEvent['type'];

/** An event as stored in the log: its place in the one global order. */
export type RecordedEvent = DomainEvent & { position: number };

/** The work item: one image to process. A command on the work queue, not part of the event log. */
export const imageRequestedSchema = z.object({
  type: z.literal('ImageRequested'),
  version: z.literal(1),
  data: z.object({
    ...imageRef,
    attempt: z.number().int().positive(),
    /**
     * When the job was submitted (its JobSubmitted's `occurredAt`). A processor that has followed
     * the settled-jobs feed without a break since before then has heard of any settlement of the
     * job, so it need not read whether the job settled. Absent from requests sent before it was added.
     */
    jobSubmittedAt: isoDateTime.optional(),
  }),
  metadata: eventMetadataSchema,
});
export type ImageRequested = z.infer<typeof imageRequestedSchema>;

export function metadataFor(jobIdValue: number, causationId?: string): EventMetadata {
  return {
    correlationId: String(jobIdValue),
    ...(causationId ? { causationId } : {}),
    occurredAt: new Date().toISOString(),
  };
}

/** Explains a zod failure in one line: where, and what is wrong. */
export function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid input';
  const where = issue.path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
  return where ? `${where}: ${issue.message}` : issue.message;
}

/**
 * Event ids are derived from what an event is about (`jobSubmittedEventId`,
 * `jobCancelledEventId`, `imageSettledEventId`), so a second event under an id already logged is normally a redelivery
 * or a re-run of the same fact: the first one stays, the second changes nothing. When the two
 * are about different subjects — another job's submission, another image — the id was reused
 * (e.g. a restored installation handing out a job id its log holds), and the second event must be
 * refused, never dropped as a duplicate. Returns why they differ, or undefined when they agree.
 * Outcomes may differ (an image measured again, or failed on a re-run): the subject may not.
 */
export function subjectConflict(logged: DomainEvent, incoming: DomainEvent): string | undefined {
  const subject = (event: DomainEvent) => {
    if (event.type === 'JobSubmitted') return { kind: 'job submission', fields: event.data };
    if (event.type === 'JobCancelled') return { kind: 'job cancellation', fields: event.data };
    const { jobId, imageId, visitIndex, imageIndex, storeId, visitTime, url } = event.data;
    return { kind: 'image settlement', fields: { jobId, imageId, visitIndex, imageIndex, storeId, visitTime, url } };
  };
  const was = subject(logged);
  const is = subject(incoming);
  if (was.kind !== is.kind)
    return `event ${incoming.eventId} is a ${is.kind}; the log holds a ${was.kind} under that id`;
  if (JSON.stringify(was.fields) === JSON.stringify(is.fields)) return undefined;
  return `event ${incoming.eventId} (${incoming.type} of job ${incoming.data.jobId}) is about another ${is.kind} than the one the log holds under that id`;
}
