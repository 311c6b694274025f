import type { Collection, Db, MongoBulkWriteError } from 'mongodb';
import {
  subjectConflict,
  upcast,
  type DomainEvent,
  type RecordedEvent,
  type StoredEvent,
} from '@retail-pulse/shared/contracts';
import { collectionNames } from '@retail-pulse/shared/mongo';

/**
 * An event as stored: the envelope, its position in the one global order, when it was recorded,
 * and its `data` as JSON text. Text, not nested fields: on FerretDB a document's cost grows with
 * its field count, and a JobSubmitted carries every image URL (figures in docs/DATABASE.md).
 * `jobId` stays a field, for queries by hand.
 */
export interface EventLogDocument {
  _id: string;
  position: number;
  type: DomainEvent['type'];
  version: number;
  jobId: number;
  payload: string;
  metadata: DomainEvent['metadata'];
  recordedAt: Date;
}

export function toLogDocument(event: StoredEvent, position: number, recordedAt = new Date()): EventLogDocument {
  return {
    _id: event.eventId,
    position,
    type: event.type,
    version: event.version,
    jobId: event.data.jobId,
    payload: JSON.stringify(event.data),
    metadata: event.metadata,
    recordedAt,
  };
}

/** The event as it was recorded, in its original version. */
export function storedEventOf(document: EventLogDocument): StoredEvent {
  return {
    eventId: document._id,
    type: document.type,
    version: document.version,
    data: JSON.parse(document.payload),
    metadata: document.metadata,
  } as StoredEvent;
}

/**
 * Reads a logged event, upcast to the current version. The log holds only events validated when
 * they were appended or imported, so this trusts their shape and only upcasts (no schema check:
 * a replay reads millions).
 */
export function fromLogDocument(document: EventLogDocument): RecordedEvent {
  return { ...upcast(storedEventOf(document)), position: document.position };
}

/**
 * The append-only event log. `_id` is the event id, so an event appended twice is rejected by the
 * server: the first copy (and its position) wins.
 */
export class EventLog {
  readonly collection: Collection<EventLogDocument>;

  constructor(db: Db) {
    this.collection = db.collection<EventLogDocument>(collectionNames.events);
  }

  /**
   * Appends events at the given consecutive positions. Returns every event as recorded — new ones
   * at their new positions, duplicates of earlier appends at the position they already hold — and
   * the events refused: an id the log holds for a different subject (a job or an image other than
   * this event's) is never taken as a duplicate. `index` is the refused event's place in `events`.
   */
  async append(
    events: DomainEvent[],
    firstPosition: number,
  ): Promise<{ recorded: RecordedEvent[]; conflicts: Array<{ index: number; eventId: string; reason: string }> }> {
    const documents = events.map((event, index) => toLogDocument(event, firstPosition + index));
    const duplicates = new Set<number>();
    try {
      await this.collection.insertMany(documents, { ordered: false });
    } catch (error) {
      const writeErrors = (error as MongoBulkWriteError).writeErrors;
      const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
      if (list.length === 0 || !list.every((writeError) => writeError.code === 11000)) throw error;
      for (const writeError of list) duplicates.add(writeError.index);
    }
    const recorded: RecordedEvent[] = [];
    const conflicts: Array<{ index: number; eventId: string; reason: string }> = [];
    for (const [index, event] of events.entries()) {
      if (!duplicates.has(index)) {
        recorded.push({ ...event, position: firstPosition + index });
        continue;
      }
      const logged = await this.get(event.eventId);
      if (!logged) continue;
      const reason = subjectConflict(logged, event);
      if (reason)
        conflicts.push({ index, eventId: event.eventId, reason: `${reason} (logged at position ${logged.position})` });
      else recorded.push(logged);
    }
    return { recorded: recorded.sort((a, b) => a.position - b.position), conflicts };
  }

  async get(eventId: string): Promise<RecordedEvent | undefined> {
    const stored = await this.collection.findOne({ _id: eventId });
    return stored ? fromLogDocument(stored) : undefined;
  }

  /** Events above a position, in order, in pages (FerretDB sorts in memory; MongoDB uses the index). */
  async *readFrom(afterPosition: number, pageSize = 5_000): AsyncGenerator<RecordedEvent[]> {
    const cursor = this.collection.find({ position: { $gt: afterPosition } }).sort({ position: 1 });
    for await (const page of pages(cursor.batchSize(pageSize), pageSize)) yield page.map(fromLogDocument);
  }

  /**
   * The whole log as stored, in pages, for rebuilds. `natural` reads in storage order — a plain
   * streaming scan, far cheaper than a sort on FerretDB — and the caller must check the positions
   * increase (they do when the single writer appended them); otherwise it reads sorted by position.
   */
  scan(pageSize: number, order: 'natural' | 'position'): AsyncGenerator<EventLogDocument[]> {
    const cursor = order === 'natural' ? this.collection.find({}) : this.collection.find({}).sort({ position: 1 });
    return pages(cursor.batchSize(pageSize), pageSize);
  }

  async count(): Promise<number> {
    return this.collection.estimatedDocumentCount();
  }
}

/** Groups what a cursor yields into arrays of `size`. */
async function* pages<T>(documents: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let page: T[] = [];
  for await (const document of documents) {
    page.push(document);
    if (page.length >= size) {
      yield page;
      page = [];
    }
  }
  if (page.length > 0) yield page;
}
