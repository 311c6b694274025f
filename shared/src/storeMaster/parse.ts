import { parse } from 'csv-parse/sync';
import { IDENTIFIER_RULE, isIdentifier } from '../contracts/identifiers';

export interface Store {
  storeId: string;
  storeName: string;
  areaCode: string;
}

export class StoreMasterFormatError extends Error {}

/** `StoreID`, `store_id`, `Store Id` and `STOREID` all name the same column. */
function normalizeHeader(header: string): string {
  return header
    .replace(/^\uFEFF/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

const requiredColumns = { areacode: 'areaCode', storename: 'storeName', storeid: 'storeId' } as const;

/**
 * Parses a store-master CSV: header spelling and case vary, fields may be quoted and hold commas,
 * lines may end in CRLF. Names keep their inner spacing (it is how the stores are registered).
 */
export function parseStoreMaster(csv: string | Buffer): Store[] {
  let rows: string[][];
  try {
    rows = parse(csv, { bom: true, skip_empty_lines: true, relax_column_count: false, trim: false });
  } catch (error) {
    throw new StoreMasterFormatError(`store master is not valid CSV: ${(error as Error).message}`);
  }
  const [header, ...records] = rows;
  if (!header) throw new StoreMasterFormatError('store master is empty');
  const columnIndex = new Map(header.map((name, index) => [normalizeHeader(name), index]));
  const indexOf = (column: keyof typeof requiredColumns): number => {
    const index = columnIndex.get(column);
    if (index === undefined) {
      throw new StoreMasterFormatError(
        `store master has no ${requiredColumns[column]} column (header: ${header.join(',')})`,
      );
    }
    return index;
  };
  const area = indexOf('areacode');
  const name = indexOf('storename');
  const id = indexOf('storeid');
  const seen = new Set<string>();
  return records.map((record, row) => {
    const storeId = record[id]?.trim() ?? '';
    const areaCode = record[area]?.trim() ?? '';
    if (!storeId || !areaCode) {
      throw new StoreMasterFormatError(`store master line ${row + 2}: store id and area code are required`);
    }
    // A store whose id a submit would refuse could never be visited: the file is wrong, say where.
    for (const [what, value] of [
      ['store id', storeId],
      ['area code', areaCode],
    ] as const) {
      if (!isIdentifier(value))
        throw new StoreMasterFormatError(`store master line ${row + 2}: ${what} ${IDENTIFIER_RULE}`);
    }
    if (seen.has(storeId))
      throw new StoreMasterFormatError(`store master line ${row + 2}: duplicate store id ${storeId}`);
    seen.add(storeId);
    return { storeId, areaCode, storeName: record[name]?.trim() ?? '' };
  });
}
