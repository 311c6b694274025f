import type { Db } from 'mongodb';
import type { StoreMasterBody } from '@retail-pulse/shared/contracts/api';
import { StoreMasterVersions, type StoreMaster, type StoreMasterDescription } from '@retail-pulse/shared/storeMaster';

/**
 * `GET /api/ops/store-master`: the version this process holds (the one every check uses now) and
 * what its import recorded. Versions are immutable, so each one's description is read once.
 */
export class StoreMasterStatus {
  private readonly versions: StoreMasterVersions;
  private described: StoreMasterDescription | undefined;

  constructor(
    db: Db,
    private readonly storeMaster: StoreMaster,
  ) {
    this.versions = new StoreMasterVersions(db);
  }

  async body(): Promise<StoreMasterBody> {
    const { snapshot } = this.storeMaster;
    if (snapshot.version === 0) {
      return { version: 0, stores: 0, areas: 0, checksum: snapshot.checksum, source: null, imported_at: null };
    }
    if (this.described?.version !== snapshot.version) this.described = await this.versions.describe(snapshot.version);
    return {
      version: snapshot.version,
      stores: snapshot.size,
      areas: this.described?.areas ?? 0,
      checksum: snapshot.checksum,
      source: this.described?.source ?? null,
      imported_at: this.described?.importedAt ?? null,
    };
  }
}
