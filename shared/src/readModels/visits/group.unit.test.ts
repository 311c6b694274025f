import { entryColumns, type VisitEntry } from './buckets';
import { groupVisits } from './group';

const image = (storeId: string, visitTime: string, perimeter: number, imageIndex = 0, jobId = 1): VisitEntry => [
  storeId,
  Date.parse(visitTime),
  jobId,
  0,
  imageIndex,
  perimeter,
];

describe('groupVisits', () => {
  const expected = [
    {
      storeId: 'S1',
      days: [
        { date: '2024-01-20', perimeters: [5] },
        { date: '2024-01-21', perimeters: [1, 10, 20] },
      ],
    },
    { storeId: 'S2', days: [{ date: '2024-01-22', perimeters: [30] }] },
  ];

  it('groups by store and date, in store, date, visit-time and submission order', () => {
    const monthOfS1 = entryColumns([
      image('S1', '2024-01-21T12:00:00Z', 20, 1),
      image('S1', '2024-01-21T12:00:00Z', 10, 0),
      image('S1', '2024-01-20T09:00:00Z', 5),
      image('S1', '2024-01-21T08:00:00Z', 1, 0, 2),
    ]);
    const monthOfS2 = entryColumns([image('S2', '2024-01-22T10:00:00Z', 30)]);
    expect(groupVisits([monthOfS2, monthOfS1])).toEqual(expected);
  });

  it("sorts a store's images that come out of order (buckets of two areas of a moved store)", () => {
    const underOneArea = entryColumns([
      image('S1', '2024-01-21T12:00:00Z', 20, 1),
      image('S2', '2024-01-22T10:00:00Z', 30),
    ]);
    const underAnother = entryColumns([
      image('S1', '2024-01-21T12:00:00Z', 10, 0),
      image('S1', '2024-01-20T09:00:00Z', 5),
      image('S1', '2024-01-21T08:00:00Z', 1, 0, 2),
    ]);
    expect(groupVisits([underOneArea, underAnother])).toEqual(expected);
  });

  it('keeps the images within the time range only', () => {
    const month = entryColumns([image('S1', '2024-01-20T09:00:00Z', 5), image('S1', '2024-01-21T08:00:00Z', 1)]);
    expect(groupVisits([month], { fromMs: Date.parse('2024-01-21T00:00:00Z') })).toEqual([
      { storeId: 'S1', days: [{ date: '2024-01-21', perimeters: [1] }] },
    ]);
    expect(groupVisits([month], { untilMs: Date.parse('2024-01-20T09:00:00Z') })).toEqual([]);
  });

  it('answers no results for no images', () => {
    expect(groupVisits([])).toEqual([]);
  });
});
