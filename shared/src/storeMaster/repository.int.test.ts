import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { StoreMaster } from './current';
import { parseStoreMaster, type Store } from './parse';
import { StoreMasterVersions } from './repository';
import { STORES_PER_CHUNK } from './snapshot';

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('stores');
});
afterEach(async () => {
  await environment.cleanup();
});

const many = (count: number, area = '71'): Store[] =>
  Array.from({ length: count }, (_, index) => ({ storeId: `RP${index}`, areaCode: area, storeName: `STORE ${index}` }));

describe('store-master versions on a real MongoDB-protocol server', () => {
  it('keep each import whole as a new version, and a re-import of the same master is no new version', async () => {
    const versions = new StoreMasterVersions(environment.db);
    const sample = parseStoreMaster(await readFile(join(__dirname, '../../../infra/data/sample-stores.csv')));
    expect(await versions.current()).toBeUndefined();
    expect((await versions.loadCurrent()).version).toBe(0);
    expect(await versions.importVersion(sample, 'sample')).toMatchObject({
      version: 1,
      stores: 12,
      areas: 2,
      created: true,
      removed: 0,
    });
    expect(await versions.importVersion([...sample].reverse(), 'sample again')).toMatchObject({
      version: 1,
      created: false,
    });
    const next = [...many(STORES_PER_CHUNK + 5, '72'), { ...sample[0]!, areaCode: '99' }];
    expect(await versions.importVersion(next, 'bigger')).toMatchObject({ version: 2, created: true, removed: 11 });
    const current = await versions.loadCurrent();
    expect([current.version, current.size]).toEqual([2, STORES_PER_CHUNK + 6]);
    expect(current.store(sample[0]!.storeId)?.areaCode).toBe('99');
    expect(current.store(sample[1]!.storeId)).toBeUndefined();
    // Version 1 is still there, unchanged: what images checked against it were checked against.
    const first = await versions.load(1);
    expect(first.store(sample[1]!.storeId)).toEqual(sample[1]);
  });

  it('agree on one version when several processes import the same master at once', async () => {
    const stores = many(4_944);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => new StoreMasterVersions(environment.db).importVersion(stores, 'seed')),
    );
    expect(results.map((result) => result.version)).toEqual([1, 1, 1, 1]);
    expect((await new StoreMasterVersions(environment.db).loadCurrent()).size).toBe(4_944);
  });

  it('make version 1 of a master stored before versions, once, with several processes at once', async () => {
    await environment.db.collection('stores').insertMany([
      { _id: 'S1' as never, areaCode: '100', storeName: 'A', importId: 'old' },
      { _id: 'S2' as never, areaCode: '200', storeName: 'B', importId: 'old' },
    ]);
    const migrated = await Promise.all(
      Array.from({ length: 3 }, () => new StoreMasterVersions(environment.db).migrateLegacy()),
    );
    expect(migrated.map((result) => result?.version)).toEqual([1, 1, 1]);
    const versions = new StoreMasterVersions(environment.db);
    expect(await versions.migrateLegacy()).toBeUndefined();
    const current = await versions.loadCurrent();
    expect([current.version, current.store('S2')?.areaCode, current.hasArea('100')]).toEqual([1, '200', true]);
  });
});

describe('the store master a process holds', () => {
  it('swaps to a new version whole when told, and finds one it was not told of on its next read', async () => {
    const versions = new StoreMasterVersions(environment.db);
    await versions.importVersion(many(3), 'first');
    const master = new StoreMaster(environment.db);
    const before = await master.start(60_000);
    try {
      expect([before.version, before.size]).toEqual([1, 3]);
      await versions.importVersion(many(2, '72'), 'second');
      expect(master.snapshot).toBe(before); // nothing read yet: the old master, whole
      await master.noticed(2);
      expect([master.snapshot.version, master.snapshot.size, master.snapshot.hasArea('71')]).toEqual([2, 2, false]);
      expect(before.size).toBe(3); // a snapshot in use is never changed under its reader
      await versions.importVersion(many(7), 'third, its notice lost');
      await master.refresh();
      expect([master.snapshot.version, master.snapshot.size]).toEqual([3, 7]);
      await master.noticed(3);
      expect(master.snapshot.version).toBe(3);
    } finally {
      master.stop();
    }
  });
});
