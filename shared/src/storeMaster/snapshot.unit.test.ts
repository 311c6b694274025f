import { packStores, storeMasterChecksum, StoreMasterSnapshot, unpackStores } from './snapshot';

const stores = Array.from({ length: 5 }, (_, index) => ({
  storeId: `S${5 - index}`,
  areaCode: index < 2 ? '71' : '72',
  storeName: `STORE "${index}", MAIN ROAD`,
}));

describe('the packed store master', () => {
  it('packs stores in id order into chunks of JSON and reads them back', () => {
    const chunks = packStores(stores, 2);
    expect(chunks).toHaveLength(3);
    expect(JSON.parse(chunks[0]!)).toEqual([
      ['S1', '72', 'STORE "4", MAIN ROAD'],
      ['S2', '72', 'STORE "3", MAIN ROAD'],
    ]);
    expect(unpackStores(chunks)).toEqual([...stores].reverse());
    expect(packStores([])).toEqual([]);
  });

  it('hashes what a master holds, not the order of its file', () => {
    expect(storeMasterChecksum([...stores].reverse())).toBe(storeMasterChecksum(stores));
    const renamed = stores.map((store, index) => (index === 0 ? { ...store, storeName: 'OTHER' } : store));
    const moved = stores.map((store, index) => (index === 0 ? { ...store, areaCode: '73' } : store));
    expect(new Set([stores, renamed, moved, stores.slice(1)].map((master) => storeMasterChecksum(master))).size).toBe(
      4,
    );
  });
});

describe('a store-master snapshot', () => {
  it('answers stores and areas from memory', () => {
    const snapshot = new StoreMasterSnapshot(3, stores, storeMasterChecksum(stores));
    expect(snapshot.size).toBe(5);
    expect(snapshot.store('S5')).toEqual(stores[0]);
    expect(snapshot.store('S9')).toBeUndefined();
    expect([snapshot.hasArea('71'), snapshot.hasArea('72'), snapshot.hasArea('73')]).toEqual([true, true, false]);
    expect([...snapshot.storeIds()].sort()).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
  });

  it('is empty, version 0, before any import', () => {
    expect(StoreMasterSnapshot.empty.version).toBe(0);
    expect(StoreMasterSnapshot.empty.store('S1')).toBeUndefined();
  });
});
