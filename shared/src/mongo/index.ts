/** MongoDB: the connection, the collection names, idempotent inserts, bulk writes, packed lists, the readiness probe. */
export * from './bulkWrites';
export * from './database';
export * from './idLookups';
export * from './ping';
export * from './packed';
