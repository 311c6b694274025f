import type { Db } from 'mongodb';
import { activeCollections, type ReadModelCollections } from './generations';
import { ProjectionState } from './projectionState';

/**
 * The collections of the read-model generations served now. Re-read at most every `ttlMs`, so a
 * replay's switch to freshly built generations reaches every reader within that time.
 */
export class ServedReadModels {
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
