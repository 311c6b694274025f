import type { Db } from 'mongodb';
import type { Logger } from '@retail-pulse/shared/config';
import type { DomainEvent, StoredEvent } from '@retail-pulse/shared/contracts';
import { collectionNames } from '@retail-pulse/shared/mongo';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { EventLog } from './eventLog';
import type { LoggedEvent } from './pages';

/** An event as the log first kept it: one document each, its `data` as JSON text. */
export interface LegacyEventDocument {
  _id: string;
  position: number;
  type: DomainEvent['type'];
  version: number;
  jobId: number;
  payload: string;
  metadata: DomainEvent['metadata'];
  recordedAt: Date;
}

function loggedOf(document: LegacyEventDocument): LoggedEvent {
  return {
    position: document.position,
    recordedAt: document.recordedAt.toISOString(),
    event: {
      eventId: document._id,
      type: document.type,
      version: document.version,
      data: JSON.parse(document.payload),
      metadata: document.metadata,
    } as StoredEvent,
  };
}

export class LegacyLogPending extends Error {}

/**
 * Whether the log still waits in the old layout (one document per event) for the projection to
 * move it into pages. Readers other than the projection refuse such a log rather than read half.
 */
export async function legacyLogPending(db: Db): Promise<boolean> {
  if (await new ProjectionState(db).logPaged()) return false;
  return (await db.collection(collectionNames.legacyEvents).findOne({}, { projection: { _id: 1 } })) !== null;
}

/**
 * Moves a log kept one document per event into pages, once, at the projection's start (it is the
 * log's only writer). An interrupted move starts over; the old collection is left as it was, so
 * nothing is lost, and may be dropped by hand afterwards. Returns the events moved.
 */
export async function moveLegacyLog(db: Db, logger: Logger): Promise<number> {
  const state = new ProjectionState(db);
  if (await state.logPaged()) return 0;
  if (!(await legacyLogPending(db))) {
    await state.markLogPaged(0);
    return 0;
  }
  const legacy = db.collection<LegacyEventDocument>(collectionNames.legacyEvents);
  const total = await legacy.estimatedDocumentCount();
  logger.warn({ events: total }, 'moving the event log into pages (once; the old collection is kept)');
  const log = new EventLog(db);
  await log.pages.deleteMany({});
  await log.ids.deleteMany({});
  let moved = 0;
  let highestJobId = 0;
  let highest = 0;
  let batch: LoggedEvent[] = [];
  const flush = async () => {
    await log.appendLogged(batch);
    moved += batch.length;
    batch = [];
  };
  // Sorted by position: FerretDB sorts in memory, acceptable once; MongoDB uses the position index.
  for await (const document of legacy.find({}).sort({ position: 1 }).batchSize(5_000)) {
    const logged = loggedOf(document);
    batch.push(logged);
    highest = Math.max(highest, logged.position);
    if (logged.event.type === 'JobSubmitted') highestJobId = Math.max(highestJobId, logged.event.data.jobId);
    if (batch.length >= 5_000) await flush();
  }
  await flush();
  const marks = await state.logState();
  await state.reserveThrough(Math.max(marks.reservedThrough, highest), Math.max(marks.highestJobId ?? 0, highestJobId));
  await state.markLogPaged(moved);
  logger.warn({ events: moved }, 'moved the event log into pages');
  return moved;
}
