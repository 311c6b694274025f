import type { Db } from 'mongodb';
import type { RecordedEvent } from '@retail-pulse/shared/contracts';
import { insertIdempotent } from '@retail-pulse/shared/mongo';
import {
  imageRecordOf,
  readModelCollections,
  type ImageRecordDocument,
  type ProjectionState,
} from '@retail-pulse/shared/readModels';
import type { ReadModel } from '../readModel';

/** The visits read model: one record per settled image, inserted once under its image id. */
export class VisitsModel implements ReadModel {
  readonly name = 'visits' as const;
  private deferred = false;
  private position = 0;
  private readonly collection: string;

  constructor(
    private readonly db: Db,
    private readonly state: ProjectionState,
    readonly generation: number,
  ) {
    this.collection = readModelCollections(generation).images;
  }

  get checkpoint(): number {
    return this.position;
  }

  get collections(): string[] {
    return [this.collection];
  }

  async load(): Promise<void> {
    this.position = (await this.state.checkpoint(this.name, this.generation)) ?? 0;
  }

  setDeferred(deferred: boolean): void {
    this.deferred = deferred;
  }

  async fold(events: RecordedEvent[]): Promise<void> {
    const fresh = events.filter((event) => event.position > this.position);
    if (fresh.length === 0) return;
    const images: ImageRecordDocument[] = [];
    for (const event of fresh) {
      const record = imageRecordOf(event);
      if (record) images.push(record);
    }
    await insertIdempotent(this.db.collection<ImageRecordDocument>(this.collection), images);
    this.position = fresh[fresh.length - 1]!.position;
    if (!this.deferred) await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }

  async flush(): Promise<void> {
    await this.state.saveCheckpoint(this.name, this.generation, this.position);
  }
}
