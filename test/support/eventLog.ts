import type { Db } from 'mongodb';
import { EventLog, type LoggedEvent } from '../../services/projection/src/eventLog';

/** Every event of the log, in position order, as recorded. */
export async function loggedEvents(db: Db): Promise<LoggedEvent[]> {
  const all: LoggedEvent[] = [];
  for await (const batch of new EventLog(db).entries()) all.push(...batch);
  return all;
}
