import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { describeZodError, storedEventSchema } from '@retail-pulse/shared/contracts';
import { insertIdempotent } from '@retail-pulse/shared/mongo';
import { ensureIndexes, ProjectionState } from '@retail-pulse/shared/readModels';
import { EventLog, storedEventOf, toLogDocument, type EventLogDocument } from '../eventLog';

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
  const log = new EventLog(db);
  const total = await log.count();
  for (const order of ['natural', 'position'] as const) {
    const out = createWriteStream(file, { encoding: 'utf8' });
    let written = 0;
    let last = 0;
    let outOfOrder = false;
    for await (const page of log.scan(5_000, order)) {
      if (page.some((document) => document.position <= last || ((last = document.position), false))) {
        outOfOrder = true;
        break;
      }
      const lines = page.map((document) =>
        JSON.stringify({
          position: document.position,
          recordedAt: document.recordedAt.toISOString(),
          event: storedEventOf(document),
        }),
      );
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
      written += page.length;
      onProgress?.(written, total);
    }
    out.end();
    await once(out, 'close');
    if (!outOfOrder) return written;
  }
  throw new Error('unreachable: the sorted read cannot be out of order');
}

export class ImportRefused extends Error {}

/**
 * Loads an export into an empty installation's log: every line validated (any known event
 * version), positions and recording times kept. Re-running after an interruption is safe.
 */
export async function importLog(db: Db, file: string, onProgress?: BackupProgress): Promise<number> {
  const log = new EventLog(db);
  const state = new ProjectionState(db);
  const existing = await log.collection.findOne({}, { projection: { _id: 1 } });
  if (existing && (await state.reservedThrough()) > 0) {
    throw new ImportRefused('this installation already has events; import into an empty one (a fresh MONGO_DB)');
  }
  await ensureIndexes(db, (await state.active()).visits);
  let batch: EventLogDocument[] = [];
  let imported = 0;
  let highest = 0;
  let highestJobId = 0;
  let lineNumber = 0;
  const flush = async () => {
    await insertIdempotent(log.collection, batch);
    imported += batch.length;
    batch = [];
    onProgress?.(imported, imported);
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
    batch.push(toLogDocument(event.data, parsedLine.data.position, new Date(parsedLine.data.recordedAt)));
    highest = Math.max(highest, parsedLine.data.position);
    if (event.data.type === 'JobSubmitted') highestJobId = Math.max(highestJobId, event.data.data.jobId);
    if (batch.length >= 5_000) await flush();
  }
  await flush();
  // The log's marks travel with it: positions and job ids go on above the imported ones.
  await state.reserveThrough(highest, highestJobId);
  // Imported jobs settled elsewhere, long ago: folding them here must call no receiver back.
  await state.advanceWebhooksThrough(highest);
  return imported;
}
