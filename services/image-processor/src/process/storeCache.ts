import type { Store, StoreMaster } from '@retail-pulse/shared/storeMaster';

const NEGATIVE_TTL_MS = 5_000;

/**
 * The store master held in memory: loaded once, then a miss asks the database (a store imported
 * since start is found), and a store known to be missing is not asked for again for a few seconds.
 */
export class StoreCache {
  private readonly known = new Map<string, Store>();
  private readonly missing = new Map<string, number>();

  constructor(private readonly storeMaster: StoreMaster) {}

  async load(): Promise<number> {
    for (const store of await this.storeMaster.all()) this.known.set(store.storeId, store);
    return this.known.size;
  }

  async lookup(storeId: string): Promise<Store | undefined> {
    const cached = this.known.get(storeId);
    if (cached) return cached;
    const missingSince = this.missing.get(storeId);
    if (missingSince !== undefined && Date.now() - missingSince < NEGATIVE_TTL_MS) return undefined;
    const store = await this.storeMaster.findById(storeId);
    if (store) {
      this.known.set(storeId, store);
      this.missing.delete(storeId);
    } else this.missing.set(storeId, Date.now());
    return store;
  }
}
