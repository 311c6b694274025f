import type { Db } from 'mongodb';
import { badRequest } from '@retail-pulse/shared/http';
import {
  ProjectionState,
  readModelCollections,
  ServedReadModels,
  type ReadModelCollections,
} from '@retail-pulse/shared/readModels';

/**
 * Which read-model generations to answer from. Re-read at most every `ttlMs`, so a replay's switch
 * to freshly built generations reaches every status API within that time.
 */
export class ActiveReadModels {
  private readonly state: ProjectionState;
  private readonly served: ServedReadModels;

  constructor(db: Db, ttlMs = 500) {
    this.state = new ProjectionState(db);
    this.served = new ServedReadModels(db, ttlMs);
  }

  /**
   * The collections of an explicitly requested generation (e.g. one rebuilt `--as-of` a past
   * time), or of the active ones when none is asked for.
   */
  async resolve(generation: unknown): Promise<ReadModelCollections> {
    if (generation === undefined) return this.current();
    const requested = typeof generation === 'string' && /^[1-9][0-9]{0,8}$/.test(generation) ? Number(generation) : NaN;
    const known =
      Number.isInteger(requested) &&
      ((await this.state.checkpoint('jobStatus', requested)) !== undefined ||
        (await this.state.checkpoint('visits', requested)) !== undefined);
    if (!known) throw badRequest(`unknown generation: ${String(generation)}`);
    return readModelCollections(requested);
  }

  current(): Promise<ReadModelCollections> {
    return this.served.current();
  }
}
