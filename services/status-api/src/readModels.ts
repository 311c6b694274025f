import type { Db } from 'mongodb';
import { activeCollections, ProjectionState, type ReadModelCollections } from '@retail-pulse/shared';

/**
 * Which read-model generations to answer from. Re-read at most every `ttlMs`, so a replay's switch
 * to freshly built generations reaches every status API within that time.
 */
export class ActiveReadModels {
  private cached: { names: ReadModelCollections; readAt: number } | undefined;
  private readonly state: ProjectionState;

  constructor(
    db: Db,
    private readonly ttlMs = 500,
  ) {
    this.state = new ProjectionState(db);
  }

  async current(): Promise<ReadModelCollections> {
    const now = Date.now();
    if (this.cached && now - this.cached.readAt < this.ttlMs) return this.cached.names;
    this.cached = { names: activeCollections(await this.state.active()), readAt: now };
    return this.cached.names;
  }
}
