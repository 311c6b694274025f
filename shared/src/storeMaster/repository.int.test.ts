import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { parseStoreMaster } from './parse';
import { StoreMaster } from './repository';

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('stores');
});
afterEach(async () => {
  await environment.cleanup();
});

describe('StoreMaster on a real MongoDB-protocol server', () => {
  it('imports the shipped sample, and a re-import replaces the set', async () => {
    const storeMaster = new StoreMaster(environment.db);
    const sample = parseStoreMaster(await readFile(join(__dirname, '../../../infra/data/sample-stores.csv')));
    expect(await storeMaster.replaceAll(sample)).toEqual({ imported: 12, removed: 0 });
    expect(await storeMaster.replaceAll(sample)).toEqual({ imported: 12, removed: 0 });
    expect(await storeMaster.count()).toBe(12);
    expect(await storeMaster.findById('S01408764')).toEqual({
      storeId: 'S01408764',
      areaCode: '7100015',
      storeName: 'A.K ENTERPRISES, KIRANA',
    });

    const next = parseStoreMaster(
      Buffer.from(
        'store_id,store_name,area_code\r\nS01408764,"A.K ENTERPRISES, MAIN ROAD",7100099\r\nS7,NEW ONE,7100099\r\n',
      ),
    );
    expect(await storeMaster.replaceAll(next)).toEqual({ imported: 2, removed: 11 });
    expect(await storeMaster.count()).toBe(2);
    expect(await storeMaster.findById('S00339218')).toBeUndefined();
    expect(await storeMaster.findById('S01408764')).toEqual({
      storeId: 'S01408764',
      areaCode: '7100099',
      storeName: 'A.K ENTERPRISES, MAIN ROAD',
    });
    expect(await storeMaster.areaExists('7100099')).toBe(true);
    expect(await storeMaster.areaExists('7100015')).toBe(false);
  });

  it('lists the areas of a master stored before areas were kept apart, once, at start', async () => {
    await environment.db.collection('stores').insertMany([
      { _id: 'S1' as never, areaCode: '100', storeName: 'A', importId: 'old' },
      { _id: 'S2' as never, areaCode: '200', storeName: 'B', importId: 'old' },
    ]);
    const storeMaster = new StoreMaster(environment.db);
    expect(await storeMaster.areaExists('100')).toBe(false);
    await storeMaster.ensureAreas();
    expect([await storeMaster.areaExists('100'), await storeMaster.areaExists('200')]).toEqual([true, true]);
    expect(await storeMaster.areaExists('300')).toBe(false);
  });
});
