import type { Db, MongoBulkWriteError } from 'mongodb';
import { collectionNames } from '../mongo/database';
import type { Store } from './parse';

interface StoreDocument {
  _id: string;
  areaCode: string;
  storeName: string;
  importId: string;
}

const IMPORT_BATCH = 1_000;

/** The store master in MongoDB: one document per store, keyed by store id. */
export class StoreMaster {
  constructor(private readonly db: Db) {}

  private get collection() {
    return this.db.collection<StoreDocument>(collectionNames.stores);
  }

  private get areas() {
    return this.db.collection<{ _id: string }>(collectionNames.storeAreas);
  }

  /**
   * Replaces the whole set with `stores`. New ids are inserted, then the previous set is removed,
   * so a re-import of the same file is a no-op for readers and stores never blink out of existence.
   */
  async replaceAll(stores: Store[]): Promise<{ imported: number; removed: number }> {
    const importId = new Date().toISOString();
    const existing = new Map<string, StoreDocument>();
    for await (const document of this.collection.find({})) existing.set(document._id, document);
    const toInsert: StoreDocument[] = [];
    const toUpdate: StoreDocument[] = [];
    for (const store of stores) {
      const document = { _id: store.storeId, areaCode: store.areaCode, storeName: store.storeName, importId };
      const previous = existing.get(store.storeId);
      existing.delete(store.storeId);
      if (!previous) toInsert.push(document);
      else if (previous.areaCode !== store.areaCode || previous.storeName !== store.storeName) toUpdate.push(document);
    }
    // Areas of the new set first, so no store's area is ever missing; areas left empty go last.
    const areaCodes = new Set(stores.map((store) => store.areaCode));
    await this.addAreas(areaCodes);
    for (let start = 0; start < toInsert.length; start += IMPORT_BATCH) {
      await this.collection
        .insertMany(toInsert.slice(start, start + IMPORT_BATCH), { ordered: false })
        .catch(ignoreDuplicates);
    }
    for (const document of toUpdate) await this.collection.replaceOne({ _id: document._id }, document);
    const removedIds = [...existing.keys()];
    for (let start = 0; start < removedIds.length; start += IMPORT_BATCH) {
      await this.collection.deleteMany({ _id: { $in: removedIds.slice(start, start + IMPORT_BATCH) } });
    }
    const formerAreas = (await this.areas.find({}).toArray())
      .map((area) => area._id)
      .filter((id) => !areaCodes.has(id));
    if (formerAreas.length > 0) await this.areas.deleteMany({ _id: { $in: formerAreas } });
    return { imported: stores.length, removed: removedIds.length };
  }

  async count(): Promise<number> {
    return this.collection.countDocuments({});
  }

  async findById(storeId: string): Promise<Store | undefined> {
    const document = await this.collection.findOne({ _id: storeId });
    return document ? toStore(document) : undefined;
  }

  /** Lists the areas of a store master imported before they were kept apart (once; a scan of the stores). */
  async ensureAreas(): Promise<void> {
    if ((await this.areas.findOne({})) !== null) return;
    await this.addAreas(new Set((await this.all()).map((store) => store.areaCode)));
  }

  private async addAreas(areaCodes: Set<string>): Promise<void> {
    if (areaCodes.size === 0) return;
    await this.areas
      .insertMany(
        [...areaCodes].map((_id) => ({ _id })),
        { ordered: false },
      )
      .catch(ignoreDuplicates);
  }

  async areaExists(areaCode: string): Promise<boolean> {
    return (await this.areas.findOne({ _id: areaCode })) !== null;
  }

  async all(): Promise<Store[]> {
    return (await this.collection.find({}).toArray()).map(toStore);
  }
}

function toStore(document: StoreDocument): Store {
  return { storeId: document._id, areaCode: document.areaCode, storeName: document.storeName };
}

/** Two importers racing (several processors seeding at once) insert the same stores: that is fine. */
function ignoreDuplicates(error: MongoBulkWriteError): void {
  const writeErrors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  if (!writeErrors.every((writeError) => writeError?.code === 11000)) throw error;
}
