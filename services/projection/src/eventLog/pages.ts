import type { Binary } from 'mongodb';
import { upcast, type RecordedEvent, type StoredEvent } from '@retail-pulse/shared/contracts';
import { packJson, unpack } from '@retail-pulse/shared/mongo';

/**
 * How the event log is stored: consecutive events packed into pages, each page one document
 * holding its events as compressed JSON. The embedded database's cost is per document decoded
 * and per byte of text (~45 µs a document, ~17 MB/s of strings on FerretDB 1.24; figures in
 * docs/BENCHMARKS.md), so a replay reading 256 events per compressed document reads the log
 * ~20× faster than one document per event did, and every page is found by its `_id`.
 */

/** A page is closed once it holds this many events, or this many bytes of JSON. */
export const PAGE_MAX_EVENTS = 256;
export const PAGE_MAX_BYTES = 256 * 1024;

/** One event in the log: as it was recorded (its version untouched), where and when. */
export interface LoggedEvent {
  position: number;
  /** ISO time the log recorded it. */
  recordedAt: string;
  event: StoredEvent;
}

export interface EventPageDocument {
  /** `pageKey(page)`. */
  _id: string;
  /** Pages are numbered 0, 1, 2, … in log order, with no gaps. */
  page: number;
  /** The last position of the page before this one, final once this one exists (0 for the first). */
  after: number;
  first: number;
  last: number;
  count: number;
  /** The page's events, packed (shared/src/mongo/packed.ts): LoggedEvent[] in position order. */
  events: Binary;
}

/** Every event id the log holds, at its position (a few page lookups find the page): duplicates are refused by `_id`. */
export interface EventIdDocument {
  _id: string;
  position: number;
}

export const pageKey = (page: number) => `page|${page}`;

/** A page as the writer holds it: the JSON text of each event, so adding one re-encodes none. */
export interface OpenPage {
  page: number;
  after: number;
  texts: string[];
  positions: number[];
  bytes: number;
}

export const emptyPage = (page: number, after: number): OpenPage => ({
  page,
  after,
  texts: [],
  positions: [],
  bytes: 0,
});

export function isFull(page: OpenPage): boolean {
  return page.texts.length >= PAGE_MAX_EVENTS || page.bytes >= PAGE_MAX_BYTES;
}

export function addToPage(page: OpenPage, logged: LoggedEvent): void {
  const text = JSON.stringify(logged);
  page.texts.push(text);
  page.positions.push(logged.position);
  page.bytes += text.length;
}

export function encodePage(page: OpenPage): EventPageDocument {
  return {
    _id: pageKey(page.page),
    page: page.page,
    after: page.after,
    first: page.positions[0]!,
    last: page.positions[page.positions.length - 1]!,
    count: page.texts.length,
    events: packJson(`[${page.texts.join(',')}]`),
  };
}

/** The page's events. The log holds only events validated when appended: they are trusted here. */
export function decodePage(document: EventPageDocument): LoggedEvent[] {
  return unpack<LoggedEvent[]>(document.events);
}

/** A stored page, reopened by the writer to take more events. */
export function reopenPage(document: EventPageDocument): OpenPage {
  const page = emptyPage(document.page, document.after);
  for (const logged of decodePage(document)) addToPage(page, logged);
  return page;
}

/** A logged event as the folds take it: upcast to the current version of its type. */
export function recordedOf(logged: LoggedEvent): RecordedEvent {
  return { ...upcast(logged.event), position: logged.position };
}
