/** MongoDB: the connection, the collection names, idempotent inserts, the readiness probe. */
export * from './database';
export * from './idLookups';
export * from './ping';
