import { aJobSubmitted, anImageFailed, anImageProcessed, at } from '../../../../test/support/builders';
import { imageRecordOf } from './imageRecord';

const image = { jobId: 3, visitIndex: 1, imageIndex: 0, storeId: 'S1', visitTime: '2024-01-21T23:30:00-02:00' };

describe('imageRecordOf', () => {
  it('records a processed image with its measurements and its visit date in UTC', () => {
    const event = at(9, anImageProcessed({ ...image, storeName: 'A  B', width: 640, height: 480 }));
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
    const event = at(4, anImageFailed({ ...image, kind: 'not_an_image', reason: 'not an image' }));
    expect(imageRecordOf(event)).toMatchObject({
      status: 'failed',
      perimeter: null,
      reason: 'not an image',
      areaCode: null,
    });
  });

  it('records nothing for a JobSubmitted', () => {
    expect(imageRecordOf(at(1, aJobSubmitted({ jobId: 3 })))).toBeUndefined();
  });
});
