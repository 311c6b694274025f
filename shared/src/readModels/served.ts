import type { Db } from 'mongodb';
import { activeCollections, type ReadModelCollections } from './generations';
import { ProjectionState } from './projectionState';

/**
 * The collections of the read-model generations served now. Re-read at most every `ttlMs`, so a
 * replay's switch to freshly built generations reaches every reader within that time; the
 * requests that find it out of date meanwhile share one read (under the bench's status polls,
 * sixteen at a time, each had read it: a third of the status API's reads).
 */
export class ServedReadModels {
  private cached: { names: ReadModelCollections; readAt: number } | undefined;
  private reading: Promise<ReadModelCollections> | undefined;
  private readonly state: ProjectionState;

  constructor(
    db: Db,
    private readonly ttlMs = 500,
  ) {
    this.state = new ProjectionState(db);
  }

  current(): Promise<ReadModelCollections> {
    const now = Date.now();
    if (this.cached && now - this.cached.readAt < this.ttlMs) return Promise.resolve(this.cached.names);
    this.reading ??= this.state
      .active()
      .then((active) => {
        // As old as the moment the read began: a switch after it is seen by the next one.
        this.cached = { names: activeCollections(active), readAt: now };
        return this.cached.names;
      })
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }
}
