import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseStoreMaster, StoreMasterFormatError } from './parse';

describe('parseStoreMaster', () => {
  it('reads the snake_case header, quoted commas and doubled spaces', () => {
    const csv = 'area_code,store_name,store_id\n7100015,"A.A ENTP,",RP00010\n7100016,NEW  STAR,RP00011\n';
    expect(parseStoreMaster(csv)).toEqual([
      { areaCode: '7100015', storeName: 'A.A ENTP,', storeId: 'RP00010' },
      { areaCode: '7100016', storeName: 'NEW  STAR', storeId: 'RP00011' },
    ]);
  });

  it('reads the CamelCase header, a BOM, CRLF line ends and columns in any order', () => {
    const csv = '\uFEFFStoreID,AreaCode,StoreName\r\nS1,71,"X, Y ""Z"""\r\n\r\n';
    expect(parseStoreMaster(csv)).toEqual([{ storeId: 'S1', areaCode: '71', storeName: 'X, Y "Z"' }]);
  });

  it('reads the shipped sample', () => {
    const stores = parseStoreMaster(readFileSync(resolve(__dirname, '../../../infra/data/sample-stores.csv')));
    expect(stores).toHaveLength(12);
    expect(new Set(stores.map((store) => store.areaCode))).toEqual(new Set(['7100015', '7100016']));
    expect(stores.find((store) => store.storeId === 'S01408764')?.storeName).toBe('A.K ENTERPRISES, KIRANA');
  });

  it.each([
    ['', 'store master is empty'],
    ['a,b,c\n1,2,3\n', 'store master has no areaCode column'],
    ['area_code,store_name,store_id\n71,X,\n', 'store master line 2: store id and area code are required'],
    ['area_code,store_name,store_id\n71,X,S1\n71,Y,S1\n', 'store master line 3: duplicate store id S1'],
    ['area_code,store_name,store_id\n71,"X,S1\n', 'store master is not valid CSV'],
    [
      'area_code,store_name,store_id\n71,X,S1\n71,Y,"S\u001b[2J"\n',
      "store master line 3: store id must be 1 to 64 characters, each a letter A-Z or a-z, a digit, '-' or '_'",
    ],
    [
      'area_code,store_name,store_id\n"71 00",X,S1\n',
      "store master line 2: area code must be 1 to 64 characters, each a letter A-Z or a-z, a digit, '-' or '_'",
    ],
  ])('refuses %j', (csv, message) => {
    expect(() => parseStoreMaster(csv)).toThrow(StoreMasterFormatError);
    expect(() => parseStoreMaster(csv)).toThrow(message);
  });
});
