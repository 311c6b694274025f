import type { RecordedEvent } from '../../contracts/events';
import { imageRecordOf } from './imageRecord';

const metadata = { correlationId: '3', occurredAt: '2024-01-21T00:00:00.000Z' };
const base = {
  jobId: 3,
  imageId: '3:1:0',
  visitIndex: 1,
  imageIndex: 0,
  storeId: 'S1',
  visitTime: '2024-01-21T23:30:00-02:00',
  url: 'http://x/a.jpg',
};

describe('imageRecordOf', () => {
  it('records a processed image with its measurements and its visit date in UTC', () => {
    const event: RecordedEvent = {
      eventId: 'e',
      type: 'ImageProcessed',
      version: 2,
      position: 9,
      metadata,
      data: {
        ...base,
        areaCode: '71',
        storeName: 'A  B',
        width: 640,
        height: 480,
        perimeter: 2240,
        format: 'jpeg',
        bytes: 1,
        attempts: 1,
        processedAt: '2024-01-21T00:00:05.000Z',
      },
    };
    expect(imageRecordOf(event)).toEqual({
      _id: '3:1:0',
      jobId: 3,
      visitIndex: 1,
      imageIndex: 0,
      storeId: 'S1',
      areaCode: '71',
      storeName: 'A  B',
      visitTime: new Date('2024-01-22T01:30:00.000Z'),
      date: '2024-01-22',
      url: 'http://x/a.jpg',
      status: 'processed',
      width: 640,
      height: 480,
      perimeter: 2240,
      processedAt: new Date('2024-01-21T00:00:05.000Z'),
      reason: null,
      position: 9,
    });
  });

  it('records a failed image with its reason and no measurements', () => {
    const event: RecordedEvent = {
      eventId: 'e',
      type: 'ImageFailed',
      version: 1,
      position: 4,
      metadata,
      data: { ...base, kind: 'not_an_image', reason: 'not an image', attempts: 1 },
    };
    expect(imageRecordOf(event)).toMatchObject({
      status: 'failed',
      perimeter: null,
      reason: 'not an image',
      areaCode: null,
    });
  });

  it('records nothing for a JobSubmitted', () => {
    const event: RecordedEvent = {
      eventId: 'e',
      type: 'JobSubmitted',
      version: 1,
      position: 1,
      metadata,
      data: {
        jobId: 3,
        imageCount: 1,
        visits: [{ storeId: 'S1', visitTime: base.visitTime, imageUrls: ['http://x/a.jpg'] }],
      },
    };
    expect(imageRecordOf(event)).toBeUndefined();
  });
});
