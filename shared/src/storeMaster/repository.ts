import type { Db, MongoServerError } from 'mongodb';
import { collectionNames, insertIdempotent } from '../mongo/database';
import type { Store } from './parse';
import { packStores, storeMasterChecksum, StoreMasterSnapshot, unpackStores } from './snapshot';

/**
 * The documents of `store_masters`, every one read by `_id` (docs/DATABASE.md): `current` names
 * the version in use, `v<N>` describes version N, `v<N>.<i>` holds its i-th chunk of stores as one
 * JSON string. Versions are immutable once `current` has named them.
 */
interface CurrentDocument {
  _id: 'current';
  version: number;
  stores: number;
  checksum: string;
}
interface VersionDocument {
  _id: string;
  version: number;
  stores: number;
  areas: number;
  chunks: number;
  checksum: string;
  source: string;
  importedAt: string;
}
interface ChunkDocument {
  _id: string;
  stores: string;
}
type StoreMasterDocument = CurrentDocument | VersionDocument | ChunkDocument;

export interface StoreMasterVersion {
  version: number;
  stores: number;
  checksum: string;
}

export interface StoreMasterDescription extends StoreMasterVersion {
  areas: number;
  /** The file (or what else) it was imported from. */
  source: string;
  importedAt: string;
}

export interface ImportResult extends StoreMasterVersion {
  /** False when the master was already current: nothing was written. */
  created: boolean;
  /** Stores of the previous version that this one no longer holds. */
  removed: number;
  areas: number;
}

const versionKey = (version: number) => `v${version}`;
const chunkKey = (version: number, index: number) => `v${version}.${index}`;
const DUPLICATE_KEY = 11000;

/** The store master's versions in MongoDB: written whole by an import, read whole by every process. */
export class StoreMasterVersions {
  constructor(private readonly db: Db) {}

  private get collection() {
    return this.db.collection<StoreMasterDocument>(collectionNames.storeMasters);
  }

  /** The version in use, or undefined before the first import. One read by `_id`. */
  async current(): Promise<StoreMasterVersion | undefined> {
    const document = (await this.collection.findOne({ _id: 'current' })) as CurrentDocument | null;
    return document ? { version: document.version, stores: document.stores, checksum: document.checksum } : undefined;
  }

  /** What an import recorded of a version (its size, source and time), without its stores. One read by `_id`. */
  async describe(version: number): Promise<StoreMasterDescription | undefined> {
    const header = (await this.collection.findOne({ _id: versionKey(version) })) as VersionDocument | null;
    if (!header) return undefined;
    const { version: number, stores, areas, checksum, source, importedAt } = header;
    return { version: number, stores, areas, checksum, source, importedAt };
  }

  /** Reads a whole version: its description, then its chunks, each by `_id`. */
  async load(version: number): Promise<StoreMasterSnapshot> {
    const header = (await this.collection.findOne({ _id: versionKey(version) })) as VersionDocument | null;
    if (!header) throw new Error(`store master version ${version} is not stored`);
    const chunks = await Promise.all(
      Array.from({ length: header.chunks }, async (_, index) => {
        const chunk = (await this.collection.findOne({ _id: chunkKey(version, index) })) as ChunkDocument | null;
        if (!chunk) throw new Error(`store master version ${version} lacks chunk ${index}`);
        return chunk.stores;
      }),
    );
    const stores = unpackStores(chunks);
    if (stores.length !== header.stores || storeMasterChecksum(stores) !== header.checksum) {
      throw new Error(`store master version ${version} does not match its checksum`);
    }
    return new StoreMasterSnapshot(version, stores, header.checksum);
  }

  /** The version in use, whole; the empty master (version 0) before the first import. */
  async loadCurrent(): Promise<StoreMasterSnapshot> {
    const current = await this.current();
    return current ? this.load(current.version) : StoreMasterSnapshot.empty;
  }

  /**
   * Makes `stores` the current master as a new version, unless it is the current one already
   * (then nothing is written). The version's chunks are written before `current` names it, so a
   * reader never sees a partial version. Two importers of the same stores at once (several
   * processors seeding) write the same documents and agree on one version; importers of different
   * stores take different versions, and `current` only ever moves forward.
   */
  async importVersion(stores: Store[], source: string): Promise<ImportResult> {
    const checksum = storeMasterChecksum(stores);
    const areas = new Set(stores.map((store) => store.areaCode)).size;
    const current = await this.current();
    if (current?.checksum === checksum) return { ...current, created: false, removed: 0, areas };
    const previous = current ? await this.load(current.version) : StoreMasterSnapshot.empty;
    const chunks = packStores(stores);
    let version = (current?.version ?? 0) + 1;
    for (;;) {
      const header: VersionDocument = {
        _id: versionKey(version),
        version,
        stores: stores.length,
        areas,
        chunks: chunks.length,
        checksum,
        source,
        importedAt: new Date().toISOString(),
      };
      const claimed = await this.collection.insertOne(header).then(
        () => true,
        async (error: MongoServerError) => {
          if (error.code !== DUPLICATE_KEY) throw error;
          const existing = (await this.collection.findOne({ _id: versionKey(version) })) as VersionDocument | null;
          return existing?.checksum === checksum; // the same master from a concurrent importer: write it too
        },
      );
      if (claimed) break;
      version++;
    }
    await insertIdempotent(
      this.collection,
      chunks.map((chunk, index): ChunkDocument => ({ _id: chunkKey(version, index), stores: chunk })),
    );
    await this.makeCurrent({ version, stores: stores.length, checksum });
    const kept = new Set(stores.map((store) => store.storeId));
    let removed = 0;
    for (const storeId of previous.storeIds()) if (!kept.has(storeId)) removed++;
    return { version, stores: stores.length, checksum, created: true, removed, areas };
  }

  /** Names `version` current unless a later one already is (an upsert that finds a later one collides on `_id`). */
  private async makeCurrent(version: StoreMasterVersion): Promise<void> {
    await this.collection
      .updateOne({ _id: 'current', version: { $lt: version.version } }, { $set: version }, { upsert: true })
      .catch((error: MongoServerError) => {
        if (error.code !== DUPLICATE_KEY) throw error;
      });
  }

  /**
   * An installation from before versions kept its master as one document per store in `stores`:
   * that set becomes version 1, once. Safe with several processes at once (they write the same version).
   */
  async migrateLegacy(): Promise<ImportResult | undefined> {
    if (await this.current()) return undefined;
    const legacy = await this.db
      .collection<{ _id: string; areaCode: string; storeName: string }>(collectionNames.stores)
      .find({})
      .toArray();
    if (legacy.length === 0) return undefined;
    return this.importVersion(
      legacy.map((document) => ({ storeId: document._id, areaCode: document.areaCode, storeName: document.storeName })),
      `the ${collectionNames.stores} collection (before versions)`,
    );
  }
}
