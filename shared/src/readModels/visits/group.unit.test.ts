import type { VisitEntry } from './buckets';
import { groupVisits } from './group';

const image = (storeId: string, visitTime: string, perimeter: number, imageIndex = 0, jobId = 1): VisitEntry => [
  storeId,
  `Store ${storeId}`,
  '71',
  Date.parse(visitTime),
  jobId,
  0,
  imageIndex,
  perimeter,
];

describe('groupVisits', () => {
  it('groups by store and date, in store, date, visit-time and submission order', () => {
    const results = groupVisits([
      image('S2', '2024-01-22T10:00:00Z', 30),
      image('S1', '2024-01-21T12:00:00Z', 20, 1),
      image('S1', '2024-01-21T12:00:00Z', 10, 0),
      image('S1', '2024-01-20T09:00:00Z', 5),
      image('S1', '2024-01-21T08:00:00Z', 1, 0, 2),
    ]);
    expect(results).toEqual([
      {
        storeId: 'S1',
        areaCode: '71',
        storeName: 'Store S1',
        days: [
          { date: '2024-01-20', perimeters: [5] },
          { date: '2024-01-21', perimeters: [1, 10, 20] },
        ],
      },
      { storeId: 'S2', areaCode: '71', storeName: 'Store S2', days: [{ date: '2024-01-22', perimeters: [30] }] },
    ]);
  });

  it('answers no results for no images', () => {
    expect(groupVisits([])).toEqual([]);
  });
});
