import type { Db } from 'mongodb';
import {
  collectionNames,
  readModelCollections,
  type ActiveGenerationDocument,
  type ReadModelCollections,
} from '@retail-pulse/shared';

/**
 * Which read-model generation to answer from. Re-read at most every `ttlMs`, so a replay's switch
 * to a freshly built generation reaches every status API within that time.
 */
export class ActiveReadModels {
  private cached: { generation: number; names: ReadModelCollections; readAt: number } | undefined;

  constructor(
    private readonly db: Db,
    private readonly ttlMs = 500,
  ) {}

  async current(): Promise<ReadModelCollections> {
    const now = Date.now();
    if (this.cached && now - this.cached.readAt < this.ttlMs) return this.cached.names;
    const active = await this.db
      .collection<ActiveGenerationDocument>(collectionNames.projectionState)
      .findOne({ _id: 'active' });
    const generation = active?.generation ?? 1;
    this.cached = { generation, names: readModelCollections(generation), readAt: now };
    return this.cached.names;
  }
}
