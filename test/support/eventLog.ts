import type { Db } from 'mongodb';
import { EventLog, type LoggedEvent } from '../../services/projection/src/eventLog';

/** Every event of the log, in position order, as recorded. */
export async function loggedEvents(db: Db): Promise<LoggedEvent[]> {
  const all: LoggedEvent[] = [];
  for await (const batch of new EventLog(db).entries()) all.push(...batch);
  return all;
}

/** How many events of the log are of this type and this job. */
export async function loggedCount(db: Db, jobId: number, type: LoggedEvent['event']['type']): Promise<number> {
  return (await loggedEvents(db)).filter(({ event }) => event.type === type && event.data.jobId === jobId).length;
}
