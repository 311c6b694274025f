import { domainEventSchema, storedEventSchema } from './events';

const v1 = {
  eventId: 'e1',
  type: 'ImageProcessed',
  version: 1,
  metadata: { correlationId: '7', occurredAt: '2024-01-21T10:00:02.000Z' },
  data: {
    jobId: 7,
    imageId: '7:0:0',
    visitIndex: 0,
    imageIndex: 0,
    storeId: 'S1',
    visitTime: '2024-01-21T10:00:00.000Z',
    url: 'http://x/a.jpg',
    areaCode: '71',
    storeName: 'A',
    width: 4,
    height: 3,
    perimeter: 14,
    format: 'jpeg',
    bytes: 10,
    attempts: 1,
  },
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
