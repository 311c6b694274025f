/** MongoDB: the connection, the collection names, idempotent inserts. */
export * from './database';
export * from './idLookups';
