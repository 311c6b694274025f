import type { Db } from 'mongodb';
import type { RecordedEvent } from '@retail-pulse/shared/contracts';
import {
  bucketChangesOf,
  cancellationsFromJson,
  cancellationsToJson,
  CANCELLATIONS_KEY,
  countedForVisits,
  readModelCollections,
  type Cancellations,
  type ProjectionState,
  type VisitBucketDocument,
} from '@retail-pulse/shared/readModels';
import type { ReadModel } from '../readModel';
import { VisitBuckets } from './buckets';

/**
 * The visits read model: the visits query's buckets (per store and day, per area and day, their
 * directories), merged and written with each batch. An image's own result lives in the jobs
 * model's pages. Outcomes recorded after their job's cancellation are left out
 * (`countedForVisits`); the cancellations are one document of the visits collection, held in
 * memory (a handful of bytes per cancelled job).
 */
export class VisitsModel implements ReadModel {
  readonly name = 'visits' as const;
  private deferred = false;
  private position = 0;
  private readonly names;
  private readonly buckets: VisitBuckets;
  private cancellations: Cancellations = new Map();
  /** The cancellations changed since they were last written. */
  private cancellationsDirty = false;

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

  private get visitsCollection() {
    return this.db.collection<VisitBucketDocument>(this.names.visits);
  }

  async load(): Promise<void> {
    this.position = (await this.state.checkpoint(this.name, this.generation)) ?? 0;
    const stored = await this.visitsCollection.findOne({ _id: CANCELLATIONS_KEY });
    this.cancellations = cancellationsFromJson(stored?.entries);
    this.cancellationsDirty = false;
  }

  setDeferred(deferred: boolean): void {
    this.deferred = deferred;
    // Deferred means a rebuild into a generation of its own (see ReadModel.setDeferred).
    this.buckets.setStartsEmpty(deferred);
  }

  async fold(events: RecordedEvent[]): Promise<void> {
    const fresh = events.filter((event) => event.position > this.position);
    if (fresh.length === 0) return;
    const { counted, cancellations } = countedForVisits(fresh, this.cancellations);
    await this.buckets.apply(counted.flatMap(bucketChangesOf));
    if (!this.deferred || this.buckets.full) await this.buckets.write();
    if (cancellations !== this.cancellations) {
      this.cancellations = cancellations;
      this.cancellationsDirty = true;
    }
    if (!this.deferred) await this.writeCancellations();
    this.position = fresh[fresh.length - 1]!.position;
    if (!this.deferred) await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }

  async flush(): Promise<void> {
    await this.buckets.write();
    await this.writeCancellations();
    await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }

  private async writeCancellations(): Promise<void> {
    if (!this.cancellationsDirty) return;
    await this.visitsCollection.replaceOne(
      { _id: CANCELLATIONS_KEY },
      { entries: cancellationsToJson(this.cancellations) },
      { upsert: true },
    );
    this.cancellationsDirty = false;
  }
}
