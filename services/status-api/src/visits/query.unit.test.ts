import { storeMasterChecksum, StoreMasterSnapshot } from '@retail-pulse/shared/storeMaster';
import { underCurrentMaster } from './query';

const visitsOf = (storeId: string, areaCode: string) => ({
  storeId,
  areaCode,
  storeName: `OLD ${storeId}`,
  days: [{ date: '2024-01-21', perimeters: [10] }],
});

describe('visits under the current store master', () => {
  const stores = [
    { storeId: 'S1', areaCode: '71', storeName: 'ONE' },
    { storeId: 'S2', areaCode: '72', storeName: 'TWO, MOVED' },
  ];
  const master = new StoreMasterSnapshot(2, stores, storeMasterChecksum(stores));
  const found = [visitsOf('S1', '71'), visitsOf('S2', '71'), visitsOf('S3', '71')];

  it('lists a moved store in its new area only, and a removed store nowhere', () => {
    expect(underCurrentMaster(found, master, '71').map((visits) => visits.storeId)).toEqual(['S1']);
    expect(underCurrentMaster(found, master, '72')).toEqual([{ ...visitsOf('S2', '72'), storeName: 'TWO, MOVED' }]);
    expect(underCurrentMaster(found, master).map((visits) => [visits.storeId, visits.areaCode])).toEqual([
      ['S1', '71'],
      ['S2', '72'],
    ]);
  });
});
