import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { describeZodError, storedEventSchema } from '@retail-pulse/shared/contracts';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { EventLog, legacyLogPending, LegacyLogPending, type LoggedEvent } from '../eventLog';

/** One line of an export: the stored event, as it was recorded (its version untouched). */
const exportLineSchema = z.object({
  position: z.number().int().positive(),
  recordedAt: z.iso.datetime({ offset: true }),
  event: z.unknown(),
});

export interface BackupProgress {
  (done: number, total: number): void;
}

/** Writes the whole log to an NDJSON file, in position order. Returns the number of events. */
export async function exportLog(db: Db, file: string, onProgress?: BackupProgress): Promise<number> {
  if (await legacyLogPending(db)) {
    throw new LegacyLogPending('the event log is in the old layout: start the projection once to move it into pages');
  }
  const log = new EventLog(db);
  const total = await log.lastPosition();
  const out = createWriteStream(file, { encoding: 'utf8' });
  let written = 0;
  for await (const batch of log.entries()) {
    // A line is the logged event itself: its position, when it was recorded, the event as stored.
    const lines = batch.map((logged) => JSON.stringify(logged));
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
    written += batch.length;
    onProgress?.(batch[batch.length - 1]!.position, total);
  }
  out.end();
  await once(out, 'close');
  return written;
}

export class ImportRefused extends Error {}

/**
 * Loads an export into an empty installation's log: every line validated (any known event
 * version), positions and recording times kept. Re-running after an interruption is safe.
 */
export async function importLog(db: Db, file: string, onProgress?: BackupProgress): Promise<number> {
  const log = new EventLog(db);
  const state = new ProjectionState(db);
  // An import that was interrupted has events but no marks yet: it may run again.
  const imported = (await log.lastPosition()) > 0 && (await state.reservedThrough()) > 0;
  if (imported || (await legacyLogPending(db))) {
    throw new ImportRefused('this installation already has events; import into an empty one (a fresh MONGO_DB)');
  }
  let batch: LoggedEvent[] = [];
  let done = 0;
  let highest = 0;
  let highestJobId = 0;
  let lineNumber = 0;
  const flush = async () => {
    await log.appendLogged(batch);
    done += batch.length;
    batch = [];
    onProgress?.(done, done);
  };
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    lineNumber++;
    if (line.trim() === '') continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new ImportRefused(`line ${lineNumber}: not valid JSON`);
    }
    const parsedLine = exportLineSchema.safeParse(raw);
    if (!parsedLine.success) throw new ImportRefused(`line ${lineNumber}: ${describeZodError(parsedLine.error)}`);
    const event = storedEventSchema.safeParse(parsedLine.data.event);
    if (!event.success) throw new ImportRefused(`line ${lineNumber}: event ${describeZodError(event.error)}`);
    if (parsedLine.data.position <= highest) {
      throw new ImportRefused(`line ${lineNumber}: position ${parsedLine.data.position} does not follow ${highest}`);
    }
    batch.push({ position: parsedLine.data.position, recordedAt: parsedLine.data.recordedAt, event: event.data });
    highest = Math.max(highest, parsedLine.data.position);
    if (event.data.type === 'JobSubmitted') highestJobId = Math.max(highestJobId, event.data.data.jobId);
    if (batch.length >= 5_000) await flush();
  }
  await flush();
  // The log's marks travel with it: positions and job ids go on above the imported ones.
  await state.reserveThrough(highest, highestJobId);
  // Imported jobs settled elsewhere, long ago: folding them here must call no receiver back.
  await state.advanceWebhooksThrough(highest);
  return done;
}
