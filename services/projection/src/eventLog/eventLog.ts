import type { Collection, Db } from 'mongodb';
import {
  subjectConflict,
  type DomainEvent,
  type RecordedEvent,
  type StoredEvent,
} from '@retail-pulse/shared/contracts';
import { collectionNames, duplicateIndexes } from '@retail-pulse/shared/mongo';
import {
  addToPage,
  decodePage,
  emptyPage,
  encodePage,
  isFull,
  pageKey,
  recordedOf,
  reopenPage,
  type EventIdDocument,
  type EventPageDocument,
  type LoggedEvent,
  type OpenPage,
} from './pages';

export interface AppendResult {
  /** Every event as recorded: new ones at their new positions, repeats at the position they hold. */
  recorded: RecordedEvent[];
  /** Events whose id the log holds for another subject; `index` is the event's place in the batch. */
  conflicts: Array<{ index: number; eventId: string; reason: string }>;
}

/**
 * The append-only event log, in pages (pages.ts). Every event id is inserted into `event_ids`
 * before its page is written, so an event appended twice is refused by the server and the first
 * copy (and its position) wins. An id whose page was never written — the writer died between the
 * two — is found out when the event comes again (no page holds its position), and the event is
 * then appended. Readers follow the pages by `_id`, in order; one instance writes (the projection).
 */
export class EventLog {
  readonly pages: Collection<EventPageDocument>;
  readonly ids: Collection<EventIdDocument>;
  /** The writer's last page as stored; read again after a failed write or another writer's append. */
  private tail: OpenPage | undefined;

  constructor(db: Db) {
    this.pages = db.collection<EventPageDocument>(collectionNames.eventPages);
    this.ids = db.collection<EventIdDocument>(collectionNames.eventIds);
  }

  /** Appends events at consecutive positions from `firstPosition`, as the projection does with each batch. */
  async append(events: DomainEvent[], firstPosition: number, recordedAt = new Date()): Promise<AppendResult> {
    const at = recordedAt.toISOString();
    const entries = events.map((event, index) => ({
      position: firstPosition + index,
      recordedAt: at,
      event: event as StoredEvent,
    }));
    const earlier = await this.store(entries);
    const result: AppendResult = { recorded: [], conflicts: [] };
    for (const [index, event] of events.entries()) {
      const kept = earlier[index];
      if (!kept) {
        result.recorded.push({ ...event, position: firstPosition + index });
        continue;
      }
      const logged = recordedOf(kept);
      const reason = subjectConflict(logged, event);
      if (reason) {
        result.conflicts.push({
          index,
          eventId: event.eventId,
          reason: `${reason} (logged at position ${kept.position})`,
        });
      } else result.recorded.push(logged);
    }
    result.recorded.sort((a, b) => a.position - b.position);
    return result;
  }

  /**
   * Stores events as recorded elsewhere (an import, the old layout), keeping their positions and
   * times; an event already held is left as it is. Positions must increase past the log's end.
   */
  async appendLogged(entries: LoggedEvent[]): Promise<void> {
    await this.store(entries);
  }

  /** The event logged under an id, upcast, at its position. */
  async get(eventId: string): Promise<RecordedEvent | undefined> {
    const logged = await this.find(eventId);
    return logged && recordedOf(logged);
  }

  /** Events above a position, in order, in batches of about `batchSize`. */
  async *readFrom(afterPosition: number, batchSize = 5_000): AsyncGenerator<RecordedEvent[]> {
    for await (const batch of this.entries(afterPosition, batchSize)) yield batch.map(recordedOf);
  }

  /** The events above a position as recorded, in order, in batches of about `batchSize`. */
  async *entries(afterPosition = 0, batchSize = 5_000): AsyncGenerator<LoggedEvent[]> {
    const start = await this.firstPageAbove(afterPosition);
    if (start === undefined) return;
    let batch: LoggedEvent[] = [];
    for await (const page of this.pagesFrom(start, afterPosition)) {
      batch = batch.length === 0 ? page : batch.concat(page);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0) yield batch;
  }

  /**
   * The position of the last logged event, 0 for an empty log: a few lookups by `_id`. It counts
   * the events, give or take the positions a restart reserved and never used (counting the ids
   * instead decodes every one of them on the embedded database: 15 s at 1,000,000 events).
   */
  async lastPosition(): Promise<number> {
    const last = await this.lastPageNumber();
    return last === undefined ? 0 : ((await this.bounds(last))?.last ?? 0);
  }

  /** Another party appended (an import): the writer's last page is read again before the next append. */
  forgetTail(): void {
    this.tail = undefined;
  }

  /**
   * Inserts the ids, then writes the pages of the events that are new. Returns, for each entry,
   * the event the log already held under its id (undefined for an entry stored now).
   */
  private async store(entries: LoggedEvent[]): Promise<Array<LoggedEvent | undefined>> {
    const earlier: Array<LoggedEvent | undefined> = new Array(entries.length);
    const firstCopy = new Map<string, number>();
    const unique: number[] = [];
    for (const [index, entry] of entries.entries()) {
      if (!firstCopy.has(entry.event.eventId)) {
        firstCopy.set(entry.event.eventId, index);
        unique.push(index);
      }
    }
    let taken = new Set<number>();
    try {
      if (unique.length > 0) {
        await this.ids.insertMany(
          unique.map((index) => ({ _id: entries[index]!.event.eventId, position: entries[index]!.position })),
          { ordered: false },
        );
      }
    } catch (error) {
      taken = duplicateIndexes(error);
    }
    const fresh: LoggedEvent[] = [];
    for (const [place, index] of unique.entries()) {
      const entry = entries[index]!;
      if (!taken.has(place)) {
        fresh.push(entry);
        continue;
      }
      const kept = await this.find(entry.event.eventId);
      if (kept) {
        earlier[index] = kept;
        continue;
      }
      // The id was inserted by an append that died before writing its page: the event is not logged.
      await this.ids.replaceOne({ _id: entry.event.eventId }, { position: entry.position });
      fresh.push(entry);
    }
    for (const [index, entry] of entries.entries()) {
      const first = firstCopy.get(entry.event.eventId)!;
      if (first !== index) earlier[index] = earlier[first] ?? entries[first];
    }
    await this.writePages(fresh);
    return earlier;
  }

  /** Adds events to the last page, opening new ones as pages fill; writes each changed page, in order. */
  private async writePages(fresh: LoggedEvent[]): Promise<void> {
    if (fresh.length === 0) return;
    let current = await this.openTail();
    const changed: OpenPage[] = [];
    try {
      for (const logged of fresh) {
        if (isFull(current)) {
          current = emptyPage(current.page + 1, current.positions[current.positions.length - 1]!);
        }
        if (changed[changed.length - 1] !== current) changed.push(current);
        addToPage(current, logged);
      }
      // In page order: a reader that finds page k+1 knows page k is final (pagesFrom).
      for (const page of changed) {
        const document = encodePage(page);
        await this.pages.replaceOne({ _id: document._id }, document, { upsert: true });
      }
      this.tail = current;
    } catch (error) {
      this.tail = undefined;
      throw error;
    }
  }

  private async openTail(): Promise<OpenPage> {
    if (!this.tail) {
      const last = await this.lastPageNumber();
      const stored = last === undefined ? null : await this.page(last);
      this.tail = stored ? reopenPage(stored) : emptyPage(0, 0);
    }
    return this.tail;
  }

  private page(page: number): Promise<EventPageDocument | null> {
    return this.pages.findOne({ _id: pageKey(page) });
  }

  private async bounds(page: number): Promise<{ first: number; last: number } | null> {
    return this.pages.findOne({ _id: pageKey(page) }, { projection: { _id: 0, first: 1, last: 1 } });
  }

  /**
   * The number of the last page: the writer's own, once it holds one; otherwise a few lookups find
   * it, pages being numbered without gaps.
   */
  private async lastPageNumber(): Promise<number | undefined> {
    if (this.tail && this.tail.texts.length > 0) return this.tail.page;
    if (!(await this.bounds(0))) return undefined;
    let low = 0;
    let high = 1;
    while (await this.bounds(high)) {
      low = high;
      high *= 2;
    }
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (await this.bounds(middle)) low = middle;
      else high = middle;
    }
    return low;
  }

  /** The first page holding an event above `position`. */
  private async firstPageAbove(position: number): Promise<number | undefined> {
    const last = await this.lastPageNumber();
    if (last === undefined) return undefined;
    let low = 0;
    let high = last;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      const bounds = await this.bounds(middle);
      if (bounds && bounds.last > position) high = middle;
      else low = middle + 1;
    }
    // The last page may end at or below it too: the caller then finds nothing above.
    return low;
  }

  /** The event logged under an id, as recorded, if a page holds it. */
  private async find(eventId: string): Promise<LoggedEvent | undefined> {
    const id = await this.ids.findOne({ _id: eventId });
    if (!id) return undefined;
    const page = await this.firstPageAbove(id.position - 1);
    const document = page === undefined ? null : await this.page(page);
    if (!document || document.first > id.position) return undefined;
    return decodePage(document).find((logged) => logged.position === id.position && logged.event.eventId === eventId);
  }

  /**
   * The pages from `start` on, their events above `afterPosition`, reading one page ahead. A page
   * read while it was the writer's last may have grown since: the next page says where its
   * predecessor ended (`after`), and what was missed is read again before going on.
   */
  private async *pagesFrom(start: number, afterPosition: number): AsyncGenerator<LoggedEvent[]> {
    let seen = afterPosition;
    let next = this.page(start);
    for (let page = start; ; page++) {
      const document = await next;
      if (!document) return;
      next = this.page(page + 1);
      if (document.after > seen && page > start) {
        const grown = await this.page(page - 1);
        const missed = grown ? decodePage(grown).filter((logged) => logged.position > seen) : [];
        if (missed.length > 0) yield missed;
        seen = Math.max(seen, document.after);
      }
      const events = decodePage(document).filter((logged) => logged.position > seen);
      if (events.length > 0) {
        yield events;
        seen = events[events.length - 1]!.position;
      }
    }
  }
}
