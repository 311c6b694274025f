import { aJobCancelled, aJobSubmitted, anImageFailed, anImageProcessed } from '../../../test/support/builders';
import { domainEventSchema, storedEventSchema, subjectConflict } from './events';

const A_LATER_TIME = '2024-01-21T11:00:00.000Z';

/** ImageProcessed as version 1 wrote it: no processedAt of its own. */
const { processedAt: _notInV1, ...v1Data } = anImageProcessed({ jobId: 7 }).data;
const v1 = {
  ...anImageProcessed({ jobId: 7 }),
  version: 1,
  metadata: { correlationId: '7', occurredAt: '2024-01-21T10:00:02.000Z' },
  data: v1Data,
};

describe('event versions', () => {
  it('upcasts ImageProcessed v1 to v2, taking processedAt from occurredAt', () => {
    const event = domainEventSchema.parse(v1);
    expect(event).toEqual({ ...v1, version: 2, data: { ...v1.data, processedAt: '2024-01-21T10:00:02.000Z' } });
  });

  it('takes ImageProcessed v2 as it is', () => {
    const v2 = { ...v1, version: 2, data: { ...v1.data, processedAt: '2024-01-21T10:00:01.500Z' } };
    expect(domainEventSchema.parse(v2)).toEqual(v2);
  });

  it('keeps stored events in their recorded version', () => {
    expect(storedEventSchema.parse(v1)).toEqual(v1);
  });

  it('refuses versions it does not know, and a v2 without its new field', () => {
    expect(domainEventSchema.safeParse({ ...v1, version: 3 }).success).toBe(false);
    expect(domainEventSchema.safeParse({ ...v1, version: 2 }).success).toBe(false);
  });
});

describe('the store-master version of an image event', () => {
  it('is kept when recorded, and may be absent on events settled before versions', () => {
    for (const event of [anImageProcessed({ jobId: 7 }), anImageFailed({ jobId: 7, kind: 'unknown_store' })]) {
      expect(domainEventSchema.parse(event)).toEqual(event);
      const versioned = { ...event, data: { ...event.data, storeMasterVersion: 4 } };
      expect(domainEventSchema.parse(versioned)).toEqual(versioned);
      expect(storedEventSchema.parse(versioned)).toEqual(versioned);
      const wrong = { ...event, data: { ...event.data, storeMasterVersion: 'v4' } };
      expect(domainEventSchema.safeParse(wrong).success).toBe(false);
    }
  });
});

describe('a job cancellation', () => {
  it('is an event of its job, one per job', () => {
    const event = aJobCancelled({ jobId: 7 });
    expect(domainEventSchema.parse(event)).toEqual(event);
    expect(aJobCancelled({ jobId: 7 }).eventId).toBe(event.eventId);
    expect(aJobCancelled({ jobId: 8 }).eventId).not.toBe(event.eventId);
    expect(domainEventSchema.safeParse({ ...event, data: {} }).success).toBe(false);
  });

  it('under an id the log holds for another job is refused as a conflict, not taken as a repeat', () => {
    const event = aJobCancelled({ jobId: 7 });
    expect(subjectConflict(event, { ...event, metadata: { ...event.metadata, occurredAt: A_LATER_TIME } })).toBe(
      undefined,
    );
    expect(subjectConflict(event, { ...event, data: { jobId: 8 } })).toMatch(/about another job cancellation/);
    expect(subjectConflict(aJobSubmitted({ jobId: 7 }), { ...event, eventId: 'x' })).toMatch(
      /is a job cancellation; the log holds a job submission/,
    );
  });
});

describe('a retry', () => {
  it('is a JobSubmitted naming the job it retries, and JobSubmitted events without one stay valid', () => {
    const submitted = aJobSubmitted({ jobId: 8 });
    const retry = { ...submitted, data: { ...submitted.data, retryOf: 7 } };
    expect(domainEventSchema.parse(retry)).toEqual(retry);
    expect(domainEventSchema.parse(submitted)).toEqual(submitted);
    expect(domainEventSchema.safeParse({ ...submitted, data: { ...submitted.data, retryOf: '7' } }).success).toBe(
      false,
    );
  });
});
