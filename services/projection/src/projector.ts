import type { Db } from 'mongodb';
import { collectionNames, type ActiveGenerationDocument, type DomainEvent, type Logger } from '@retail-pulse/shared';
import { EventLog } from './eventLog';
import { ReadModelStore } from './readModelStore';

/** Reads (creating on first start) which read-model generation the API serves. */
export async function activeGeneration(db: Db): Promise<number> {
  const states = db.collection<ActiveGenerationDocument>(collectionNames.projectionState);
  const active = await states.findOne({ _id: 'active' });
  if (active) return active.generation;
  await states.insertOne({ _id: 'active', generation: 1 }).catch(() => undefined);
  return (await states.findOne({ _id: 'active' }))?.generation ?? 1;
}

/**
 * The single writer of the event log and the read models: appends each batch of events at the
 * next positions, then folds what it appended. On start it folds whatever the log holds beyond
 * the checkpoint (events appended just before a crash), so nothing is skipped or applied twice.
 */
export class Projector {
  readonly log: EventLog;
  private nextPosition = 1;
  private eventsFolded = 0;

  constructor(
    private readonly store: ReadModelStore,
    db: Db,
    private readonly logger: Logger,
  ) {
    this.log = new EventLog(db);
  }

  get status() {
    return {
      generation: this.store.generation,
      lastFoldedPosition: this.store.checkpoint,
      nextPosition: this.nextPosition,
      ongoingJobs: this.store.ongoingJobs,
      eventsFolded: this.eventsFolded,
    };
  }

  async start(): Promise<void> {
    await this.store.load();
    let caughtUp = 0;
    for await (const page of this.log.readFrom(this.store.checkpoint)) {
      await this.store.fold(page, { verifyTerminal: true });
      caughtUp += page.length;
    }
    this.nextPosition = Math.max(this.store.reservedThrough, this.store.checkpoint) + 1;
    this.logger.info(
      { checkpoint: this.store.checkpoint, caughtUp, nextPosition: this.nextPosition },
      'projection ready',
    );
  }

  /** Appends and folds one batch. Safe to call again with the same events after a failure. */
  async project(events: DomainEvent[]): Promise<void> {
    const unique = [...new Map(events.map((event) => [event.eventId, event])).values()];
    if (unique.length === 0) return;
    const first = this.nextPosition;
    const last = first + unique.length - 1;
    // Positions are reserved before they are used, so a restart never hands them out twice.
    await this.store.saveState({ reservedThrough: last });
    this.nextPosition = last + 1;
    const recorded = await this.log.append(unique, first);
    await this.store.fold(recorded, { verifyTerminal: false });
    this.eventsFolded += unique.length;
  }
}
