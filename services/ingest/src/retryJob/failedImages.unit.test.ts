import type { ImageEntry, VisitCountsEntry } from '@retail-pulse/shared/readModels';
import { retryVisitsOf } from './failedImages';

const image = (url: string, storeId: string, visitTime: string, state: ImageEntry[3]): ImageEntry => [
  url,
  storeId,
  visitTime,
  state,
  state === 'succeeded' ? 4 : null,
  state === 'succeeded' ? 3 : null,
  state === 'succeeded' ? 14 : null,
  state === 'failed' ? 'HTTP 404' : state === 'cancelled' ? 'cancelled' : null,
  1,
];

describe('the visits of a retry', () => {
  const T1 = '2024-01-21T10:00:00Z';
  const T2 = '2024-01-22T10:00:00Z';
  const T3 = '2024-01-23T10:00:00Z';
  const visits: VisitCountsEntry[] = [
    ['S1', T1, 3, 1, 2],
    ['S2', T2, 1, 1, 0],
    ['S1', T3, 2, 0, 2],
  ];
  const images = [
    image('http://x/1.jpg', 'S1', T1, 'failed'),
    image('http://x/2.jpg', 'S1', T1, 'succeeded'),
    image('http://u:p@x/3.jpg?token=t', 'S1', T1, 'cancelled'),
    image('http://x/4.jpg', 'S2', T2, 'succeeded'),
    image('http://x/5.jpg', 'S1', T3, 'cancelled'),
    image('http://x/1.jpg', 'S1', T3, 'failed'),
  ];

  it('hold exactly the failed and cancelled images, in their visits, with the same store and time', () => {
    expect(retryVisitsOf(visits, images)).toEqual([
      { storeId: 'S1', visitTime: T1, imageUrls: ['http://x/1.jpg', 'http://u:p@x/3.jpg?token=t'] },
      { storeId: 'S1', visitTime: T3, imageUrls: ['http://x/5.jpg', 'http://x/1.jpg'] },
    ]);
  });

  it('hold nothing of a job with no failed image', () => {
    expect(retryVisitsOf([['S2', T2, 1, 1, 0]], [image('http://x/4.jpg', 'S2', T2, 'succeeded')])).toEqual([]);
  });
});
