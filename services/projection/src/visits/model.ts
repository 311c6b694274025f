import type { Db } from 'mongodb';
import type { RecordedEvent } from '@retail-pulse/shared/contracts';
import { bucketChangesOf, readModelCollections, type ProjectionState } from '@retail-pulse/shared/readModels';
import type { ReadModel } from '../readModel';
import { VisitBuckets } from './buckets';

/**
 * The visits read model: the visits query's buckets (per store and day, per area and day, their
 * directories), merged and written with each batch. An image's own result lives in the jobs
 * model's pages.
 */
export class VisitsModel implements ReadModel {
  readonly name = 'visits' as const;
  private deferred = false;
  private position = 0;
  private readonly names;
  private readonly buckets: VisitBuckets;

  constructor(
    private readonly db: Db,
    private readonly state: ProjectionState,
    readonly generation: number,
  ) {
    this.names = readModelCollections(generation);
    this.buckets = new VisitBuckets(db, this.names.visits);
  }

  get checkpoint(): number {
    return this.position;
  }

  get collections(): string[] {
    return [this.names.visits];
  }

  async load(): Promise<void> {
    this.position = (await this.state.checkpoint(this.name, this.generation)) ?? 0;
  }

  setDeferred(deferred: boolean): void {
    this.deferred = deferred;
    // Deferred means a rebuild into a generation of its own (see ReadModel.setDeferred).
    this.buckets.setStartsEmpty(deferred);
  }

  async fold(events: RecordedEvent[]): Promise<void> {
    const fresh = events.filter((event) => event.position > this.position);
    if (fresh.length === 0) return;
    await this.buckets.apply(fresh.flatMap(bucketChangesOf));
    if (!this.deferred || this.buckets.full) await this.buckets.write();
    this.position = fresh[fresh.length - 1]!.position;
    if (!this.deferred) await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }

  async flush(): Promise<void> {
    await this.buckets.write();
    await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }
}
