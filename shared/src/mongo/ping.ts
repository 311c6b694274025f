import type { Db } from 'mongodb';

/**
 * A readiness probe for the database: a `ping` that must answer now. The signal bounds the whole
 * operation, server selection included, so a database that is away costs the probe its timeout,
 * not the driver's 10 s server-selection wait.
 */
export function databaseProbe(db: Db): (signal: AbortSignal) => Promise<boolean> {
  return async (signal) => (await db.command({ ping: 1 }, { signal })).ok === 1;
}
