/** MongoDB: the connection, the collection names, idempotent inserts, packed lists, the readiness probe. */
export * from './database';
export * from './idLookups';
export * from './ping';
export * from './packed';
