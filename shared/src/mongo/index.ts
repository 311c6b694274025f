/** MongoDB: the connection, collection names, read-model documents and the projection's bookkeeping. */
export * from './database';
export * from '../readModels/documents';
export * from '../readModels/projectionState';
