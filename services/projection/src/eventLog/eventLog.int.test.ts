import { aJobSubmitted, aSettledJob } from '../../../../test/support/builders';
import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { EventLog } from './eventLog';
import { decodePage, pageKey, PAGE_MAX_EVENTS } from './pages';

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('event-log');
});
afterEach(async () => {
  await environment.cleanup();
});

async function positions(log: EventLog, afterPosition = 0): Promise<number[]> {
  const all: number[] = [];
  for await (const batch of log.readFrom(afterPosition, 100)) all.push(...batch.map((event) => event.position));
  return all;
}

describe('the event log in pages', () => {
  it('appends across pages, reads from any position, and finds each event by its id', async () => {
    const log = new EventLog(environment.db);
    const job = aSettledJob(1, PAGE_MAX_EVENTS * 2); // one JobSubmitted, then 512 outcomes
    // In batches of 100, as the projection appends them, at consecutive positions.
    for (let start = 0; start < job.length; start += 100) await log.append(job.slice(start, start + 100), start + 1);

    const pages = await log.pages.find({}).sort({ page: 1 }).toArray();
    expect(pages.map(({ page, count, after }) => ({ page, count, after }))).toEqual([
      { page: 0, count: PAGE_MAX_EVENTS, after: 0 },
      { page: 1, count: PAGE_MAX_EVENTS, after: PAGE_MAX_EVENTS },
      { page: 2, count: 1, after: PAGE_MAX_EVENTS * 2 },
    ]);
    expect(await positions(log)).toEqual(job.map((_, index) => index + 1));
    expect(await positions(log, 300)).toEqual(job.slice(300).map((_, index) => index + 301));
    expect(await positions(log, job.length)).toEqual([]);
    expect(await log.get(job[400]!.eventId)).toEqual({ ...job[400], position: 401 });
    expect(await log.lastPosition()).toBe(job.length);
  });

  it('keeps the first copy of an event, and refuses an id taken by another subject', async () => {
    const log = new EventLog(environment.db);
    const [submitted, outcome] = aSettledJob(7, 1);
    await log.append([submitted!, outcome!], 1);
    const again = await log.append([outcome!, aJobSubmitted({ jobId: 8 })], 5);
    expect(again.recorded.map(({ eventId, position }) => [eventId, position])).toEqual([
      [outcome!.eventId, 2],
      [aJobSubmitted({ jobId: 8 }).eventId, 6],
    ]);
    const reused = { ...aJobSubmitted({ jobId: 9 }), eventId: submitted!.eventId };
    const refused = await log.append([reused], 7);
    expect(refused.recorded).toEqual([]);
    expect(refused.conflicts).toEqual([
      { index: 0, eventId: submitted!.eventId, reason: expect.stringContaining('(logged at position 1)') },
    ]);
    expect(await positions(log)).toEqual([1, 2, 6]);
  });

  it('appends an event whose id was stored by a writer that died before writing its page', async () => {
    const log = new EventLog(environment.db);
    const [submitted, first, second] = aSettledJob(3, 2);
    await log.append([submitted!], 1);
    // The ids of positions 2 and 3 were inserted; the page that would hold them was never written.
    await log.ids.insertMany([
      { _id: first!.eventId, position: 2 },
      { _id: second!.eventId, position: 3 },
    ]);
    const restarted = new EventLog(environment.db);
    const result = await restarted.append([first!, second!], 4);
    expect(result.recorded.map(({ position }) => position)).toEqual([4, 5]);
    expect(await positions(restarted)).toEqual([1, 4, 5]);
    expect(await restarted.get(second!.eventId)).toMatchObject({ position: 5 });
  });

  it('gives a reader that read the last page while it grew what it missed, once the next page exists', async () => {
    const writer = new EventLog(environment.db);
    const job = aSettledJob(4, 700);
    await writer.append(job.slice(0, PAGE_MAX_EVENTS + 10), 1); // page 0 full, page 1 holds 10
    const reader = new EventLog(environment.db);
    const batches = reader.entries(0, 1)[Symbol.asyncIterator]();
    const seen: number[] = [];
    // The reader takes page 0, reading page 1 ahead while it holds 10 events…
    const first = await batches.next();
    if (!first.done) seen.push(...first.value.map((logged) => logged.position));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // …then the writer fills page 1 and opens page 2.
    await writer.append(job.slice(PAGE_MAX_EVENTS + 10), PAGE_MAX_EVENTS + 11);
    for (let next = await batches.next(); !next.done; next = await batches.next()) {
      seen.push(...next.value.map((logged) => logged.position));
    }
    // Every position once, in order, whichever version of page 1 it read.
    expect(seen).toEqual(job.map((_, index) => index + 1));
    const pageOne = await reader.pages.findOne({ _id: pageKey(1) });
    expect(decodePage(pageOne!)).toHaveLength(PAGE_MAX_EVENTS);
  });
});
