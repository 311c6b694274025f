import { createHash } from 'node:crypto';
import type { Store } from './parse';

/** Stores per stored chunk: one JSON string each, so a version of ~5,000 stores is a few documents. */
export const STORES_PER_CHUNK = 2_000;

type PackedStore = [storeId: string, areaCode: string, storeName: string];

/** The stores in their canonical order (by id), so equal masters pack, chunk and hash the same. */
function canonical(stores: Iterable<Store>): Store[] {
  return [...stores].sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0));
}

/** Packs a master into JSON chunks of `perChunk` stores, in store-id order. Pure. */
export function packStores(stores: Iterable<Store>, perChunk = STORES_PER_CHUNK): string[] {
  const sorted = canonical(stores).map((store): PackedStore => [store.storeId, store.areaCode, store.storeName]);
  const chunks: string[] = [];
  for (let start = 0; start < sorted.length; start += perChunk) {
    chunks.push(JSON.stringify(sorted.slice(start, start + perChunk)));
  }
  return chunks;
}

/** Reads chunks written by `packStores` back into stores. */
export function unpackStores(chunks: string[]): Store[] {
  return chunks.flatMap((chunk) =>
    (JSON.parse(chunk) as PackedStore[]).map(([storeId, areaCode, storeName]) => ({ storeId, areaCode, storeName })),
  );
}

/** What a master holds, as a hash: the same stores, areas and names give the same checksum, in any order. */
export function storeMasterChecksum(stores: Iterable<Store>): string {
  return `sha256:${createHash('sha256').update(packStores(stores).join('\n')).digest('hex')}`;
}

/**
 * One version of the store master, whole, in memory: what a processor checks an image against and
 * what the visits query answers from. Immutable; a new version is a new snapshot, swapped in whole.
 */
export class StoreMasterSnapshot {
  private readonly byId = new Map<string, Store>();
  private readonly areas = new Set<string>();

  /** Version 0: no master yet (every store is unknown). */
  static readonly empty = new StoreMasterSnapshot(0, [], storeMasterChecksum([]));

  constructor(
    readonly version: number,
    stores: Iterable<Store>,
    readonly checksum: string,
  ) {
    for (const store of stores) {
      this.byId.set(store.storeId, store);
      this.areas.add(store.areaCode);
    }
  }

  get size(): number {
    return this.byId.size;
  }

  store(storeId: string): Store | undefined {
    return this.byId.get(storeId);
  }

  storeIds(): IterableIterator<string> {
    return this.byId.keys();
  }

  hasArea(areaCode: string): boolean {
    return this.areas.has(areaCode);
  }
}
